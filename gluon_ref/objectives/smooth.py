"""Separable non-quadratic smooth layer terms with proved (L0, L1) constants.

Generalised linear models (L-smooth, ``L1 = 0``)
-------------------------------------------------
:class:`GLMLayer` is a multi-output GLM on one block ``X`` (``m x n``) with
``N`` samples ``z_s`` (columns of ``Z``, ``n x N``):

    f(X) = (1/N) sum_s sum_r phi_rs((X z_s)_r)

* ``"logistic"``: ``phi_rs(u) = softplus(-y_rs u) = log(1 + exp(-y_rs u))``,
  labels ``y in {-1, +1}``; ``phi'' = sigma(u) sigma(-u) <= 1/4`` (at ``u = 0``).
  Lower bound 0.
* ``"logcosh"``: ``phi_rs(u) = log cosh(u - t_rs)`` with teacher targets
  ``t = X* Z``; ``phi'' = sech^2 <= 1`` (at ``u = t``).  Optimum 0 at ``X*``.

Hessian: ``H_Z[D] = (1/N) sum_s (c_s * (D z_s)) z_s^T`` with ``c_rs =
phi''_rs >= 0``, a PSD self-adjoint operator with ``<D, H_Z D> <= c_max <D, D
K>``, ``K = Z Z^T / N``.  By Cauchy-Schwarz for the PSD form (as in
:mod:`.quadratics`), ``||H_Z D||_* <= c_max q*_K ||D||`` where ``q*_K`` is the
right-multiplication quadratic constant of :func:`.quadratics.quadratic_constant`;
integrating along the segment gives Assumption 1 with

    L0 = c_max * q*_K,  L1 = 0,  for all X, Y (valid_within infinite).

Tightness: the supremum of ``phi''`` is attained (``X = 0``, resp. ``X = X*``),
where the Hessian is exactly ``c_max`` times the quadratic's, so the constant is
as tight as ``q*_K`` (exact for Frobenius/spectral/nuclear/l1/RowNorm, >= 2/pi
for ColNorm and l_inf; RowNorm/ColNorm swap for right operators).

cosh-type terms (genuinely L1 > 0)
----------------------------------
Scalar fact used below (``sinh`` addition theorem):

    |sinh(t + s) - sinh t| <= sinh|s| + |sinh t| (e^|s| - 1)                 (S)

because ``cosh(t + u) <= cosh t cosh u + |sinh t| sinh|u|`` and ``cosh t <= 1 +
|sinh t|``; integrate ``u`` from 0 to ``|s|``.  ``sinh(u)/u`` and
``(e^u - 1)/u`` increase in ``u``.

:class:`RidgeCoshLayer` ``f(X) = cosh(<A, X> - b) - 1`` (any catalogue norm,
``a = ||A||_*``): ``grad f = sinh(t) A``, ``H_X[D] = cosh(t) <A, D> A``.

* Hessian form: ``||H_X D||_* <= cosh(t) a^2 ||D|| <= (a^2 + a ||grad f||_*) ||D||``,
  i.e. ``(L0h, L1h) = (a^2, a)``, exactly tight (``t = 0`` and ``t -> inf``
  with ``D`` the dual maximiser of ``A``).  Not L-smooth: ``cosh t`` is unbounded.
* Assumption 1 anchored at X (section 4 form) for ``||Y - X|| <= R``
  (``R = valid_within``): by (S)
  with ``|s| = |<A, Y - X>| <= a r``,
  ``||grad f(Y) - grad f(X)||_* <= a sinh(a r) + g (e^{a r} - 1)``, ``g = a |sinh t|``, so

      L0(R) = a^2 sinh(aR)/(aR),   L1(R) = a (e^{aR} - 1)/(aR).

  Default ``R = 1/a = 1/L1h``: ``L0 = sinh(1) a^2``, ``L1 = (e - 1) a``; then
  Theorem 1's stepsize ``t* = g/(L0 + L1 g) < 1/L1 < R`` stays in the region.
  Both constants are attained in the limit (``t = 0`` resp. ``t -> inf`` at ``r = R``).
  Without such a bound on the step Assumption 1 fails for every finite ``(L0, L1)``: anchored
  at ``t = 0`` (``g = 0``), ``a |sinh(a r)| / r`` is unbounded.

:class:`ElementwiseCoshLayer` ``f(X) = sum_e W_e (cosh(X_e - C_e) - 1)`` with
``W > 0``, for the norms whose geometry is *absolute*
(:attr:`gluon_ref.geometry.Geometry.absolute`: Frobenius, rms, l_inf, sign,
max-entry, l1, ColNorm, RowNorm, inf->inf and their unscaled versions).  An
absolute norm is monotone in ``|D|`` (Bauer, Stoer and Witzgall 1961), and so
is its dual; with ``||E_e||_base = 1`` for every unit entry this gives
``max_e |D_e| <= ||D||_base``.  With ``||.|| = c ||.||_base`` and ``q*_W`` the
elementwise quadratic constant:

* Hessian form: ``H_X D = W cosh(T) D`` with ``cosh <= 1 + |sinh|``:
  ``||H D||_* <= ||W D||_* + || |grad f| * D ||_* <= (q*_W + ||grad f||_* / c) ||D||``
  using ``||G * D||_base* <= ||G||_base* max_e |D_e| <= ||G||_base* ||D||_base``
  (``|G * D| <= max_e |D_e| |G|`` entrywise and the dual's monotonicity), so
  ``(L0h, L1h) = (q*_W, 1/c)``.
* restricted form (``R = valid_within``) by (S) entrywise with ``u = max_e |D_e| <= r / c``:
  ``L0(R) = q*_W sinh(R/c)/(R/c)``, ``L1(R) = (e^{R/c} - 1)/R``; default ``R = c``.

Domain: the functions are entire, but ``cosh`` overflows; the domain is the
set where ``f`` is finite in the working dtype, ``|argument| <= log(max
float) - log(sum of weights) - 1``; outside it a ``ValueError`` names the layer.

Sources: docs/theory.md sections 4-5; (L0, L1)-smoothness: Zhang et al., "Why
gradient clipping accelerates training", arXiv 1905.11881; Gluon, arXiv 2505.13416.
"""

from __future__ import annotations

import math

import numpy as np

from ..norms import NORM_CATALOGUE
from .constants import LayerConstants
from .protocol import DomainError, sample_count
from .quadratics import quadratic_constant
from .separable import LayerTerm, SeparableObjective

__all__ = [
    "GLMLayer",
    "RidgeCoshLayer",
    "ElementwiseCoshLayer",
    "glm_objective",
    "cosh_objective",
]

_SINH1 = math.sinh(1.0)
_EM1 = math.e - 1.0


def _overflow_limit(xp, dtype, weight_sum: float) -> float:
    return math.log(float(xp.finfo(dtype).max)) - math.log(max(weight_sum, 1.0)) - 1.0


class GLMLayer(LayerTerm):
    """Multi-output GLM on one block; see the module docstring for formulas and constants.

    ``Z``: ``n x N`` inputs (samples as columns); ``targets``: ``m x N``
    labels in {-1, +1} (logistic) or regression targets (logcosh).
    """

    kind = "glm"
    LOSSES = {"logistic": 0.25, "logcosh": 1.0}  # sup phi''

    def __init__(self, Z, targets, norm: str, loss: str = "logistic", teacher=None):
        if loss not in self.LOSSES:
            raise ValueError(f"loss must be one of {sorted(self.LOSSES)}, got {loss!r}")
        Z = np.asarray(Z, dtype=np.float64)
        T = np.asarray(targets, dtype=np.float64)
        if Z.ndim != 2 or T.ndim != 2 or Z.shape[1] != T.shape[1]:
            raise ValueError(f"Z (n x N) and targets (m x N) must share N; got {Z.shape}, {T.shape}")
        super().__init__((T.shape[0], Z.shape[0]), norm)
        if loss == "logistic" and not np.all(np.abs(T) == 1):
            raise ValueError("logistic labels must be -1 or +1")
        self.loss = loss
        self.Z, self.T = Z, T
        self.n_samples = sample_count(Z, type(self).__name__)
        self.K = Z @ Z.T / Z.shape[1]
        self.lower_bound = 0.0
        if loss == "logcosh":
            self.optimum = 0.0 if teacher is not None else None
            self.center = None if teacher is None else np.asarray(teacher, dtype=np.float64)
        self._q = quadratic_constant("right", self.K, self.shape, norm)

    @property
    def constants(self) -> LayerConstants:
        c = self.LOSSES[self.loss]
        return LayerConstants(c * self._q.value, 0.0, math.inf, None, self._q.tightness,
                              f"GLM {self.loss}: sup phi'' = {c} times right-K constant ({self._q.note})")

    def value_grad(self, xp, x, batch=None):
        Z, T = self._samples(xp, x, batch, Z=self.Z, T=self.T)
        nb = Z.shape[1]
        U = x @ Z
        if self.loss == "logistic":
            M = T * U
            zero = xp.zeros_like(M)
            val = xp.sum(xp.logaddexp(zero, -M)) / nb
            sig_neg = xp.exp(-xp.logaddexp(zero, M))  # sigma(-M), stable
            G = -T * sig_neg
        else:
            R = U - T
            a = xp.abs(R)
            val = xp.sum(a + xp.log1p(xp.exp(-2 * a)) - math.log(2.0)) / nb
            G = xp.tanh(R)
        return val, (G @ xp.matrix_transpose(Z)) / nb

    def curvature(self, xp, x, batch=None):
        """``phi''`` at every (row, sample): the diagonal weights of the Hessian."""
        Z, T = self._samples(xp, x, batch, Z=self.Z, T=self.T)
        U = x @ Z
        if self.loss == "logistic":
            zero = xp.zeros_like(U)
            return xp.exp(-xp.logaddexp(zero, U) - xp.logaddexp(zero, -U))
        th = xp.tanh(U - T)
        return 1 - th * th

    def hvp(self, xp, x, v, batch=None):
        [Z] = self._samples(xp, x, batch, Z=self.Z)
        c = self.curvature(xp, x, batch)
        return ((c * (v @ Z)) @ xp.matrix_transpose(Z)) / Z.shape[1]

    def describe(self) -> str:
        return f"GLM[{self.loss}] {self.shape} (N={self.n_samples}) in {self.norm}"


class RidgeCoshLayer(LayerTerm):
    """``f(X) = cosh(<A, X> - b) - 1``; constants in the module docstring (any norm)."""

    kind = "ridge_cosh"

    def __init__(self, A, b: float, norm: str, valid_within: float | None = None):
        A = np.asarray(A, dtype=np.float64)
        super().__init__(A.shape, norm)
        if not np.all(np.isfinite(A)) or not np.any(A != 0):
            raise ValueError("A must be finite and nonzero")
        self.A = A
        self.b = float(b)
        self.a = float(self.norm_obj.dual_norm(A))
        self.valid_within = 1.0 / self.a if valid_within is None else float(valid_within)
        if not (self.valid_within > 0 and math.isfinite(self.valid_within)):
            raise ValueError(f"valid_within must be finite and > 0, got {valid_within}")
        self.lower_bound = self.optimum = 0.0
        self.center = A * (self.b / float(np.sum(A * A)))  # <A, center> = b

    @property
    def constants(self) -> LayerConstants:
        a, R = self.a, self.valid_within
        u = a * R
        return LayerConstants(a * a * math.sinh(u) / u, a * math.expm1(u) / u, R, (a * a, a), 1.0,
                              f"ridge cosh, a = ||A||_* = {a:.6g}: L0 = a^2 sinh(aR)/(aR), "
                              f"L1 = a (e^(aR)-1)/(aR), R = {R:.6g}; Hessian form (a^2, a)")

    def _t(self, xp, x):
        return xp.sum(self._data(xp, x, "A", self.A) * x) - self.b

    def check_domain(self, xp, x, name):
        t = float(self._t(xp, x))
        lim = _overflow_limit(xp, x.dtype, 1.0)
        if abs(t) > lim:
            raise DomainError(
                f"layer {name!r}: point outside the domain of {self.describe()}: "
                f"|<A, X> - b| = {abs(t):.4g} exceeds {lim:.4g}, where cosh overflows in {x.dtype}"
            )

    def value_grad(self, xp, x, batch=None):
        t = self._t(xp, x)
        sh = xp.sinh(t / 2)
        return 2 * sh * sh, xp.sinh(t) * self._data(xp, x, "A", self.A)

    def hvp(self, xp, x, v, batch=None):
        A = self._data(xp, x, "A", self.A)
        return xp.cosh(self._t(xp, x)) * xp.sum(A * v) * A

    def describe(self) -> str:
        return f"ridge cosh {self.shape} in {self.norm}"


class ElementwiseCoshLayer(LayerTerm):
    """``f(X) = sum_e W_e (cosh(X_e - C_e) - 1)``; absolute norms only (module docstring)."""

    kind = "elementwise_cosh"

    def __init__(self, W, center, norm: str, valid_within: float | None = None):
        center = np.asarray(center, dtype=np.float64)
        W = np.asarray(W, dtype=np.float64)
        super().__init__(center.shape, norm)
        if not self.norm_obj.geometry.absolute:
            absolute = [n for n, e in NORM_CATALOGUE.items() if e.geometry.absolute]
            raise ValueError(
                f"elementwise cosh constants are derived for absolute norms only "
                f"({', '.join(absolute)}); got {norm!r} (use RidgeCoshLayer)"
            )
        if W.shape != center.shape or np.any(W <= 0) or not np.all(np.isfinite(W)):
            raise ValueError(f"W must be positive, finite, shape {center.shape}")
        self.W, self.center = W, center
        self.c = self.norm_obj.shape_factor(center.shape)
        self.valid_within = self.c if valid_within is None else float(valid_within)
        if not (self.valid_within > 0 and math.isfinite(self.valid_within)):
            raise ValueError(f"valid_within must be finite and > 0, got {valid_within}")
        self._q = quadratic_constant("elementwise", W, center.shape, norm)
        self.lower_bound = self.optimum = 0.0

    @property
    def constants(self) -> LayerConstants:
        q, c, R = self._q.value, self.c, self.valid_within
        u = R / c
        return LayerConstants(q * math.sinh(u) / u, math.expm1(u) / R, R, (q, 1.0 / c), 1.0,
                              f"elementwise cosh: q*_W = {q:.6g} ({self._q.note}), c = {c:.6g}, "
                              f"L0 = q* sinh(R/c)/(R/c), L1 = (e^(R/c)-1)/R, R = {R:.6g}")

    def check_domain(self, xp, x, name):
        d = float(xp.max(xp.abs(x - self._data(xp, x, "C", self.center))))
        lim = _overflow_limit(xp, x.dtype, float(self.W.sum()))
        if d > lim:
            raise DomainError(
                f"layer {name!r}: point outside the domain of {self.describe()}: "
                f"max|X - C| = {d:.4g} exceeds {lim:.4g}, where cosh overflows in {x.dtype}"
            )

    def value_grad(self, xp, x, batch=None):
        T = x - self._data(xp, x, "C", self.center)
        W = self._data(xp, x, "W", self.W)
        sh = xp.sinh(T / 2)
        return xp.sum(2 * W * sh * sh), W * xp.sinh(T)

    def hvp(self, xp, x, v, batch=None):
        T = x - self._data(xp, x, "C", self.center)
        return self._data(xp, x, "W", self.W) * xp.cosh(T) * v

    def describe(self) -> str:
        return f"elementwise cosh {self.shape} in {self.norm}"


# -- factories -----------------------------------------------------------------------

def glm_objective(seed: int = 0, n_samples: int = 96, loss: str = "logistic",
                  specs=None) -> SeparableObjective:
    """Separable GLM with one layer per ``specs`` entry ``{name: (shape, norm)}``.

    Inputs ``z_s ~ N(0, I)``; logistic labels ``sign(X* z_s)`` flipped with
    probability 0.1 (non-separable data, so ``inf f > 0``); logcosh targets
    ``X* z_s`` (optimum 0 at ``X*``).  Reproducible from ``seed``.
    """
    # validated first: any other string used to build a log-cosh GLM silently
    if loss not in GLMLayer.LOSSES:
        raise ValueError(f"loss must be one of {sorted(GLMLayer.LOSSES)}, got {loss!r}")
    rng = np.random.default_rng(seed)
    specs = specs or {"spectral": ((4, 5), "spectral"), "rms_to_rms": ((3, 6), "rms_to_rms"),
                      "rownorm": ((3, 4), "rownorm"), "linf": ((2, 3), "linf"),
                      "frobenius": ((3, 3), "frobenius")}
    terms = {}
    for k, (shape, norm) in specs.items():
        m, n = shape
        Z = rng.standard_normal((n, n_samples))
        Xs = rng.standard_normal((m, n)) / math.sqrt(n)
        if loss == "logistic":
            y = np.sign(Xs @ Z)
            y[y == 0] = 1
            flip = rng.random(y.shape) < 0.1
            y[flip] *= -1
            terms[k] = GLMLayer(Z, y, norm, "logistic")
        else:
            terms[k] = GLMLayer(Z, Xs @ Z, norm, "logcosh", teacher=Xs)
    return SeparableObjective(terms, name=f"glm_{loss}",
                              source="smooth.py module docstring (GLM, L1 = 0)")


def cosh_objective(seed: int = 0, specs=None) -> SeparableObjective:
    """Separable cosh objective: elementwise cosh on absolute norms, ridge cosh elsewhere.

    ``specs``: ``{name: (shape, norm, "elementwise" | "ridge")}``; the default
    covers l_inf, sign, ColNorm, RowNorm, Frobenius (elementwise) and spectral,
    rms_to_rms, nuclear (ridge).  Weights log-uniform in [0.1, 2].
    """
    rng = np.random.default_rng(seed)
    specs = specs or {
        "linf_elem": ((4, 3), "linf", "elementwise"),
        "sign_elem": ((3, 5), "sign", "elementwise"),
        "colnorm_elem": ((5, 4), "colnorm", "elementwise"),
        "rownorm_elem": ((3, 4), "rownorm", "elementwise"),
        "frobenius_elem": ((4, 4), "frobenius", "elementwise"),
        "spectral_ridge": ((4, 5), "spectral", "ridge"),
        "rms_to_rms_ridge": ((3, 6), "rms_to_rms", "ridge"),
        "nuclear_ridge": ((3, 3), "nuclear", "ridge"),
    }
    terms = {}
    for k, (shape, norm, kind) in specs.items():
        if kind == "elementwise":
            W = np.exp(rng.uniform(math.log(0.1), math.log(2.0), shape))
            C = 0.5 * rng.standard_normal(shape)
            terms[k] = ElementwiseCoshLayer(W, C, norm)
        elif kind == "ridge":
            A = rng.standard_normal(shape) / math.sqrt(math.prod(shape))
            terms[k] = RidgeCoshLayer(A, float(rng.standard_normal()), norm)
        else:
            raise ValueError(f"kind must be 'elementwise' or 'ridge', got {kind!r}")
    return SeparableObjective(terms, name="cosh",
                              source="smooth.py module docstring (cosh-type, L1 > 0)")

