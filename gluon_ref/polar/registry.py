"""Named orthogonalizers: callables ``G -> approx U_r V_r^T`` usable by the spectral norms.

``ORTHOGONALIZERS`` maps a lower-case name to a callable.  It holds the exact
polar factor (``"exact"``, ``"svd"``: :func:`~gluon_ref.polar.exact.polar_exact`)
and one :class:`~gluon_ref.polar.schedules.Schedule` per schedule family at
its default number of steps (``"cubic"``, ``"pade"``, ``"pade7"``,
``"kj_comparison"``, ``"muon"``, ``"muon_torch"``, ``"you5"``, ``"you6"``,
``"polar_express"``, ``"polar_express_nanogpt"``, ``"polar_express_paper"``,
``"polar_express_gram"``; see :mod:`gluon_ref.polar.schedules`), so
``get_norm("spectral", orthogonalizer="polar_express")`` works.  Other step
counts: ``get_norm("spectral", orthogonalizer=get_schedule("cubic", 30))``.
"""

from __future__ import annotations

from typing import Any, Callable

from .exact import polar_exact

__all__ = ["ORTHOGONALIZERS", "get_orthogonalizer", "register_orthogonalizer"]

#: name -> callable(G) returning an (approximate) polar factor of G.
ORTHOGONALIZERS: dict[str, Callable[[Any], Any]] = {
    "exact": polar_exact,
    "svd": polar_exact,
}


def register_orthogonalizer(name: str, fn: Callable[[Any], Any]) -> None:
    """Add ``fn`` under ``name`` (lower-case) to :data:`ORTHOGONALIZERS`."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"orthogonalizer name must be a non-empty string, got {name!r}")
    if not callable(fn):
        raise TypeError(f"orthogonalizer {name!r} must be callable")
    ORTHOGONALIZERS[name.strip().lower()] = fn


def get_orthogonalizer(name: str) -> Callable[[Any], Any]:
    """The orthogonalizer registered as ``name``; ``ValueError`` lists the valid names."""
    key = str(name).strip().lower()
    if key not in ORTHOGONALIZERS:
        raise ValueError(
            f"unknown orthogonalizer {name!r}; valid names: {', '.join(sorted(ORTHOGONALIZERS))}"
        )
    return ORTHOGONALIZERS[key]


def _register_builtin_schedules() -> None:
    from .schedules import SCHEDULE_FAMILIES

    for fam in SCHEDULE_FAMILIES.values():
        register_orthogonalizer(fam.name, fam.build(fam.default_steps))


_register_builtin_schedules()
