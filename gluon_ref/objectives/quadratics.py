"""Separable quadratics with exact or provably valid layer-wise smoothness constants.

Each layer term is ``f_i(X) = 1/2 <X - C, A(X - C)> + f0`` with a
self-adjoint positive semidefinite operator ``A`` of one of three kinds:

* ``"left"``:        ``A(D) = H D``  (H symmetric PSD, m x m);
* ``"right"``:       ``A(D) = D K``  (K symmetric PSD, n x n), e.g. least squares
  ``1/(2N) ||(X - C) Z||_F^2`` with ``K = Z Z^T / N`` (:class:`LeastSquaresLayer`);
* ``"elementwise"``: ``A(D) = W * D`` (W >= 0 entrywise).

Its gradient is ``A(X - C)``, so ``grad f_i(X) - grad f_i(Y) = A(X - Y)`` and
the *best* constant of Assumption 1 (THEORY.md section 4, with ``L1 = 0``) is

    L0* = sup_{D != 0} ||A(D)||_* / ||D||  =  q* := max_{||D|| <= 1} <D, A(D)>.       (Q)

Proof of (Q): ``>=``: ``||A D||_* >= <A D, D>`` for ``||D|| = 1``.  ``<=``:
``||A D||_* = sup_{||E||<=1} <A D, E> <= sup sqrt(<A D, D><A E, E>) <= q*``
(Cauchy-Schwarz for the PSD form ``<A ., .>``).  ``q*`` maximises a convex
function over a convex compact set, so it is attained at an extreme point of
the unit ball (Bauer's maximum principle).  Evaluating on the extreme points
gives the table below (base norms; a scaled norm ``c ||.||_base`` divides
``q*`` by ``c^2``, LMOS.md section 1).  ``m x n`` is the matrix view (vectors:
``n = 1``):

==============  ===========================  =================================  =========
base norm       left H                       elementwise W                      tight
==============  ===========================  =================================  =========
Frobenius       lambda_max(H)                max W                              exact
spectral        sum of top min(m,n) eig(H)   max-weight assignment of W         exact
nuclear         lambda_max(H)                max W                              exact
entrywise l1    max_i H_ii                   max W                              exact
1->l2 (col)     n lambda_max(H)              sum_j max_i W_ij                   exact
l2->inf (row)   SDP bound (below)            sum_i max_j W_ij                   >= 2/pi
entrywise max   n * SDP bound                sum W                              >= 2/pi
==============  ===========================  =================================  =========

``"right"`` with K is ``"left"`` on ``D^T`` with the transposed norm (col and
row swap, ``m`` and ``n`` swap).

Derivations of the entries:

* spectral, left: extreme points are semi-orthogonal ``Q``; ``<Q, H Q> =
  tr(H Q Q^T)`` and ``Q Q^T`` is an orthogonal projector of rank
  ``min(m, n)``, so by Ky Fan the maximum is the sum of the top ``min(m, n)``
  eigenvalues, attained by the top eigenvectors.
* spectral, elementwise: for semi-orthogonal ``Q`` (``m <= n``) the matrix
  ``P = Q * Q`` is entrywise >= 0 with unit row sums and column sums <= 1, a
  polytope whose vertices are partial assignments (totally unimodular); so
  ``<W, P>`` is at most the max-weight assignment, attained by the
  corresponding partial permutation matrix (which is semi-orthogonal).
* row (l2->inf), left: ``<D, H D> = <H, G>`` with the Gram matrix ``G = D D^T``
  (PSD, unit diagonal at extreme points, rank <= n).  For any ``d`` in R^m,
  ``y = d + lambda_max(H - diag d) 1`` satisfies ``diag(y) >= H`` (Loewner),
  hence ``<H, G> <= <diag y, G> = sum y`` (and ``y >= diag H >= 0``).  So
  ``SDP(H) := min_d sum(d) + m lambda_max(H - diag d)`` is a valid bound for
  *every* ``d`` (``d = 0`` gives ``m lambda_max(H)``); we minimise this convex
  function numerically and add a rounding margin.  It equals the semidefinite
  relaxation, which is exact when ``n >= m`` and within a factor ``pi/2`` in
  general (Nesterov 1998, "Semidefinite relaxation and nonconvex quadratic
  optimization", PSD case).
* entrywise max, left: the columns are independent vectors in the cube,
  ``sum_j d_j^T H d_j <= n max_{|d| <= 1} d^T H d <= n SDP(H)``, same ``2/pi``.
* elementwise rows: ``sum_ij W_ij D_ij^2`` with ``sum_j D_ij^2 <= 1`` per row
  (for row), per column (col), ``|D_ij| <= 1`` (entrywise max), ``sum D^2 <= 1``
  (Frobenius, nuclear's rank-one extreme points give ``p^T W q`` with p, q in
  the simplex, l1's vertices single entries): the maxima stated.

Sources: THEORY.md section 4 (Assumption 1), LMOS.md sections 1 and 5.7;
Gluon, arXiv 2505.13416.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..norms import _matrix_shape, get_norm
from .comparisons import base_geometry
from .constants import LayerConstants
from .separable import LayerTerm, SeparableObjective

__all__ = [
    "QuadConstant",
    "quadratic_constant",
    "sdp_maxqp_bound",
    "QuadraticLayer",
    "LeastSquaresLayer",
    "random_psd",
    "random_quadratic_layer",
    "separable_quadratic",
    "quadratic_zoo",
]

KINDS = ("left", "right", "elementwise")
_TWO_OVER_PI = 2.0 / math.pi


@dataclass(frozen=True)
class QuadConstant:
    """``q*`` bound (already divided by ``c^2``), its proved tightness and derivation."""

    value: float
    tightness: float
    note: str


def _check_psd(M: np.ndarray, what: str) -> np.ndarray:
    M = np.asarray(M, dtype=np.float64)
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        raise ValueError(f"{what} must be a square matrix, got shape {M.shape}")
    if not np.all(np.isfinite(M)):
        raise ValueError(f"{what} has non-finite entries")
    if not np.allclose(M, M.T, rtol=1e-12, atol=1e-12 * max(1.0, np.abs(M).max())):
        raise ValueError(f"{what} must be symmetric")
    M = (M + M.T) / 2
    lam = np.linalg.eigvalsh(M)
    if lam[0] < -1e-10 * max(1.0, abs(lam[-1])):
        raise ValueError(f"{what} must be positive semidefinite, smallest eigenvalue {lam[0]:.3e}")
    return M


def sdp_maxqp_bound(H: np.ndarray) -> float:
    """Valid upper bound on ``max {<H, G> : G PSD, diag(G) <= 1}`` for PSD ``H``.

    ``SDP(H) = min_d sum(d) + m lambda_max(H - diag d)`` (module docstring):
    every ``d`` gives a valid bound, the minimiser gives the semidefinite
    relaxation value.  Minimised by L-BFGS-B (gradient ``1 - m v*v`` with the
    top eigenvector ``v``) from ``d = 0`` and from the Gershgorin choice; the
    final eigenvalue is recomputed and a rounding margin
    ``8 m^2 eps ||H||_F`` (bounding eigvalsh's backward error) is added.
    """
    from scipy.optimize import minimize

    H = _check_psd(H, "H")
    m = H.shape[0]
    scale = float(np.abs(H).max())
    if scale == 0:
        return 0.0
    Hs = H / scale

    def phi(d):
        w, v = np.linalg.eigh(Hs - np.diag(d))
        top = v[:, -1]
        return d.sum() + m * w[-1], 1.0 - m * top * top

    starts = [np.zeros(m), np.diag(Hs) + np.abs(Hs - np.diag(np.diag(Hs))).sum(axis=1)]
    best_d, best = None, math.inf
    for d0 in starts:
        res = minimize(phi, d0, jac=True, method="L-BFGS-B",
                       options={"maxiter": 500, "gtol": 1e-12, "ftol": 1e-15})
        val = phi(res.x)[0]
        if val < best:
            best, best_d = val, res.x
        if phi(d0)[0] < best:
            best, best_d = phi(d0)[0], d0
    lam = float(np.linalg.eigvalsh(Hs - np.diag(best_d))[-1])
    eps = np.finfo(np.float64).eps
    margin = 8 * m * m * eps * float(np.linalg.norm(Hs))
    bound = float(best_d.sum() + m * (lam + margin))
    return bound * scale


def quadratic_constant(kind: str, M: np.ndarray, shape, norm) -> QuadConstant:
    """``q* = max_{||D|| <= 1} <D, A(D)>`` (bound) for ``A`` of ``kind`` with matrix ``M``.

    See the module docstring for the table and its derivations.  ``norm`` is a
    catalogue name or :class:`~gluon_ref.norms.Norm`; ``shape`` the block shape.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    n_obj = get_norm(norm)
    shape = tuple(int(s) for s in shape)
    base = base_geometry(n_obj)
    c = n_obj.scale(shape)
    m, n = _matrix_shape(shape)
    if kind == "right":
        if len(shape) != 2:
            raise ValueError("kind 'right' needs a 2-D block")
        base = {"col": "row", "row": "col"}.get(base, base)
        m, n = n, m
        kind = "left"
    M = np.asarray(M, dtype=np.float64)
    if kind == "left":
        H = _check_psd(M, "H")
        if H.shape[0] != m:
            raise ValueError(f"operator matrix has size {H.shape[0]}, block needs {m}")
        lam = np.linalg.eigvalsh(H)
        lam_max = float(max(lam[-1], 0.0))
        if base == "fro":
            q, t, note = lam_max, 1.0, "lambda_max(H)"
        elif base == "nuclear":
            q, t, note = lam_max, 1.0, "lambda_max(H) (rank-one extreme points)"
        elif base == "spectral":
            q = float(np.clip(lam[::-1][: min(m, n)], 0, None).sum())
            t, note = 1.0, "sum of top min(m,n) eigenvalues (Ky Fan)"
        elif base == "l1":
            q, t, note = float(np.max(np.diag(H))), 1.0, "max_i H_ii (vertices +-e_ij)"
        elif base == "col":
            q, t, note = n * lam_max, 1.0, "n lambda_max(H) (unit columns)"
        elif base == "row":
            q = sdp_maxqp_bound(H)
            t = _TWO_OVER_PI  # proved guarantee; the relaxation is exact when n >= m
            note = ("SDP(H) = min_d sum d + m lambda_max(H - diag d), exact relaxation as n >= m"
                    if n >= m else "SDP(H); within pi/2 (Nesterov)")
        elif base == "entrymax":
            q = n * sdp_maxqp_bound(H)
            t, note = _TWO_OVER_PI, "n SDP(H); within pi/2 (Nesterov)"
        else:  # pragma: no cover - base_geometry restricts the keys
            raise ValueError(base)
    else:
        W = M
        if W.shape != (m, n) and W.shape != shape:
            raise ValueError(f"weight matrix has shape {W.shape}, block needs {shape}")
        W = W.reshape(m, n)
        if np.any(W < 0) or not np.all(np.isfinite(W)):
            raise ValueError("elementwise weights must be finite and >= 0")
        if base in ("fro", "nuclear", "l1"):
            q, t, note = float(W.max()), 1.0, "max W"
        elif base == "spectral":
            from scipy.optimize import linear_sum_assignment

            r, cidx = linear_sum_assignment(W, maximize=True)
            q, t, note = float(W[r, cidx].sum()), 1.0, "max-weight assignment of W"
        elif base == "col":
            q, t, note = float(W.max(axis=0).sum()), 1.0, "sum_j max_i W_ij"
        elif base == "row":
            q, t, note = float(W.max(axis=1).sum()), 1.0, "sum_i max_j W_ij"
        elif base == "entrymax":
            q, t, note = float(W.sum()), 1.0, "sum W"
        else:  # pragma: no cover
            raise ValueError(base)
    return QuadConstant(q / (c * c), t, f"{note}, divided by c^2 = {c * c:.6g}")


class QuadraticLayer(LayerTerm):
    """``f(X) = 1/2 <X - C, A(X - C)> + f0`` with ``A`` left/right/elementwise PSD.

    ``grad f = A(X - C)``; ``H V = A(V)``; minimiser ``C``, optimum ``f0``.
    Constants: ``(L0, L1) = (q*, 0)`` of :func:`quadratic_constant` (module
    docstring), valid for all ``X, Y`` (radius infinite), tightness as tabulated.
    """

    kind = "quadratic"

    def __init__(self, kind: str, matrix, center, norm: str, offset: float = 0.0):
        center = np.asarray(center, dtype=np.float64)
        super().__init__(center.shape, norm)
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        if kind == "right" and center.ndim != 2:
            raise ValueError("kind 'right' needs a 2-D block")
        self.op = kind
        M = np.asarray(matrix, dtype=np.float64)
        if kind == "elementwise":
            if M.shape != center.shape:
                raise ValueError(f"W has shape {M.shape}, expected {center.shape}")
            if np.any(M < 0) or not np.all(np.isfinite(M)):
                raise ValueError("elementwise weights must be finite and >= 0")
        else:
            M = _check_psd(M, "H" if kind == "left" else "K")
            need = center.shape[0] if kind == "left" else center.shape[1]
            if M.shape[0] != need:
                raise ValueError(f"{kind} operator must be {need}x{need}, got {M.shape}")
        self.M = M
        self.center = center
        self.offset = float(offset)
        self.lower_bound = self.optimum = self.offset
        self._const = quadratic_constant(kind, M, center.shape, norm)

    @property
    def constants(self) -> LayerConstants:
        q = self._const
        return LayerConstants(q.value, 0.0, math.inf, None, q.tightness,
                              f"quadratic ({self.op}): {q.note}")

    def apply(self, xp, like, D):
        """``A(D)``."""
        M = self._data(xp, like, "M", self.M)
        if self.op == "left":
            return M @ D
        if self.op == "right":
            return D @ M
        return M * D

    def value_grad(self, xp, x, batch=None):
        D = x - self._data(xp, x, "C", self.center)
        AD = self.apply(xp, x, D)
        return 0.5 * xp.sum(D * AD) + self.offset, AD

    def hvp(self, xp, x, v, batch=None):
        return self.apply(xp, x, v)

    def describe(self) -> str:
        return f"quadratic[{self.op}] {self.shape} in {self.norm}"


class LeastSquaresLayer(LayerTerm):
    """Least squares ``f(X) = 1/(2N) sum_s ||(X - C) z_s||_2^2`` (a finite sum over N samples).

    Equals :class:`QuadraticLayer` ``"right"`` with ``K = Z Z^T / N`` (``Z`` is
    ``n x N``, samples as columns).  Minibatch ``b``: ``1/(2|b|) ||(X-C) Z_b||^2``,
    gradient ``(X - C) Z_b Z_b^T / |b|``, an unbiased estimate of the full one
    for uniformly drawn batches.  Minimiser ``C`` (the teacher), optimum 0.
    """

    kind = "least_squares"

    def __init__(self, Z, center, norm: str):
        center = np.asarray(center, dtype=np.float64)
        if center.ndim != 2:
            raise ValueError("least squares needs a 2-D block")
        super().__init__(center.shape, norm)
        Z = np.asarray(Z, dtype=np.float64)
        if Z.ndim != 2 or Z.shape[0] != center.shape[1]:
            raise ValueError(f"Z must be (d_in={center.shape[1]}, N), got {Z.shape}")
        self.Z = Z
        self.center = center
        self.n_samples = Z.shape[1]
        self.K = Z @ Z.T / Z.shape[1]
        self.lower_bound = self.optimum = 0.0
        self._const = quadratic_constant("right", self.K, center.shape, norm)

    @property
    def constants(self) -> LayerConstants:
        q = self._const
        return LayerConstants(q.value, 0.0, math.inf, None, q.tightness,
                              f"least squares, K = Z Z^T/N: {q.note}")

    def value_grad(self, xp, x, batch=None):
        [Zb] = self._samples(xp, x, batch, Z=self.Z)
        nb = Zb.shape[1]
        R = (x - self._data(xp, x, "C", self.center)) @ Zb
        return 0.5 * xp.sum(R * R) / nb, (R @ xp.matrix_transpose(Zb)) / nb

    def hvp(self, xp, x, v, batch=None):
        [Zb] = self._samples(xp, x, batch, Z=self.Z)
        return ((v @ Zb) @ xp.matrix_transpose(Zb)) / Zb.shape[1]

    def describe(self) -> str:
        return f"least squares {self.shape} (N={self.n_samples}) in {self.norm}"


# -- factories ---------------------------------------------------------------------

def random_psd(rng: np.random.Generator, n: int, low: float = 0.1, high: float = 2.0,
               rank: int | None = None) -> np.ndarray:
    """``Q diag(lam) Q^T`` with Haar ``Q`` and ``lam`` log-uniform in [low, high] (``rank`` nonzero)."""
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    lam = np.exp(rng.uniform(math.log(low), math.log(high), n))
    if rank is not None:
        lam[rank:] = 0.0
    H = (q * lam) @ q.T
    return (H + H.T) / 2


def random_quadratic_layer(rng: np.random.Generator, shape, norm: str, kind: str = "left",
                           offset: float = 0.0) -> QuadraticLayer:
    """A random :class:`QuadraticLayer` (PSD spectrum in [0.1, 2], weights in [0.1, 2])."""
    shape = tuple(shape)
    center = rng.standard_normal(shape) / math.sqrt(shape[-1] if len(shape) > 1 else shape[0])
    if kind == "left":
        M = random_psd(rng, shape[0])
    elif kind == "right":
        M = random_psd(rng, shape[1])
    elif kind == "elementwise":
        M = np.exp(rng.uniform(math.log(0.1), math.log(2.0), shape))
    else:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    return QuadraticLayer(kind, M, center, norm, offset)


def separable_quadratic(specs, seed: int = 0, name: str = "separable_quadratic"
                        ) -> SeparableObjective:
    """Separable quadratic from ``{name: (shape, norm, kind)}``, reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    terms = {k: random_quadratic_layer(rng, shape, norm, kind) for k, (shape, norm, kind) in specs.items()}
    return SeparableObjective(terms, name=name,
                              source="quadratics.py module docstring; THEORY.md section 4")


#: one layer per norm family, mixing operator kinds (used by tests and claims)
ZOO_SPECS = {
    "spectral_left": ((6, 4), "spectral", "left"),
    "rms_to_rms_right": ((4, 6), "rms_to_rms", "right"),
    "spectral_elem": ((4, 5), "spectral", "elementwise"),
    "frobenius_left": ((5, 3), "frobenius", "left"),
    "linf_left": ((5, 3), "linf", "left"),
    "linf_elem": ((4, 3), "linf", "elementwise"),
    "colnorm_left": ((5, 4), "colnorm", "left"),
    "colnorm_elem": ((4, 5), "colnorm", "elementwise"),
    "rownorm_left": ((4, 6), "rownorm", "left"),
    "rownorm_right": ((6, 3), "rownorm", "right"),
    "sign_elem": ((3, 5), "sign", "elementwise"),
    "nuclear_right": ((4, 3), "nuclear", "right"),
    "l1_left": ((4, 4), "l1", "left"),
    "rms_vec": ((7,), "rms", "left"),
    "linf_vec": ((6,), "linf", "left"),
}


def quadratic_zoo(seed: int = 0) -> SeparableObjective:
    """Separable quadratic with one layer per norm and operator kind (:data:`ZOO_SPECS`)."""
    return separable_quadratic(ZOO_SPECS, seed, name="quadratic_zoo")


def least_squares_objective(seed: int = 0, n_samples: int = 64,
                            specs=None) -> SeparableObjective:
    """Separable least squares (finite sum over ``n_samples``; minibatch-ready).

    ``specs``: ``{name: (shape, norm)}``; default three layers in spectral,
    rms_to_rms and linf.  Inputs ``z_s ~ N(0, I)``, teacher ``C`` Gaussian.
    """
    rng = np.random.default_rng(seed)
    specs = specs or {"w1": ((5, 4), "spectral"), "w2": ((4, 6), "rms_to_rms"),
                      "w3": ((3, 4), "linf")}
    terms = {}
    for k, (shape, norm) in specs.items():
        Z = rng.standard_normal((shape[1], n_samples))
        C = rng.standard_normal(shape) / math.sqrt(shape[1])
        terms[k] = LeastSquaresLayer(Z, C, norm)
    return SeparableObjective(terms, name="least_squares",
                              source="quadratics.py; THEORY.md section 4 (least squares with valid L0)")


__all__ += ["least_squares_objective", "ZOO_SPECS"]
