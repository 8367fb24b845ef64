"""The claim record of the verification report.

A :class:`Claim` is one statement of the theory with its source, hypotheses,
an optional symbolic proof and a numeric check.  The numeric check returns a
list of :class:`Instance` measurements, each with its left side, right side
and relation; the runner derives slack, tightness and the verdict.

A check may also return :class:`Dropped` records: instances it planned but could not
measure (e.g. an iteration count beyond the run), each with its reason; they are
counted in the report and never count as evidence.

Verdicts (computed by :func:`evaluate`):

* ``holds``            every instance satisfies the relation (within ``tol``)
  and every instance's hypothesis held;
* ``fails``            some instance whose hypothesis held violates the
  relation (a theorem or implementation failure), the symbolic proof fails, or,
  for a claim whose hypothesis is *proved* (``hypothesis="proved"``: proved
  constants, exact algebra), the measured hypothesis broke on some instance:
  proved constants that do not hold are a defect, not an excuse;
* ``hypothesis broken`` violations occur only on instances whose measured
  hypothesis did not hold, for a claim whose hypothesis is ``"empirical"``
  (estimated constants, an assumption that real data may or may not meet);
* ``not checked``      the numeric check produced no instance (all dropped):
  no evidence, so a claim that must hold fails;
* for negative controls (``expect="violated"``), which name the single
  hypothesis they break (``breaks``) and record on each instance whether it
  held: ``flagged`` when some instance violates the relation *where the named
  hypothesis was measured broken*, ``missed`` when nothing is violated, and
  ``error`` when a violation occurs where the hypothesis held (the control
  fires for another reason than the one it names: a defect of the check or of
  the code);
* for empirical claims (``expect="empirical"``: a paper's observation measured
  on data): ``reproduced`` when every instance satisfies its relation, ``not
  reproduced`` otherwise.  Both pass: whether a paper's observation reproduces
  is a finding, not a defect.  The estimator and fit behind them are guarded by
  ordinary claims on planted data, which do fail the run when wrong.

Claims with ``must_hold=True`` that end in ``fails``, ``not checked``,
``missed`` or ``error`` make the ``verify`` command exit non-zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

__all__ = ["Instance", "Dropped", "Series", "SymbolicResult", "Claim", "CheckContext", "ClaimResult",
           "evaluate", "claim", "attained", "ATTAINMENT"]

#: measured/bound an attainment instance must reach (issue 10.2)
ATTAINMENT = 0.99

RELATIONS = ("<=", ">=", "==")
STATUSES = ("proved", "reported", "reconstructed", "uncertain", "elementary")
HYPOTHESES = ("proved", "empirical")
EXPECTS = ("holds", "violated", "empirical")


@dataclass(frozen=True)
class Instance:
    """One measurement: ``lhs <relation> rhs`` up to the absolute allowance ``tol``.

    ``hypothesis_held`` records whether the hypothesis the proof uses actually
    held on this instance (measured, e.g. the descent inequality along the
    step), so a conclusion failure under a broken hypothesis is not reported
    as a theorem failure.

    ``kind="attainment"`` marks an extremal instance on which the bound is (nearly)
    attained: ``lhs`` is measured/bound there and the relation requires it to be at least
    ``rhs`` (0.99), so a bound that is too loose fails the claim.
    """

    label: str
    lhs: float
    rhs: float
    relation: str = "<="
    tol: float = 0.0
    hypothesis_held: bool = True
    note: str = ""
    kind: str = "bound"

    def __post_init__(self):
        if self.relation not in RELATIONS:
            raise ValueError(f"relation must be one of {RELATIONS}, got {self.relation!r}")
        if self.kind not in ("bound", "attainment"):
            raise ValueError(f"kind must be 'bound' or 'attainment', got {self.kind!r}")

    @property
    def slack(self) -> float:
        """Signed margin: >= -tol means the relation holds (for '==' it is -|lhs - rhs|)."""
        if self.relation == "<=":
            return self.rhs - self.lhs
        if self.relation == ">=":
            return self.lhs - self.rhs
        return -abs(self.lhs - self.rhs)

    @property
    def satisfied(self) -> bool:
        s = self.slack
        return bool(math.isfinite(s) and s >= -self.tol)

    @property
    def tightness(self) -> float:
        """How close an inequality between non-negative quantities is to equality, in [0, 1]
        when it holds: ``lhs/rhs`` for '<=' and ``rhs/lhs`` for '>=' (1 = tight, 1e-2 = loose
        by two orders).  nan for identities ('==') and for sides of mixed or negative sign,
        where a ratio says nothing, when the bound is exactly 0 (a slack check), and when the
        larger side is within the rounding allowance ``tol`` (a ratio of rounding errors)."""
        small, big = (self.lhs, self.rhs) if self.relation == "<=" else (self.rhs, self.lhs)
        if self.relation == "==" or self.rhs == 0 or small < 0 or big <= max(self.tol, 0.0):
            return float("nan")
        return small / big


def attained(label: str, measured: float, bound: float, note: str = "") -> Instance:
    """An attainment instance: ``measured/bound >= ATTAINMENT`` on an extremal input, where the
    bound is (nearly) an equality; a bound that is too loose (or a measurement too small) fails."""
    ratio = measured / bound if bound != 0 else float("nan")
    return Instance(f"attainment: {label}", ratio, ATTAINMENT, ">=", kind="attainment",
                    note=note or f"measured {measured:.6g}, bound {bound:.6g}")


@dataclass(frozen=True)
class Dropped:
    """An instance a check planned but could not measure, with the reason (reported, never
    counted as evidence)."""

    label: str
    reason: str


@dataclass(frozen=True)
class Series:
    """A curve a check returns for its figure (not evidence; not in report.json): ``y`` against
    ``x`` with a legend ``label``; ``style`` is ``"measured"`` (solid), ``"bound"`` (dashed),
    ``"marks"`` (points only) or ``"level"`` (a horizontal line at ``y[0]``)."""

    label: str
    x: tuple[float, ...]
    y: tuple[float, ...]
    style: str = "measured"
    xlabel: str = ""
    ylabel: str = ""
    log: str = ""  # "", "x", "y" or "xy"
    colour: str = ""  # default: a "bound" takes the colour of the curve drawn just before it

    def __post_init__(self):
        if self.style not in ("measured", "bound", "marks", "level"):
            raise ValueError(f"style must be measured, bound, marks or level, got {self.style!r}")
        object.__setattr__(self, "x", tuple(float(v) for v in self.x))
        object.__setattr__(self, "y", tuple(float(v) for v in self.y))


@dataclass(frozen=True)
class SymbolicResult:
    """Outcome of a sympy proof: ``ok`` and a one-line account of what was shown."""

    ok: bool
    detail: str


@dataclass(frozen=True)
class CheckContext:
    """What a numeric check may depend on: a seed and the sweep size."""

    seed: int = 0
    full: bool = False

    def rng(self, salt: int | str = 0) -> np.random.Generator:
        """A generator that depends only on the seed and the whole salt (deterministic reports;
        distinct salts give independent streams).  The entropy is ``[seed, kind, *salt]``, with
        ``kind`` 0 for an integer salt and 1 for the UTF-8 bytes of a string salt, so ``5`` and
        ``"5"`` differ too."""
        if isinstance(salt, str):
            words = [1, *salt.encode()]
        else:
            if int(salt) < 0:
                raise ValueError(f"salt must be >= 0 or a string, got {salt}")
            words = [0, int(salt)]
        return np.random.default_rng(np.random.SeedSequence([self.seed, *words]))


@dataclass(frozen=True)
class Claim:
    """One statement of the theory with its checks (see the module docstring)."""

    id: str
    statement: str
    latex: str
    source: str
    status: str
    hypotheses: Sequence[str] = ()
    numeric: Callable[[CheckContext], list[Instance]] | None = None
    symbolic: Callable[[], SymbolicResult] | None = None
    expect: str = "holds"  # "violated" for a negative control, "empirical" for a measurement
    must_hold: bool = True
    tags: Sequence[str] = field(default_factory=tuple)
    #: "proved": the hypothesis is proved for every instance, so a measured break fails the
    #: claim; "empirical": constants estimated or an assumption data may not meet.
    hypothesis: str = "proved"
    #: for a negative control: the single hypothesis it breaks (required)
    breaks: str = ""

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"claim {self.id}: status must be one of {STATUSES}")
        if self.expect not in EXPECTS:
            raise ValueError(f"claim {self.id}: expect must be one of {EXPECTS}")
        if self.hypothesis not in HYPOTHESES:
            raise ValueError(f"claim {self.id}: hypothesis must be one of {HYPOTHESES}")
        if (self.expect == "violated") != bool(self.breaks):
            raise ValueError(f"claim {self.id}: a negative control (and only a control) names "
                             "the hypothesis it breaks in 'breaks'")
        if self.numeric is None and self.symbolic is None:
            raise ValueError(f"claim {self.id}: needs a numeric check or a symbolic proof")


Check = Callable[[CheckContext], list["Instance | Dropped"]]


def claim(registry: list[Claim], **record) -> Callable[[Check], Check]:
    """Decorator that writes a claim's record directly above its numeric check and appends
    ``Claim(numeric=check, **record)`` to ``registry`` (a module's ``CLAIMS``), so statement,
    source and measurement read together; registration order is the report's order."""

    def register(check: Check) -> Check:
        registry.append(Claim(numeric=check, **record))
        return check

    return register


@dataclass(frozen=True)
class ClaimResult:
    claim: Claim
    verdict: str
    instances: tuple[Instance, ...]
    symbolic: SymbolicResult | None
    error: str = ""
    dropped: tuple[Dropped, ...] = ()
    series: tuple[Series, ...] = ()

    @property
    def passed(self) -> bool:
        return self.verdict in ("holds", "flagged", "hypothesis broken", "reproduced",
                                "not reproduced")

    @property
    def attainment(self) -> float:
        """measured/bound on the claim's extremal (attainment) instances, nan if it has none."""
        vals = [i.lhs for i in self.instances if i.kind == "attainment" and math.isfinite(i.lhs)]
        return min(vals, default=float("nan"))

    @property
    def n_distinct(self) -> int:
        """Instances whose measured (relation, lhs, rhs) differ: two instances drawn from the
        same input measure the same pair, so a count below N reveals repeated draws (or exact,
        input-independent identities such as 0 = 0)."""
        return len({(i.relation, i.lhs, i.rhs) for i in self.instances})

    @property
    def worst_slack(self) -> float:
        return min((i.slack for i in self.instances if i.kind == "bound"), default=float("nan"))

    @property
    def max_tightness(self) -> float:
        vals = [i.tightness for i in self.instances
                if i.kind == "bound" and math.isfinite(i.tightness)]
        return max(vals, default=float("nan"))


def evaluate(claim: Claim, measured: Sequence[Instance | Dropped], symbolic: SymbolicResult | None,
             error: str = "") -> ClaimResult:
    """Turn measurements into a verdict (see the module docstring)."""
    instances = tuple(m for m in measured if isinstance(m, Instance))
    dropped = tuple(m for m in measured if isinstance(m, Dropped))
    series = tuple(m for m in measured if isinstance(m, Series))
    if len(instances) + len(dropped) + len(series) != len(measured):
        bad = next(m for m in measured if not isinstance(m, (Instance, Dropped, Series)))
        error = error or f"check returned {type(bad).__name__}, not Instance, Dropped or Series"
    violated = [i for i in instances if not i.satisfied]
    if error:
        verdict = "error"
    elif symbolic is not None and not symbolic.ok:
        verdict = "fails"
    elif claim.numeric is not None and not instances:
        verdict = "not checked"
    elif claim.expect == "empirical":
        verdict = "not reproduced" if violated else "reproduced"
    elif claim.expect == "violated":
        unexplained = [i for i in violated if i.hypothesis_held]
        if unexplained:
            verdict = "error"
            error = (f"control violated where its hypothesis ({claim.breaks}) held: "
                     f"{unexplained[0].label}")
        else:
            verdict = "flagged" if violated else "missed"
    elif any(i.hypothesis_held for i in violated):
        verdict = "fails"
    elif claim.hypothesis == "proved" and any(not i.hypothesis_held for i in instances):
        verdict = "fails"
    elif violated:
        verdict = "hypothesis broken"
    else:
        verdict = "holds"
    return ClaimResult(claim, verdict, instances, symbolic, error, dropped, series)
