"""Base unit-ball geometries: a primal norm, its dual and the two maximisers.

A :class:`Geometry` is the unscaled part of a catalogue norm (docs/norms.md section
2).  Every catalogue entry in :mod:`gluon_ref.norms` is one of these times a
shape-dependent factor, by the scaled-norm rule of docs/norms.md section 1.

Each geometry provides four maps on a (pre-scaled, finite) array ``a``:

``primal(a)``          ``||a||``
``dual(s)``            ``||s||_* = sup_{||a|| <= 1} <s, a>``
``maximizer(s)``       a point ``x`` with ``||x|| = 1`` and ``<s, x> = ||s||_*``
                       (the positive direction ``s(S)`` of docs/theory.md section 1)
``dual_maximizer(a)``  a point ``y`` with ``||y||_* = 1`` and ``<a, y> = ||a||``
                       (dual of dual, docs/norms.md section 5 item 8)

Inputs are never zero here (the caller in :mod:`gluon_ref.norms` handles the
zero array), but individual columns, rows or entries may be, and those map to
zero blocks (docs/norms.md section 3).

Each geometry is also the one record of the facts about its norm that the
rest of the library derives constants from (nothing dispatches on names):

``comparison(m, n)``      exact constants against the Frobenius, spectral and
                          nuclear norms on ``m x n`` matrices (:class:`Comparison`)
``quadratic(kind, M, m, n)``
                          ``q* = max_{||D|| <= 1} <D, A(D)>`` for a PSD operator
                          (:mod:`gluon_ref.quadforms`)
``absolute``              ``||D||`` depends on ``|D|`` only (entrywise)
``orthogonalizable``      the maximiser is a polar factor, which an
                          orthogonalizer may replace (:meth:`with_orthogonalizer`)
``uses_svd``              the maps compute singular values or vectors (their
                          rounding error is that of an SVD)
``transposed()``          the geometry of ``D -> ||D^T||``

:class:`DualOf` and :class:`Transposed` derive all of these from their base.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .backend import frobenius_norm
from .polar.exact import polar_exact, svd_working_dtype
from .quadforms import KINDS, QuadConstant, sdp_maxqp_bound

__all__ = [
    "Comparison",
    "Geometry",
    "Euclidean",
    "EntryMax",
    "DualOf",
    "Spectral",
    "ColumnL2",
    "Transposed",
    "RowL1",
]


@dataclass(frozen=True)
class Comparison:
    """Exact (attained) constants between a norm ``N`` and the Schatten norms on ``m x n``.

    ``fro_over_norm = sup ||D||_F / N(D)``          (``kappa``: ``||D||_F <= kappa N(D)``)
    ``norm_over_fro = sup N(D) / ||D||_F``
    ``spectral_over_norm = sup ||D||_2 / N(D)``     (``nu``: ``||D||_2 <= nu N(D)``)
    ``norm_over_nuclear = sup N(D) / ||D||_nuc``

    Duality (:meth:`dual`): if ``N(D) <= a ||D||_F`` for all ``D`` then ``N*(G)
    = sup_{N(D) <= 1} <G, D> >= sup_{||D||_F <= 1/a} <G, D> = ||G||_F / a``,
    i.e. ``||G||_F <= a N*(G)``, and by the same argument with the roles of
    the norms exchanged (``N** = N``) the constants are equal; the spectral and
    nuclear norms are dual to each other in the same way.  So the dual norm's
    ``fro_over_norm`` is ``norm_over_fro`` and its ``spectral_over_norm`` is
    ``norm_over_nuclear`` (docs/norms.md section 5 item 7), and vice versa.
    """

    fro_over_norm: float
    norm_over_fro: float
    spectral_over_norm: float
    norm_over_nuclear: float

    def dual(self) -> "Comparison":
        """The constants of the dual norm ``N*`` (class docstring)."""
        return Comparison(self.norm_over_fro, self.fro_over_norm,
                          self.norm_over_nuclear, self.spectral_over_norm)

    def scaled(self, c: float) -> "Comparison":
        """The constants of ``c N`` (``c > 0``)."""
        return Comparison(self.fro_over_norm / c, self.norm_over_fro * c,
                          self.spectral_over_norm / c, self.norm_over_nuclear * c)


class Geometry:
    """Interface of a base geometry; see the module docstring."""

    name: str = "geometry"
    #: ``||D||`` depends on ``|D|`` only (then it is monotone in ``|D|`` too, Bauer, Stoer
    #: and Witzgall 1961), and ``||E_ij|| = 1`` for every unit entry
    absolute: bool = False
    #: the maximiser is a polar factor ``U_r V_r^T`` that an orthogonalizer may replace
    orthogonalizable: bool = False
    #: the maps compute singular values or vectors
    uses_svd: bool = False

    def primal(self, xp, a):  # pragma: no cover - interface
        raise NotImplementedError

    def dual(self, xp, s):  # pragma: no cover - interface
        raise NotImplementedError

    def maximizer(self, xp, s):  # pragma: no cover - interface
        raise NotImplementedError

    def dual_maximizer(self, xp, a):  # pragma: no cover - interface
        raise NotImplementedError

    # -- constants (NumPy, float64) -------------------------------------------------
    def comparison(self, m: int, n: int) -> Comparison:
        """Exact comparison constants on ``m x n`` matrices (:class:`Comparison`)."""
        raise NotImplementedError(f"geometry {self.name!r} states no comparison constants")

    def quadratic(self, kind: str, M: np.ndarray, m: int, n: int) -> QuadConstant:
        """``q* = max_{||D|| <= 1} <D, A(D)>`` (a bound, with its tightness) on ``m x n``.

        ``kind`` is ``"left"`` (``A(D) = M D``), ``"right"`` (``A(D) = D M``) or
        ``"elementwise"`` (``A(D) = M * D``, ``M`` of shape ``(m, n)``); ``M`` is a
        validated PSD (resp. non-negative) float64 matrix.  The rules and their
        derivations are in :mod:`gluon_ref.quadforms`.
        """
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        if kind == "left":
            return self._left(M, m, n)
        if kind == "right":
            return self._right(M, m, n)
        return self._elementwise(M)

    def _left(self, H, m, n) -> QuadConstant:
        raise NotImplementedError(f"geometry {self.name!r} states no quadratic constants")

    def _right(self, K, m, n) -> QuadConstant:
        # <D, D K> = <D^T, K D^T>: left multiplication in the transposed geometry; the
        # transposition-invariant geometries are their own transpose, the others override.
        t = self.transposed()
        if t == self:
            return t._left(K, n, m)
        raise NotImplementedError(f"geometry {self.name!r} states no right-multiplication constant")

    def _elementwise(self, W) -> QuadConstant:
        raise NotImplementedError(f"geometry {self.name!r} states no quadratic constants")

    def _dual_left(self, H, m, n) -> QuadConstant:
        """Left rule of :class:`DualOf` this geometry (its extreme points are this one's atoms)."""
        raise NotImplementedError(f"the dual of {self.name!r} states no quadratic constants")

    def _dual_elementwise(self, W) -> QuadConstant:
        raise NotImplementedError(f"the dual of {self.name!r} states no quadratic constants")

    # -- related geometries ---------------------------------------------------------------
    def transposed(self) -> "Geometry":
        """The geometry ``D -> ||D^T||`` (the geometry itself when that is the same norm)."""
        return Transposed(self)

    def with_orthogonalizer(self, orthogonalizer: Callable[[Any], Any]) -> "Geometry":
        """Same geometry with ``orthogonalizer`` computing the polar factor (if orthogonalizable)."""
        raise ValueError(f"geometry {self.name!r} has no polar-factor maximiser to replace")


_TWO_OVER_PI = 2.0 / math.pi


def _lam_max(H) -> float:
    return float(max(np.linalg.eigvalsh(H)[-1], 0.0))


def _sdp_rows(H, m, n) -> QuadConstant:
    """Rows in the l2 ball: ``SDP(H)``, exact as a relaxation when ``n >= m``."""
    note = ("SDP(H) = min_d sum d + m lambda_max(H - diag d), exact relaxation as n >= m"
            if n >= m else "SDP(H); within pi/2 (Nesterov)")
    return QuadConstant(sdp_maxqp_bound(H), _TWO_OVER_PI, note)  # proved guarantee 2/pi


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

    absolute = True

    def comparison(self, m, n):
        # ||D||_2 <= ||D||_F <= ||D||_nuc, equalities at rank one
        return Comparison(1.0, 1.0, 1.0, 1.0)

    def _left(self, H, m, n):
        return QuadConstant(_lam_max(H), 1.0, "lambda_max(H)")

    def _elementwise(self, W):
        return QuadConstant(float(W.max()), 1.0, "max W")

    def transposed(self):
        return self


@dataclass(frozen=True)
class EntryMax(Geometry):
    """Entrywise l_inf (max |a_ij|); dual: entrywise l1; ``s(S) = sign(S)``.

    ``sign(0) = 0`` is used at zero entries: any value in [-1, 1] is optimal
    there (docs/norms.md section 3).  The dual maximiser (a vertex of the l1 ball)
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

    absolute = True

    def comparison(self, m, n):
        # ||D||_2 <= ||D||_F <= sqrt(mn) max|D_ij| (all-ones D: ||J||_2 = ||J||_F = sqrt(mn));
        # |D_ij| = |<e_i, D e_j>| <= ||D||_2 <= ||D||_F, ||D||_nuc (a single entry attains)
        s = math.sqrt(m * n)
        return Comparison(s, 1.0, s, 1.0)

    def _left(self, H, m, n):
        return QuadConstant(n * sdp_maxqp_bound(H), _TWO_OVER_PI, "n SDP(H); within pi/2 (Nesterov)")

    def _elementwise(self, W):
        return QuadConstant(float(W.sum()), 1.0, "sum W")

    def _dual_left(self, H, m, n):  # l1: vertices +-E_ij
        return QuadConstant(float(np.max(np.diag(H))), 1.0, "max_i H_ii (vertices +-e_ij)")

    def _dual_elementwise(self, W):
        return QuadConstant(float(W.max()), 1.0, "max W")

    def transposed(self):
        return self


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

    @property
    def absolute(self) -> bool:  # type: ignore[override]
        return self.base.absolute  # the dual of an absolute norm is absolute

    @property
    def uses_svd(self) -> bool:  # type: ignore[override]
        return self.base.uses_svd

    # orthogonalizable stays False: the dual maximiser of a polar-factor geometry is a
    # top singular pair (nuclear norm), not a polar factor.

    def comparison(self, m, n):
        return self.base.comparison(m, n).dual()

    def _left(self, H, m, n):
        return self.base._dual_left(H, m, n)

    def _elementwise(self, W):
        return self.base._dual_elementwise(W)

    def transposed(self):
        t = self.base.transposed()
        return self if t == self.base else DualOf(t)


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

    orthogonalizable = True
    uses_svd = True

    def comparison(self, m, n):
        # ||D||_F^2 = sum sigma_i^2 <= min(m, n) sigma_max^2 (semi-orthogonal D attains);
        # sigma_max <= ||D||_F <= ||D||_nuc with equality at rank one
        return Comparison(math.sqrt(min(m, n)), 1.0, 1.0, 1.0)

    def _left(self, H, m, n):
        lam = np.linalg.eigvalsh(H)
        q = float(np.clip(lam[::-1][: min(m, n)], 0, None).sum())
        return QuadConstant(q, 1.0, "sum of top min(m,n) eigenvalues (Ky Fan)")

    def _elementwise(self, W):
        from scipy.optimize import linear_sum_assignment

        r, c = linear_sum_assignment(W, maximize=True)
        return QuadConstant(float(W[r, c].sum()), 1.0, "max-weight assignment of W")

    def _dual_left(self, H, m, n):  # nuclear: extreme points u v^T
        return QuadConstant(_lam_max(H), 1.0, "lambda_max(H) (rank-one extreme points)")

    def _dual_elementwise(self, W):
        return QuadConstant(float(W.max()), 1.0, "max W")

    def transposed(self):
        return self  # sigma(D^T) = sigma(D); the polar factor of D^T is polar(D)^T

    def with_orthogonalizer(self, orthogonalizer):
        return Spectral(orthogonalizer=orthogonalizer)


@dataclass(frozen=True)
class ColumnL2(Geometry):
    """1->l2 operator norm: ``max_j ||A_:j||_2``; dual ``sum_j ||S_:j||_2``.

    Maximiser: every column normalised, ``S_:j / ||S_:j||_2``, zero columns
    stay zero.  Dual maximiser: all mass on the first column of largest l2
    norm, ``A_:j* / ||A_:j*||_2`` (docs/norms.md section 5 item 8).
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

    absolute = True

    def comparison(self, m, n):
        # ||D||_F^2 = sum_j ||D_:j||^2 <= n max_j ||D_:j||^2 and ||D||_2 <= ||D||_F (u 1^T
        # with ||u|| = 1 attains both); ||D_:j|| = ||D e_j|| <= ||D||_2 <= ||D||_F, ||D||_nuc
        s = math.sqrt(n)
        return Comparison(s, 1.0, s, 1.0)

    def _left(self, H, m, n):
        return QuadConstant(n * _lam_max(H), 1.0, "n lambda_max(H) (unit columns)")

    def _right(self, K, m, n):
        return _sdp_rows(K, n, m)  # the columns of D are the rows of D^T

    def _elementwise(self, W):
        return QuadConstant(float(W.max(axis=0).sum()), 1.0, "sum_j max_i W_ij")


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

    @property
    def absolute(self) -> bool:  # type: ignore[override]
        return self.base.absolute

    @property
    def orthogonalizable(self) -> bool:  # type: ignore[override]
        return self.base.orthogonalizable

    @property
    def uses_svd(self) -> bool:  # type: ignore[override]
        return self.base.uses_svd

    def comparison(self, m, n):
        # ||D^T||_F = ||D||_F and the same for the spectral and nuclear norms
        return self.base.comparison(n, m)

    def _left(self, H, m, n):
        return self.base._right(H, n, m)  # <D, H D> = <D^T, D^T H>

    def _right(self, K, m, n):
        return self.base._left(K, n, m)

    def _elementwise(self, W):
        q = self.base._elementwise(W.T)
        return QuadConstant(q.value, q.tightness, f"{q.note} of W^T")

    def transposed(self):
        return self.base

    def with_orthogonalizer(self, orthogonalizer):
        return Transposed(self.base.with_orthogonalizer(orthogonalizer))


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

    absolute = True

    def comparison(self, m, n):
        # per row ||r||_2 <= ||r||_1 <= sqrt(n) ||r||_2, so ||D||_F <= sqrt(m) N(D) (one
        # +-1 per row attains) and N(D) <= sqrt(n) ||D||_F (one all-ones row attains);
        # ||D x||_2 <= sqrt(m) ||D x||_inf <= sqrt(m) N(D) ||x||_inf <= sqrt(m) N(D) ||x||_2
        # (1 e_1^T attains); sum_j |D_ij| = <D, e_i s^T> <= ||D||_nuc ||e_i s^T||_2 =
        # sqrt(n) ||D||_nuc with s = sign(D_i:) (e_1 1^T attains)
        return Comparison(math.sqrt(m), math.sqrt(n), math.sqrt(m), math.sqrt(n))

    def _left(self, H, m, n):
        return QuadConstant(sdp_maxqp_bound(H), _TWO_OVER_PI,
                            "SDP(H) (rows in the l1 ball); within pi/2 (Nesterov)")

    def _right(self, K, m, n):
        return QuadConstant(m * float(np.max(np.diag(K))), 1.0,
                            "m max_k K_kk (rows at vertices +-e_k)")

    def _elementwise(self, W):
        return QuadConstant(float(W.max(axis=1).sum()), 1.0, "sum_i max_j W_ij")
