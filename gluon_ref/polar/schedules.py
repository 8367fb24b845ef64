"""Schedules: odd-polynomial coefficients plus a normalisation convention (docs/polar.md 4-8).

A :class:`Schedule` is everything a Newton–Schulz-type run needs: one odd
polynomial per step and the scale ``s = safety * ||G||_F + eps`` (or the
clamp / none conventions of docs/polar.md section 4).  Calling it on a matrix runs
:func:`~gluon_ref.polar.iterations.newton_schulz`; its scalar model is
available through :meth:`Schedule.predict`, :meth:`Schedule.output_interval`
and :meth:`Schedule.worst_case_error`.

Named families (:data:`SCHEDULE_FAMILIES`, :func:`get_schedule`) build a
schedule for any number of steps:

=======================  ==================================================  =========
name                     polynomials (source)                                normalisation
=======================  ==================================================  =========
``cubic``                1.5x - 0.5x^3 each step (section 5.1)               ||G||_F + 1e-7
``pade``                 (15x - 10x^3 + 3x^5)/8 (section 5.2)                ||G||_F + 1e-7
``pade7``                (35x - 35x^3 + 21x^5 - 5x^7)/16 (section 5.2)       ||G||_F + 1e-7
``kj_comparison``        (2, -1.5, 0.5), Jordan's early comparison (5.2)     ||G||_F + 1e-7
``muon``                 (3.4445, -4.7750, 2.0315) (section 6)               ||G||_F + 1e-7
``muon_torch``           the same, torch.optim.Muon's clamp (section 4)      max(||G||_F, 1e-7)
``you5``, ``you6``       You Jiacheng's lists (section 7)                    ||G||_F + 1e-7
``polar_express``        designed, l=1e-3, T=steps, c=0.02, folded 1.01      1.01 ||G||_F + 1e-7
``polar_express_nanogpt`` designed, l=1e-3, T=steps, c=0.02, folded 1.02     1.02 ||G||_F + 1e-6
``polar_express_paper``  the paper's recipe (T=8, raw-then-scale 1.01)       1.01 ||G||_F + 1e-7
``polar_express_gram``   paper's first 5 raw triples, all / 1.05 powers      ||G||_F + 1e-7
=======================  ==================================================  =========

Fixed lists run for more steps than they hold repeat their last polynomial
(the convention of the Polar Express reference code; for You's lists this is
this suite's choice, stated here).  The Polar Express families are
*designed* at run time (:mod:`gluon_ref.polar.polar_express`), never copied:
``polar_express`` with ``steps = T`` is the section 8.5 recipe with ``T``
steps and the reference package's cushion and safety.  A design runs when a
schedule first needs it and is cached; importing this module designs nothing
and does not load the designer.

Every family, built-in or user-defined, is registered by
:func:`register_schedule` into the one registry of
:mod:`gluon_ref.polar.registry`; :data:`SCHEDULE_FAMILIES` is the read-only
view of its schedule families.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Callable, Iterator, Sequence

from ..backend import check_count, check_finite, check_float_array
from .iterations import (
    MUON_QUINTIC,
    NORMALIZATIONS,
    as_polynomials,
    iterate_polynomials,
    newton_schulz,
    normalize_input,
)
from .registry import ORTHOGONALIZERS, register_orthogonalizer
from .scalar_model import (
    Polynomial,
    ScalarPrediction,
    compose,
    output_interval,
    predict,
    slope_at_zero,
    worst_case_error,
)

__all__ = [
    "Schedule",
    "ScheduleFamily",
    "SCHEDULE_FAMILIES",
    "get_schedule",
    "register_schedule",
    "available_schedules",
    "CUBIC",
    "PADE_QUINTIC",
    "PADE_SEPTIC",
    "KJ_COMPARISON_QUINTIC",
    "YOU_5STEP",
    "YOU_6STEP",
]

#: classic cubic Newton–Schulz (Kovarik; Björck & Bowie), docs/polar.md section 5.1
CUBIC: Polynomial = (1.5, -0.5)
#: Padé quintic (15x - 10x^3 + 3x^5)/8, docs/polar.md section 5.2
PADE_QUINTIC: Polynomial = (15 / 8, -10 / 8, 3 / 8)
#: degree-7 member (35x - 35x^3 + 21x^5 - 5x^7)/16, docs/polar.md section 5.2
PADE_SEPTIC: Polynomial = (35 / 16, -35 / 16, 21 / 16, -5 / 16)
#: Keller Jordan's early comparison quintic (2, -1.5, 0.5), docs/polar.md section 5.2
KJ_COMPARISON_QUINTIC: Polynomial = (2.0, -1.5, 0.5)
#: You Jiacheng's 5-step list (Dion, gram-newton-schulz), docs/polar.md section 7
YOU_5STEP: tuple[Polynomial, ...] = (
    (4.0848, -6.8946, 2.9270),
    (3.9505, -6.3029, 2.6377),
    (3.7418, -5.5913, 2.3037),
    (2.8769, -3.1427, 1.2046),
    (2.8366, -3.0525, 1.2012),
)
#: You Jiacheng's 6-step list (modula), each triple divided by 1024, docs/polar.md section 7
YOU_6STEP: tuple[Polynomial, ...] = tuple(
    (a / 1024, b / 1024, c / 1024)
    for a, b, c in ((3955, -8306, 5008), (3735, -6681, 3463), (3799, -6499, 3211),
                    (4019, -6385, 2906), (2677, -3029, 1162), (2172, -1833, 682))
)


@dataclass(frozen=True)
class Schedule:
    """One odd polynomial per step plus a normalisation convention (docs/polar.md sections 2-4).

    ``polynomials[t] = (c_0, c_1, ...)`` is ``p_{t+1}(x) = c_0 x + c_1 x^3 + ...``.
    ``normalization``/``eps``/``safety`` define ``s`` as in
    :func:`~gluon_ref.polar.iterations.normalize_input`.  Calling the
    schedule on ``G`` returns the approximate polar factor; it is usable
    directly as a spectral-norm orthogonalizer.
    """

    polynomials: tuple[Polynomial, ...]
    name: str = "custom"
    normalization: str = "frobenius"
    eps: float = 1e-7
    safety: float = 1.0
    source: str = field(default="", compare=False)
    convergent: bool | None = field(default=None, compare=False)

    def __post_init__(self):
        raw = tuple(self.polynomials)
        if any(isinstance(p, (int, float)) for p in raw):
            raise TypeError("Schedule.polynomials must be a sequence of coefficient tuples, one "
                            "per step; use Schedule.constant(poly, steps) to repeat one polynomial")
        polys = tuple(as_polynomials(raw, None)) if raw else ()
        object.__setattr__(self, "polynomials", polys)
        if self.normalization not in NORMALIZATIONS:
            raise ValueError(f"unknown normalization {self.normalization!r}; valid: "
                             f"{', '.join(NORMALIZATIONS)}")
        if not (math.isfinite(self.eps) and self.eps >= 0):
            raise ValueError(f"eps must be finite and >= 0, got {self.eps}")
        if not (math.isfinite(self.safety) and self.safety > 0):
            raise ValueError(f"safety must be finite and > 0, got {self.safety}")

    @classmethod
    def constant(cls, poly: Sequence[float], steps: int, name: str = "custom",
                 **kwargs) -> "Schedule":
        """``poly`` repeated ``steps`` times (Muon's ``ns_coefficients``/``ns_steps``)."""
        return cls(tuple(as_polynomials(tuple(poly), steps)), name, **kwargs)

    # -- shape of the schedule ---------------------------------------------------
    @property
    def steps(self) -> int:
        """Number of polynomials ``T``."""
        return len(self.polynomials)

    @property
    def degree(self) -> int:
        """Largest polynomial degree in the schedule (1 for an empty schedule)."""
        return max((2 * len(p) - 1 for p in self.polynomials), default=1)

    def take(self, steps: int) -> "Schedule":
        """The first ``steps`` polynomials; beyond the end the last one repeats."""
        steps = check_count("steps", steps, minimum=0)
        polys = list(self.polynomials[:steps])
        if steps > len(polys):
            if not self.polynomials:
                raise ValueError(f"schedule {self.name!r} is empty; cannot extend it")
            polys += [self.polynomials[-1]] * (steps - len(polys))
        return replace(self, polynomials=tuple(polys))

    # -- matrix run ----------------------------------------------------------------
    def scale(self, g: Any, *, emulate: str | None = None):
        """``s`` of this schedule's normalisation for ``g`` (shape ``(..., 1, 1)``)."""
        return normalize_input(g, normalization=self.normalization, eps=self.eps,
                               safety=self.safety, emulate=emulate)[1]

    def __call__(self, g: Any, *, emulate: str | None = None):
        """Approximate polar factor of ``g``: ``newton_schulz`` with this schedule."""
        if self.polynomials:
            return newton_schulz(g, self.polynomials, None, normalization=self.normalization,
                                 eps=self.eps, safety=self.safety, emulate=emulate)
        # zero steps: the normalised input itself (the start of every error-versus-steps curve)
        xp = check_float_array(g, "g")
        if g.ndim < 2:
            raise ValueError(f"needs ndim >= 2 (..., m, n), got shape {tuple(g.shape)}")
        if any(d == 0 for d in g.shape):
            raise ValueError(f"g has an empty dimension: shape {tuple(g.shape)}")
        check_finite(g, "g")
        x0, _ = normalize_input(g, normalization=self.normalization, eps=self.eps,
                                safety=self.safety, emulate=emulate)
        return xp.astype(iterate_polynomials(x0, (), emulate=emulate), g.dtype)

    # -- scalar model --------------------------------------------------------------
    def phi(self, x: Any) -> Any:
        """``phi_T(x)`` elementwise (floats or arrays of any namespace)."""
        return compose(self.polynomials, x)

    def predict(self, sigma: Any, scale: float,
                shape: tuple[int, int] | None = None) -> ScalarPrediction:
        """Scalar-model metrics for range singular values ``sigma`` and scale ``s``."""
        return predict(self.polynomials, sigma, scale, shape)

    def output_interval(self, lo: float, hi: float) -> tuple[float, float]:
        """Exact ``phi_T([lo, hi])`` (signed output singular values)."""
        return output_interval(self.polynomials, lo, hi)

    def worst_case_error(self, lo: float, hi: float) -> float:
        """``sup_{x in [lo, hi]} |1 - phi_T(x)|``."""
        return worst_case_error(self.polynomials, lo, hi)

    def slope_at_zero(self) -> float:
        """``phi_T'(0) = prod_t c_0^{(t)}``."""
        return slope_at_zero(self.polynomials)

    def __repr__(self) -> str:
        return (f"Schedule({self.name!r}, steps={self.steps}, degree={self.degree}, "
                f"normalization={self.normalization!r}, safety={self.safety}, eps={self.eps})")


@dataclass(frozen=True)
class ScheduleFamily:
    """A named method: ``build(steps) -> Schedule`` plus its default step count.

    ``convergent`` records whether, by the scalar model, the method's
    schedules approach ``U V^T`` on every normalised input in ``(0, 1]`` as
    the number of steps grows (cubic, Padé, Polar Express: yes; Muon and You:
    no, they settle in a band).  Called on a matrix, a family runs its
    schedule with ``default_steps`` steps, so the family itself is the
    orthogonalizer registered under its name.
    """

    name: str
    default_steps: int
    build: Callable[[int], Schedule]
    description: str
    source: str
    convergent: bool

    def schedule(self, steps: int | None = None) -> Schedule:
        """The family's schedule with ``steps`` steps (``default_steps`` when ``None``)."""
        return self.build(self.default_steps if steps is None else steps)

    def __call__(self, g: Any, *, emulate: str | None = None):
        """Approximate polar factor of ``g`` by :meth:`schedule` at the default step count."""
        return self.schedule()(g, emulate=emulate)


class _ScheduleFamilies(Mapping):
    """Read-only name -> :class:`ScheduleFamily` view of the orthogonalizer registry."""

    def __getitem__(self, name: str) -> ScheduleFamily:
        fam = ORTHOGONALIZERS.get(name)
        if not isinstance(fam, ScheduleFamily):
            raise KeyError(name)
        return fam

    def __iter__(self) -> Iterator[str]:
        return iter([k for k, v in ORTHOGONALIZERS.items() if isinstance(v, ScheduleFamily)])

    def __len__(self) -> int:
        return sum(isinstance(v, ScheduleFamily) for v in ORTHOGONALIZERS.values())

    def __repr__(self) -> str:
        return f"SCHEDULE_FAMILIES({sorted(self)})"


#: name -> ScheduleFamily, a live read-only view of :data:`~gluon_ref.polar.registry.ORTHOGONALIZERS`
SCHEDULE_FAMILIES: Mapping[str, ScheduleFamily] = _ScheduleFamilies()


def register_schedule(family: ScheduleFamily) -> None:
    """Register ``family`` under its name as a schedule family and an orthogonalizer.

    The one entry point for built-in and user families: it calls
    :func:`~gluon_ref.polar.registry.register_orthogonalizer` with the family,
    whose schedule is built when first called, not here.
    """
    if not isinstance(family, ScheduleFamily):
        raise TypeError(f"expected a ScheduleFamily, got {type(family).__name__}")
    check_count(f"default_steps of schedule family {family.name!r}", family.default_steps,
                minimum=0)
    register_orthogonalizer(family.name, family)


def available_schedules() -> list[str]:
    """Sorted names of the schedule families."""
    return sorted(SCHEDULE_FAMILIES)


def get_schedule(name: str, steps: int | None = None) -> Schedule:
    """The schedule of family ``name`` with ``steps`` steps (its default when ``None``).

    ``ValueError`` lists the valid names.
    """
    key = str(name).strip().lower()
    if key not in SCHEDULE_FAMILIES:
        raise ValueError(f"unknown schedule {name!r}; valid names: {', '.join(available_schedules())}")
    return SCHEDULE_FAMILIES[key].schedule(steps)


# -- builders of the built-in families --------------------------------------------
def _constant(name, poly, source, convergent, **norm):
    def build(steps: int) -> Schedule:
        return Schedule((tuple(poly),) * check_count("steps", steps, minimum=0), name,
                        source=source, convergent=convergent, **norm)
    return build


def _listed(name, polys, source, convergent, **norm):
    """Builder for a fixed list; ``polys`` is the list or a function returning it on first use."""
    def build(steps: int) -> Schedule:
        listed = polys() if callable(polys) else polys
        return Schedule(tuple(listed), name, source=source, convergent=convergent,
                        **norm).take(steps)
    return build


def _designed(name, cushion, safety, norm_safety, eps, source):
    def build(steps: int) -> Schedule:
        steps = check_count("steps", steps, minimum=0)
        polys = _designed_polys(steps, cushion, safety) if steps else ()
        return Schedule(polys, name, "frobenius", eps, norm_safety, source=source,
                        convergent=True)
    return build


# The designer is imported when a design is first needed, so that importing the package
# (which gluon_ref.norms does) neither loads it nor runs a Remez solve.
@lru_cache(maxsize=256)
def _designed_polys(steps: int, cushion: float, safety: float) -> tuple[Polynomial, ...]:
    from .polar_express import design_polar_express

    return design_polar_express(1e-3, steps, cushion=cushion, safety=safety,
                                mode="folded").polynomials


def _paper_list() -> tuple[Polynomial, ...]:
    from .polar_express import published_recipe  # cached there

    return published_recipe("paper").polynomials


def _gram_list() -> tuple[Polynomial, ...]:
    from .polar_express import apply_safety, published_recipe

    return tuple(apply_safety(p, 1.05) for p in published_recipe("paper").raw[:5])


_PE = "Polar Express, arXiv 2505.16932; docs/polar.md section 8.5"


def _builtin_families() -> list[ScheduleFamily]:
    fro = dict(normalization="frobenius", eps=1e-7, safety=1.0)
    return [
        ScheduleFamily("cubic", 10, _constant("cubic", CUBIC, "docs/polar.md 5.1", True, **fro),
                       "classic cubic Newton–Schulz 1.5x - 0.5x^3",
                       "Kovarik; Björck & Bowie; docs/polar.md section 5.1", True),
        ScheduleFamily("pade", 5, _constant("pade", PADE_QUINTIC, "docs/polar.md 5.2", True, **fro),
                       "Padé quintic (15x - 10x^3 + 3x^5)/8", "docs/polar.md section 5.2", True),
        ScheduleFamily("pade7", 5, _constant("pade7", PADE_SEPTIC, "docs/polar.md 5.2", True, **fro),
                       "degree-7 Newton–Schulz (35x - 35x^3 + 21x^5 - 5x^7)/16",
                       "docs/polar.md section 5.2", True),
        ScheduleFamily("kj_comparison", 5,
                       _constant("kj_comparison", KJ_COMPARISON_QUINTIC, "docs/polar.md 5.2", True,
                                 **fro),
                       "Keller Jordan's comparison quintic (2, -1.5, 0.5)",
                       "docs/polar.md section 5.2", True),
        ScheduleFamily("muon", 5, _constant("muon", MUON_QUINTIC, "docs/polar.md 6", False, **fro),
                       "Keller Jordan's Muon quintic (3.4445, -4.7750, 2.0315)",
                       "KellerJordan/Muon; docs/polar.md section 6", False),
        ScheduleFamily("muon_torch", 5,
                       _constant("muon_torch", MUON_QUINTIC, "docs/polar.md 4, 6", False,
                                 normalization="clamp", eps=1e-7, safety=1.0),
                       "Muon quintic with torch.optim.Muon's clamp max(||G||_F, 1e-7)",
                       "pytorch/pytorch torch.optim.Muon; docs/polar.md section 4", False),
        ScheduleFamily("you5", 5, _listed("you5", YOU_5STEP, "docs/polar.md 7", False, **fro),
                       "You Jiacheng's 5-step list (last repeats beyond 5)",
                       "microsoft/dion, Dao-AILab/gram-newton-schulz; docs/polar.md section 7", False),
        ScheduleFamily("you6", 6, _listed("you6", YOU_6STEP, "docs/polar.md 7", False, **fro),
                       "You Jiacheng's 6-step list /1024 (last repeats beyond 6)",
                       "modula; docs/polar.md section 7", False),
        ScheduleFamily("polar_express", 5,
                       _designed("polar_express", 0.02, 1.01, 1.01, 1e-7, _PE),
                       "Polar Express designed for T = steps (l = 1e-3, c = 0.02, folded 1.01)",
                       _PE + " (reference package parameters)", True),
        ScheduleFamily("polar_express_nanogpt", 5,
                       _designed("polar_express_nanogpt", 0.02, 1.02, 1.02, 1e-6, _PE),
                       "Polar Express as in modded-nanogpt/Dion (c = 0.02, folded 1.02)",
                       _PE + " (modded-nanogpt, Dion)", True),
        ScheduleFamily("polar_express_paper", 5,
                       _listed("polar_express_paper", _paper_list, _PE, True,
                               normalization="frobenius", eps=1e-7, safety=1.01),
                       "the paper's 8-polynomial recipe (raw-then-scale 1.01), first `steps`",
                       _PE + " (paper's list)", True),
        ScheduleFamily("polar_express_gram", 5,
                       _listed("polar_express_gram", _gram_list, _PE, False, **fro),
                       "gram-newton-schulz preset: paper's first 5 raw triples, all / 1.05^k",
                       _PE + " (Dao-AILab/gram-newton-schulz preset)", False),
    ]


for _family in _builtin_families():
    register_schedule(_family)
del _family
