"""Named orthogonalizers: the one registry of callables ``G -> approx U_r V_r^T``.

``ORTHOGONALIZERS`` maps a lower-case name to a callable; every entry,
built-in or user-supplied, goes in through :func:`register_orthogonalizer`.
This module registers the exact polar factor (``"exact"``, ``"svd"``:
:func:`~gluon_ref.polar.exact.polar_exact`);
:mod:`gluon_ref.polar.schedules` registers each Newton–Schulz schedule family
through :func:`~gluon_ref.polar.schedules.register_schedule`, which calls
:func:`register_orthogonalizer` with the family itself (called on a matrix, a
family runs its default number of steps).  So
``get_norm("spectral", orthogonalizer="polar_express")`` works, and other step
counts are ``get_norm("spectral", orthogonalizer=get_schedule("cubic", 30))``.

Imports run one way: ``schedules`` imports this module, never the reverse.
"""

from __future__ import annotations

from typing import Any, Callable

from .exact import polar_exact

__all__ = ["ORTHOGONALIZERS", "get_orthogonalizer", "register_orthogonalizer"]

#: name -> callable(G) returning an (approximate) polar factor of G.
ORTHOGONALIZERS: dict[str, Callable[[Any], Any]] = {}


def _key(name: Any) -> str:
    return str(name).strip().lower()


def register_orthogonalizer(name: str, fn: Callable[[Any], Any]) -> None:
    """Add ``fn`` under ``name`` (lower-case) to :data:`ORTHOGONALIZERS`, replacing any entry."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"orthogonalizer name must be a non-empty string, got {name!r}")
    if not callable(fn):
        raise TypeError(f"orthogonalizer {name!r} must be callable, got {type(fn).__name__}")
    ORTHOGONALIZERS[_key(name)] = fn


def get_orthogonalizer(name: str) -> Callable[[Any], Any]:
    """The orthogonalizer registered as ``name``; ``ValueError`` lists the valid names."""
    key = _key(name)
    if key not in ORTHOGONALIZERS:
        raise ValueError(
            f"unknown orthogonalizer {name!r}; valid names: {', '.join(sorted(ORTHOGONALIZERS))}"
        )
    return ORTHOGONALIZERS[key]


register_orthogonalizer("exact", polar_exact)
register_orthogonalizer("svd", polar_exact)
