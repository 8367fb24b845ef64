"""Base unit-ball geometries: a primal norm, its dual and the two maximisers.

A :class:`Geometry` is the unscaled part of a catalogue norm (LMOS.md section
2).  Every catalogue entry in :mod:`gluon_ref.norms` is one of these times a
shape-dependent factor, by the scaled-norm rule of LMOS.md section 1.

Each geometry provides four maps on a (pre-scaled, finite) array ``a``:

``primal(a)``          ``||a||``
``dual(s)``            ``||s||_* = sup_{||a|| <= 1} <s, a>``
``maximizer(s)``       a point ``x`` with ``||x|| = 1`` and ``<s, x> = ||s||_*``
                       (the positive direction ``s(S)`` of THEORY.md section 1)
``dual_maximizer(a)``  a point ``y`` with ``||y||_* = 1`` and ``<a, y> = ||a||``
                       (dual of dual, LMOS.md section 5 item 8)

Inputs are never zero here (the caller in :mod:`gluon_ref.norms` handles the
zero array), but individual columns, rows or entries may be, and those map to
zero blocks (LMOS.md section 3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from .backend import frobenius_norm
from .polar.exact import polar_exact, svd_working_dtype

__all__ = [
    "Geometry",
    "Euclidean",
    "EntryMax",
    "DualOf",
    "Spectral",
    "ColumnL2",
    "Transposed",
    "RowL1",
]


class Geometry:
    """Interface of a base geometry; see the module docstring."""

    name: str = "geometry"

    def primal(self, xp, a):  # pragma: no cover - interface
        raise NotImplementedError

    def dual(self, xp, s):  # pragma: no cover - interface
        raise NotImplementedError

    def maximizer(self, xp, s):  # pragma: no cover - interface
        raise NotImplementedError

    def dual_maximizer(self, xp, a):  # pragma: no cover - interface
        raise NotImplementedError


def _safe_divide(xp, num, den):
    """num / den with 0 where den == 0 (zero blocks map to zero blocks)."""
    ok = den > 0
    return xp.where(ok, num / xp.where(ok, den, xp.ones_like(den)), xp.zeros_like(num))


def _one_hot_flat(xp, a, index):
    """Array shaped like ``a`` with sign(a[index]) at the flat ``index`` and 0 elsewhere."""
    flat = xp.reshape(a, (-1,))
    hot = xp.arange(flat.shape[0], device=getattr(a, "device", None)) == index
    return xp.reshape(xp.where(hot, xp.sign(flat), xp.zeros_like(flat)), a.shape)


@dataclass(frozen=True)
class Euclidean(Geometry):
    """Entrywise l2 / Frobenius: ``||a||_2``, self-dual, ``s(S) = S / ||S||_2``."""

    name: str = "euclidean"

    def primal(self, xp, a):
        return frobenius_norm(a)

    dual = primal

    def maximizer(self, xp, s):
        return s / self.primal(xp, s)

    dual_maximizer = maximizer


@dataclass(frozen=True)
class EntryMax(Geometry):
    """Entrywise l_inf (max |a_ij|); dual: entrywise l1; ``s(S) = sign(S)``.

    ``sign(0) = 0`` is used at zero entries: any value in [-1, 1] is optimal
    there (LMOS.md section 3).  The dual maximiser (a vertex of the l1 ball)
    is placed at the first index of largest magnitude.
    """

    name: str = "entry_max"

    def primal(self, xp, a):
        return xp.max(xp.abs(a))

    def dual(self, xp, s):
        return xp.sum(xp.abs(s))

    def maximizer(self, xp, s):
        return xp.sign(s)

    def dual_maximizer(self, xp, a):
        return _one_hot_flat(xp, a, xp.argmax(xp.reshape(xp.abs(a), (-1,))))


@dataclass(frozen=True)
class DualOf(Geometry):
    """The dual geometry of ``base``: primal and dual (and their maximisers) swap.

    l1 is ``DualOf(EntryMax())`` and the nuclear norm is ``DualOf(Spectral())``.
    """

    base: Geometry = EntryMax()

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"dual({self.base.name})"

    def primal(self, xp, a):
        return self.base.dual(xp, a)

    def dual(self, xp, s):
        return self.base.primal(xp, s)

    def maximizer(self, xp, s):
        return self.base.dual_maximizer(xp, s)

    def dual_maximizer(self, xp, a):
        return self.base.maximizer(xp, a)


def _exact_polar_unchecked(a):
    return polar_exact(a, check=False)


@dataclass(frozen=True)
class Spectral(Geometry):
    """Spectral norm 2->2: ``sigma_max``; dual: nuclear ``sum sigma_i``; ``s(S) = U_r V_r^T``.

    ``orthogonalizer`` computes (an approximation of) ``U_r V_r^T``; the default
    is the exact polar factor from the SVD.  Norm values always use exact
    singular values, so an approximate orthogonalizer affects only the
    maximiser.  The dual maximiser is ``u_1 v_1^T`` (top singular pair).

    The orthogonalizer receives ``G / max|G_ij|`` (the catalogue's guard
    against overflow and underflow, see :mod:`gluon_ref.norms`).  Exact and
    scale-invariant methods are unaffected; for a Newton–Schulz schedule with
    ``s = ||X||_F + eps`` the ``eps`` then acts relative to ``max|G_ij|``, so
    for gradients with ``||G||_F`` near ``eps`` the result is the normalised
    iteration rather than reference Muon's damped one.  Call
    :func:`gluon_ref.polar.newton_schulz` directly for bit-level parity with a
    reference implementation.
    """

    orthogonalizer: Callable[[Any], Any] = _exact_polar_unchecked
    name: str = "spectral"

    @staticmethod
    def _svdvals(xp, a):
        return xp.linalg.svdvals(xp.astype(a, svd_working_dtype(xp, a.dtype)))

    def primal(self, xp, a):
        return xp.astype(xp.max(self._svdvals(xp, a)), a.dtype)

    def dual(self, xp, s):
        return xp.astype(xp.sum(self._svdvals(xp, s)), s.dtype)

    def maximizer(self, xp, s):
        q = self.orthogonalizer(s)
        # a user's orthogonalizer is checked like user input: wrong shape or NaN would
        # otherwise become a silent wrong step
        if not hasattr(q, "shape") or tuple(q.shape) != tuple(s.shape):
            raise ValueError(f"the orthogonalizer returned shape {tuple(getattr(q, 'shape', ()))} "
                             f"for an input of shape {tuple(s.shape)}; it must keep the shape")
        if not bool(xp.all(xp.isfinite(q))):
            raise ValueError(f"the orthogonalizer returned non-finite entries for a finite input "
                             f"of shape {tuple(s.shape)}")
        return xp.astype(q, s.dtype)

    def dual_maximizer(self, xp, a):
        work = xp.astype(a, svd_working_dtype(xp, a.dtype))
        u, _, vh = xp.linalg.svd(work, full_matrices=False)
        return xp.astype(u[:, :1] @ vh[:1, :], a.dtype)


@dataclass(frozen=True)
class ColumnL2(Geometry):
    """1->l2 operator norm: ``max_j ||A_:j||_2``; dual ``sum_j ||S_:j||_2``.

    Maximiser: every column normalised, ``S_:j / ||S_:j||_2``, zero columns
    stay zero.  Dual maximiser: all mass on the first column of largest l2
    norm, ``A_:j* / ||A_:j*||_2`` (LMOS.md section 5 item 8).
    """

    name: str = "column_l2"

    @staticmethod
    def _col_norms(xp, a):
        return frobenius_norm(a, axis=0, keepdims=True)

    def primal(self, xp, a):
        return xp.max(self._col_norms(xp, a))

    def dual(self, xp, s):
        return xp.sum(self._col_norms(xp, s))

    def maximizer(self, xp, s):
        return _safe_divide(xp, s, self._col_norms(xp, s))

    def dual_maximizer(self, xp, a):
        norms = self._col_norms(xp, a)
        j = xp.argmax(xp.reshape(norms, (-1,)))
        cols = xp.arange(a.shape[1], device=getattr(a, "device", None)) == j
        return xp.where(cols[None, :], a / xp.max(norms), xp.zeros_like(a))


@dataclass(frozen=True)
class Transposed(Geometry):
    """``base`` applied to ``A^T``: e.g. l2->inf (row norms) is ``Transposed(ColumnL2())``."""

    base: Geometry = ColumnL2()

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"transposed({self.base.name})"

    def primal(self, xp, a):
        return self.base.primal(xp, xp.matrix_transpose(a))

    def dual(self, xp, s):
        return self.base.dual(xp, xp.matrix_transpose(s))

    def maximizer(self, xp, s):
        return xp.matrix_transpose(self.base.maximizer(xp, xp.matrix_transpose(s)))

    def dual_maximizer(self, xp, a):
        return xp.matrix_transpose(self.base.dual_maximizer(xp, xp.matrix_transpose(a)))


@dataclass(frozen=True)
class RowL1(Geometry):
    """inf->inf operator norm: ``max_i sum_j |A_ij|``; dual ``sum_i max_j |S_ij|``.

    Maximiser: in each row, ``sign(S_ij*) e_j*`` at the first ``j*`` of largest
    ``|S_ij|`` (zero rows stay zero).  Dual maximiser: ``sign(A_i*:)`` in the
    first row of largest l1 sum.
    """

    name: str = "row_l1"

    def primal(self, xp, a):
        return xp.max(xp.sum(xp.abs(a), axis=1))

    def dual(self, xp, s):
        return xp.sum(xp.max(xp.abs(s), axis=1))

    def maximizer(self, xp, s):
        j = xp.argmax(xp.abs(s), axis=1, keepdims=True)
        cols = xp.arange(s.shape[1], device=getattr(s, "device", None))[None, :]
        return xp.where(cols == j, xp.sign(s), xp.zeros_like(s))

    def dual_maximizer(self, xp, a):
        i = xp.argmax(xp.sum(xp.abs(a), axis=1))
        rows = xp.arange(a.shape[0], device=getattr(a, "device", None))[:, None] == i
        return xp.where(rows, xp.sign(a), xp.zeros_like(a))
