"""Separable quadratics with exact or provably valid layer-wise smoothness constants.

Each layer term is ``f_i(X) = 1/2 <X - C, A(X - C)> + f0`` with a
self-adjoint positive semidefinite operator ``A`` of one of three kinds:

* ``"left"``:        ``A(D) = H D``  (H symmetric PSD, m x m);
* ``"right"``:       ``A(D) = D K``  (K symmetric PSD, n x n), e.g. least squares
  ``1/(2N) ||(X - C) Z||_F^2`` with ``K = Z Z^T / N`` (:class:`LeastSquaresLayer`);
* ``"elementwise"``: ``A(D) = W * D`` (W >= 0 entrywise).

Its gradient is ``A(X - C)``, so ``grad f_i(X) - grad f_i(Y) = A(X - Y)`` and
the *best* constant of Assumption 1 (docs/theory.md section 4, with ``L1 = 0``) is

    L0* = sup_{D != 0} ||A(D)||_* / ||D||  =  q* := max_{||D|| <= 1} <D, A(D)>.       (Q)

Proof of (Q): ``>=``: ``||A D||_* >= <A D, D>`` for ``||D|| = 1``.  ``<=``:
``||A D||_* = sup_{||E||<=1} <A D, E> <= sup sqrt(<A D, D><A E, E>) <= q*``
(Cauchy-Schwarz for the PSD form ``<A ., .>``).  ``q*`` for each kind and
norm, with its derivation and proved tightness (exact, or ``>= 2/pi`` for the
semidefinite bounds), is the norm's geometry's rule: the table is in
:mod:`gluon_ref.quadforms`, the code in :meth:`gluon_ref.geometry.Geometry.quadratic`,
and :func:`quadratic_constant` applies it to a block (a scaled norm ``c
||.||_base`` divides ``q*`` by ``c^2``, docs/norms.md section 1).

Sources: docs/theory.md section 4 (Assumption 1), docs/norms.md section 1 and section 5 item 7;
Gluon, arXiv 2505.13416.
"""

from __future__ import annotations

import math

import numpy as np

from ..norms import _matrix_shape, get_norm
from ..quadforms import KINDS, QuadConstant, check_psd, sdp_maxqp_bound
from .constants import LayerConstants
from .protocol import sample_count
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


def quadratic_constant(kind: str, M: np.ndarray, shape, norm) -> QuadConstant:
    """``q* = max_{||D|| <= 1} <D, A(D)>`` (bound) for ``A`` of ``kind`` with matrix ``M``.

    The rule is the norm's base geometry's (:meth:`gluon_ref.geometry.Geometry.quadratic`,
    table and derivations in :mod:`gluon_ref.quadforms`) on the block's matrix view,
    divided by ``c^2`` for ``||.|| = c ||.||_base`` (docs/norms.md section 1).  ``norm`` is a
    catalogue name or :class:`~gluon_ref.norms.Norm`; ``shape`` the block shape.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    n_obj = get_norm(norm)
    shape = tuple(int(s) for s in shape)
    c = n_obj.shape_factor(shape)
    m, n = _matrix_shape(shape)
    M = np.asarray(M, dtype=np.float64)
    if kind in ("left", "right"):
        if kind == "right" and len(shape) != 2:
            raise ValueError("kind 'right' needs a 2-D block")
        M = check_psd(M, "H")
        need = m if kind == "left" else n
        if M.shape[0] != need:
            raise ValueError(f"operator matrix has size {M.shape[0]}, block needs {need}")
    else:
        if M.shape != (m, n) and M.shape != shape:
            raise ValueError(f"weight matrix has shape {M.shape}, block needs {shape}")
        M = M.reshape(m, n)
        if np.any(M < 0) or not np.all(np.isfinite(M)):
            raise ValueError("elementwise weights must be finite and >= 0")
    q = n_obj.matrix_geometry().quadratic(kind, M, m, n)
    return QuadConstant(q.value / (c * c), q.tightness, f"{q.note}, divided by c^2 = {c * c:.6g}")


class QuadraticLayer(LayerTerm):
    """``f(X) = 1/2 <X - C, A(X - C)> + f0`` with ``A`` left/right/elementwise PSD.

    ``grad f = A(X - C)``; ``H V = A(V)``; minimiser ``C``, optimum ``f0``.
    Constants: ``(L0, L1) = (q*, 0)`` of :func:`quadratic_constant` (module
    docstring), valid for all ``X, Y`` (``valid_within`` infinite), tightness as tabulated.
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
            M = check_psd(M, "H" if kind == "left" else "K")
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
        self.n_samples = sample_count(Z, type(self).__name__)
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
                              source="quadratics.py module docstring; docs/theory.md section 4")


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
                              source="quadratics.py; docs/theory.md section 4 (least squares with valid L0)")


__all__ += ["least_squares_objective", "ZOO_SPECS"]
