"""The claim record of the verification report.

A :class:`Claim` is one statement of the theory with its source, hypotheses,
an optional symbolic proof and a numeric check.  The numeric check returns a
list of :class:`Instance` measurements, each with its left side, right side
and relation; the runner derives slack, tightness and the verdict.

Verdicts (computed by :func:`evaluate`):

* ``holds``            every instance satisfies the relation (within ``tol``)
  and every instance's hypothesis held;
* ``fails``            some instance whose hypothesis held violates the
  relation: a theorem or implementation failure;
* ``hypothesis broken`` violations occur only on instances whose hypothesis
  did not hold (reported as such, not as a failure of the theorem);
* for negative controls (``expect="violated"``): ``flagged`` when at least one
  violation was found (the check can fail), ``missed`` otherwise (a defect of
  the check);
* for empirical claims (``expect="empirical"``: a published measurement or a
  paper's reading of one, checked on data): ``reproduced`` when every
  instance satisfies its relation, ``not reproduced`` otherwise.  Both pass:
  whether a paper's observation reproduces is a finding, not a defect.  The
  estimator and fit behind them are guarded by ordinary claims on planted data.

Claims with ``must_hold=True`` that end in ``fails``, ``missed`` or ``error``
make the ``verify`` command exit non-zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

__all__ = ["Instance", "SymbolicResult", "Claim", "CheckContext", "ClaimResult", "evaluate"]

RELATIONS = ("<=", ">=", "==")
STATUSES = ("proved", "reported", "reconstructed", "uncertain", "elementary")
EXPECTS = ("holds", "violated", "empirical")


@dataclass(frozen=True)
class Instance:
    """One measurement: ``lhs <relation> rhs`` up to the absolute allowance ``tol``.

    ``hypothesis_held`` records whether the hypothesis the proof uses actually
    held on this instance (measured, e.g. the descent inequality along the
    step), so a conclusion failure under a broken hypothesis is not reported
    as a theorem failure.
    """

    label: str
    lhs: float
    rhs: float
    relation: str = "<="
    tol: float = 0.0
    hypothesis_held: bool = True
    note: str = ""

    def __post_init__(self):
        if self.relation not in RELATIONS:
            raise ValueError(f"relation must be one of {RELATIONS}, got {self.relation!r}")

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
        """A generator that depends only on the seed and the salt (deterministic reports)."""
        if isinstance(salt, str):
            salt = int.from_bytes(salt.encode()[:8].ljust(8, b"\0"), "little") % (2**32)
        return np.random.default_rng([self.seed, int(salt)])


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

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"claim {self.id}: status must be one of {STATUSES}")
        if self.expect not in EXPECTS:
            raise ValueError(f"claim {self.id}: expect must be one of {EXPECTS}")
        if self.numeric is None and self.symbolic is None:
            raise ValueError(f"claim {self.id}: needs a numeric check or a symbolic proof")


@dataclass(frozen=True)
class ClaimResult:
    claim: Claim
    verdict: str
    instances: tuple[Instance, ...]
    symbolic: SymbolicResult | None
    error: str = ""

    @property
    def passed(self) -> bool:
        return self.verdict in ("holds", "flagged", "hypothesis broken", "reproduced",
                                "not reproduced")

    @property
    def worst_slack(self) -> float:
        return min((i.slack for i in self.instances), default=float("nan"))

    @property
    def max_tightness(self) -> float:
        vals = [i.tightness for i in self.instances if math.isfinite(i.tightness)]
        return max(vals, default=float("nan"))


def evaluate(claim: Claim, instances: Sequence[Instance], symbolic: SymbolicResult | None,
             error: str = "") -> ClaimResult:
    """Turn measurements into a verdict (see the module docstring)."""
    instances = tuple(instances)
    if error:
        verdict = "error"
    elif claim.expect == "empirical":
        ok = all(i.satisfied for i in instances) and (symbolic is None or symbolic.ok)
        verdict = "reproduced" if ok else "not reproduced"
    elif claim.expect == "violated":
        found = any(not i.satisfied for i in instances) or (symbolic is not None and not symbolic.ok)
        verdict = "flagged" if found else "missed"
    else:
        held = [i for i in instances if i.hypothesis_held]
        broken = [i for i in instances if not i.hypothesis_held]
        if symbolic is not None and not symbolic.ok:
            verdict = "fails"
        elif any(not i.satisfied for i in held):
            verdict = "fails"
        elif any(not i.satisfied for i in broken):
            verdict = "hypothesis broken"
        else:
            verdict = "holds"
    return ClaimResult(claim, verdict, instances, symbolic, error)
