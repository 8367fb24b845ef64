"""Named orthogonalizers: callables ``G -> approx U_r V_r^T`` usable by the spectral norms."""

from __future__ import annotations

from functools import partial
from typing import Any, Callable

from .exact import polar_exact
from .iterations import MUON_QUINTIC, newton_schulz

__all__ = ["ORTHOGONALIZERS", "get_orthogonalizer", "register_orthogonalizer"]

#: name -> callable(G) returning an (approximate) polar factor of G.
ORTHOGONALIZERS: dict[str, Callable[[Any], Any]] = {
    "exact": polar_exact,
    "svd": polar_exact,
    "muon": partial(newton_schulz, coefficients=MUON_QUINTIC, steps=5,
                    normalization="frobenius", eps=1e-7),
}


def register_orthogonalizer(name: str, fn: Callable[[Any], Any]) -> None:
    """Add ``fn`` under ``name`` (lower-case) to :data:`ORTHOGONALIZERS`."""
    if not callable(fn):
        raise TypeError(f"orthogonalizer {name!r} must be callable")
    ORTHOGONALIZERS[name.lower()] = fn


def get_orthogonalizer(name: str) -> Callable[[Any], Any]:
    """The orthogonalizer registered as ``name``; ``ValueError`` lists the valid names."""
    key = str(name).strip().lower()
    if key not in ORTHOGONALIZERS:
        raise ValueError(
            f"unknown orthogonalizer {name!r}; valid names: {', '.join(sorted(ORTHOGONALIZERS))}"
        )
    return ORTHOGONALIZERS[key]
