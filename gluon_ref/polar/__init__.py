"""Polar factor: the exact SVD baseline and Newton–Schulz-type iterations (docs/polar.md).

* :mod:`~gluon_ref.polar.exact` — ``polar_exact``: ``U_r V_r^T`` from the thin SVD;
* :mod:`~gluon_ref.polar.iterations` — ``newton_schulz``: one mechanism for every
  odd-polynomial schedule, with Frobenius/clamp/none normalisation and
  emulated bfloat16;
* :mod:`~gluon_ref.polar.schedules` — ``Schedule`` and the named families
  (cubic, Padé, Muon, You, Polar Express, ...);
* :mod:`~gluon_ref.polar.polar_express` — the Polar Express designer (Remez);
* :mod:`~gluon_ref.polar.scalar_model` — the scalar model of any schedule;
* :mod:`~gluon_ref.polar.metrics` — distances to ``U_r V_r^T`` measured on matrices;
* :mod:`~gluon_ref.polar.matrices` — the test-matrix families of the comparison;
* :mod:`~gluon_ref.polar.registry` — named orthogonalizers for the spectral norms;
* :mod:`~gluon_ref.polar.lowprec` — emulated bfloat16/float16 with per-operation or
  fused-GEMM rounding (``emulate="bfloat16-fused"`` reproduces torch's bf16 Muon);
* :mod:`~gluon_ref.polar.certify` — ``certify``: what the scalar model proves about a
  schedule on a whole input interval (sign, band, error, monotonicity, tail);
* :mod:`~gluon_ref.polar.catalogue` — presets shipped in public optimizer code, with sources;
* :mod:`~gluon_ref.polar.oracles` — AOL (Turbo-Muon), Dion's power iteration, Gram NS
  with restarts, held against ``U V^T``;
* :mod:`~gluon_ref.polar.bridge` — the inexact-LMO quantities ``delta`` and ``||O||``.

Imports run one way, ``schedules -> registry -> exact``.  The designer's names
(``design_polar_express``, ``remez_odd``, ...) load on first access (PEP 562):
the spectral norm imports this package, and importing a norm should not load
the Remez designer.  ``certify`` and ``Certificate`` load the same way (they need
``scipy.optimize``).
"""

import importlib

from .exact import polar_exact, rank_threshold
from .iterations import MUON_QUINTIC, NORMALIZATIONS, newton_schulz, normalize_input
from .lowprec import LowPrecision, round_to_bfloat16, round_to_float16
from .metrics import PolarErrors, polar_errors
from .registry import ORTHOGONALIZERS, get_orthogonalizer, register_orthogonalizer
from .scalar_model import (
    absorbing_band,
    compose,
    fixed_points,
    output_interval,
    predict,
    worst_case_error,
)
from .schedules import (
    SCHEDULE_FAMILIES,
    Schedule,
    ScheduleFamily,
    available_schedules,
    get_schedule,
    register_schedule,
)

__all__ = [
    "polar_exact",
    "rank_threshold",
    "newton_schulz",
    "normalize_input",
    "NORMALIZATIONS",
    "MUON_QUINTIC",
    "round_to_bfloat16",
    "round_to_float16",
    "LowPrecision",
    "certify",
    "Certificate",
    "polar_errors",
    "PolarErrors",
    "Schedule",
    "ScheduleFamily",
    "SCHEDULE_FAMILIES",
    "get_schedule",
    "register_schedule",
    "available_schedules",
    "design_polar_express",
    "published_recipe",
    "PolarExpressDesign",
    "optimal_cubic",
    "optimal_quintic",
    "remez_odd",
    "compose",
    "predict",
    "output_interval",
    "worst_case_error",
    "fixed_points",
    "absorbing_band",
    "ORTHOGONALIZERS",
    "get_orthogonalizer",
    "register_orthogonalizer",
]

#: names re-exported from a submodule that is imported only when one is first used
_LAZY = {name: ".polar_express" for name in (
    "PolarExpressDesign", "design_polar_express", "optimal_cubic", "optimal_quintic",
    "published_recipe", "remez_odd")}
_LAZY.update({name: ".certify" for name in ("Certificate", "certify")})


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
