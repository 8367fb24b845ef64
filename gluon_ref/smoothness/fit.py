"""The (L0, L1) fit of docs/theory.md section 8: hinge-penalised least squares, two solvers.

Given estimates ``lhat_k`` and anchors ``g_k = ||grad_i f(X^{k+1})||_(i)*`` of one
layer, the fit (Gluon, arXiv 2505.13416, Eq. 10 and the authors' fitting code)
minimises over ``L0, L1 >= lower`` (``lower = 1e-6``)

    F(L0, L1) = sum_k r_k^2 + lam * sum_k max(0, r_k)^2,    r_k = lhat_k - (L0 + L1 g_k),

with ``lam = 5``.  The hinge penalises estimates *above* the line, so the fit
leans towards an upper envelope without being one: for residuals independent
of ``g`` it sits at the ``lam``-expectile (the ``m`` with
``E[r - m] + lam E[(r - m)_+] = 0``), not at the maximum.  Fit quality is

    MSE_rel = mean_k ((lhat_k - (L0 + L1 g_k)) / lhat_k)^2.

``F`` is convex and continuously differentiable (``max(0, r)^2`` is C^1) and
piecewise quadratic: on each cell of the arrangement of the lines
``L0 + L1 g_k = lhat_k`` it is the weighted least-squares objective with
weight ``1 + lam`` on the residuals that are positive in that cell.  Two
solvers:

* :func:`fit_l0l1` -- ``scipy.optimize.minimize`` (L-BFGS-B with the analytic
  gradient, bounds ``[lower, inf)``, start ``(1, 1)`` as the authors'), with
  tolerances tight enough to match the exact solver;
* :func:`fit_l0l1_exact` -- enumerates the cells and solves each weighted
  least-squares problem on the quadrant in closed form; the minimiser of
  ``F`` is the box minimiser of the cell whose closure holds it (``F`` is C^1
  and equals that cell's quadratic there), so the best of all cells' box
  minimisers is the minimum.  The minimiser is unique when the ``g_k`` are not
  all equal (the Hessian of every cell's quadratic is then positive definite).
  Cost ``O(n^4)``: for small ``n`` and for cross-checking the scipy solver.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

__all__ = ["LAMBDA", "LOWER", "Fit", "hinge_objective", "mse_rel", "fit_l0l1", "fit_l0l1_exact",
           "expectile_offset", "hinge_balance", "hinge_fit_covariance"]

#: hinge weight of the paper's fit
LAMBDA = 5.0
#: lower bound of both constants in the paper's fit
LOWER = 1e-6


@dataclass(frozen=True)
class Fit:
    """A fitted envelope ``L0 + L1 g`` of one layer.

    ``objective`` is ``F`` at the solution, ``n`` the number of estimates,
    ``solver`` which solver produced it.
    """

    L0: float
    L1: float
    mse_rel: float
    objective: float
    n: int
    solver: str

    def predict(self, g) -> np.ndarray:
        """``L0 + L1 g``."""
        return self.L0 + self.L1 * np.asarray(g, dtype=np.float64)

    @property
    def stepsize(self) -> float:
        """``1 / L1``: Theorem 1's stepsize in the limit ``L0 -> 0`` (docs/theory.md section 8)."""
        return 1.0 / self.L1


def _check_data(lhat, g, lam, lower):
    y = np.asarray(lhat, dtype=np.float64)
    x = np.asarray(g, dtype=np.float64)
    if y.ndim != 1 or x.shape != y.shape:
        raise ValueError(f"lhat and g must be 1-D arrays of one length, got shapes {y.shape} and {x.shape}")
    if y.size < 2:
        raise ValueError(f"the fit needs at least 2 estimates, got {y.size}")
    for name, a in (("lhat", y), ("g", x)):
        bad = ~np.isfinite(a)
        if bad.any():
            raise ValueError(f"{name} has {int(bad.sum())} non-finite entries (first at index "
                             f"{int(np.flatnonzero(bad)[0])})")
        if (a < 0).any():
            raise ValueError(f"{name} must be >= 0 (a norm ratio / a dual norm), got min {a.min()}")
    if not (math.isfinite(lam) and lam >= 0):
        raise ValueError(f"lam must be finite and >= 0, got {lam}")
    if not (math.isfinite(lower) and lower >= 0):
        raise ValueError(f"lower must be finite and >= 0, got {lower}")
    if np.ptp(x) == 0:
        raise ValueError("all anchors g are equal: L0 and L1 are not identifiable (the regressor "
                         "[1, g] is degenerate)")
    return y, x


def hinge_objective(L0: float, L1: float, lhat, g, lam: float = LAMBDA) -> float:
    """``F(L0, L1) = sum r^2 + lam sum max(0, r)^2`` with ``r = lhat - (L0 + L1 g)``."""
    r = np.asarray(lhat, dtype=np.float64) - (L0 + L1 * np.asarray(g, dtype=np.float64))
    return float(np.sum(r * r) + lam * np.sum(np.maximum(r, 0.0) ** 2))


def mse_rel(L0: float, L1: float, lhat, g) -> float:
    """``mean(((lhat - (L0 + L1 g)) / lhat)^2)``; estimates equal to 0 raise ``ValueError``."""
    y = np.asarray(lhat, dtype=np.float64)
    if (y == 0).any():
        raise ValueError("MSE_rel divides by lhat; an estimate equals 0")
    return float(np.mean(((y - (L0 + L1 * np.asarray(g, dtype=np.float64))) / y) ** 2))


def hinge_balance(L0: float, L1: float, lhat, g, lam: float = LAMBDA) -> tuple[float, float]:
    """``((1 + lam) sum r_+, sum r_-)`` at ``(L0, L1)``.

    At the minimiser, ``dF/dL0 = -2 sum (1 + lam [r > 0]) r >= 0`` (``= 0``
    when ``L0 > lower``), i.e. ``(1 + lam) sum r_+ <= sum r_-``: the estimates
    above the envelope carry at most ``1/(1 + lam)`` of the mass below it.
    That is how far the hinge lets estimates exceed the fitted envelope.
    """
    r = np.asarray(lhat, dtype=np.float64) - (L0 + L1 * np.asarray(g, dtype=np.float64))
    return float((1 + lam) * np.sum(np.maximum(r, 0))), float(np.sum(np.maximum(-r, 0)))


def fit_l0l1(lhat, g, lam: float = LAMBDA, lower: float = LOWER, x0=(1.0, 1.0)) -> Fit:
    """Hinge-penalised least-squares fit by L-BFGS-B (module docstring).

    The authors call ``scipy.optimize.minimize(loss, [1, 1], bounds=...)`` with
    a finite-difference gradient and default tolerances; here the gradient is
    analytic, ``dF/dL0 = -2 sum w_k r_k``, ``dF/dL1 = -2 sum w_k r_k g_k`` with
    ``w_k = 1 + lam [r_k > 0]``, and ``ftol``/``gtol`` are near machine
    precision, so the result matches :func:`fit_l0l1_exact` (tested).  The
    problem is first rescaled to ``lhat / s_y`` and ``g / s_x`` (``s`` = the
    largest value), which leaves the minimiser of the rescaled constants
    ``(L0 / s_y, L1 s_x / s_y)`` unchanged and keeps L-BFGS-B well conditioned.
    """
    y, x = _check_data(lhat, g, lam, lower)
    sy, sx = float(np.max(y)) or 1.0, float(np.max(x))
    ys, xs = y / sy, x / sx
    lo0, lo1 = lower / sy, lower * sx / sy

    def fun(p):
        r = ys - (p[0] + p[1] * xs)
        w = np.where(r > 0, 1.0 + lam, 1.0)
        wr = w * r
        return float(np.sum(wr * r)), np.array([-2 * np.sum(wr), -2 * np.sum(wr * xs)])

    start = np.array([max(x0[0] / sy, lo0), max(x0[1] * sx / sy, lo1)])
    res = minimize(fun, start, jac=True, method="L-BFGS-B", bounds=[(lo0, None), (lo1, None)],
                   options=dict(ftol=1e-15, gtol=1e-13, maxiter=20000, maxcor=20))
    L0, L1 = float(res.x[0]) * sy, float(res.x[1]) * sy / sx
    L0, L1 = max(L0, lower), max(L1, lower)
    return Fit(L0, L1, mse_rel(L0, L1, y, x) if (y > 0).all() else math.nan,
               hinge_objective(L0, L1, y, x, lam), y.size, "L-BFGS-B")


def _box_minimisers(S0, S1, S2, T0, T1, lower):
    """Candidates minimising ``sum w (y - a - b x)^2`` over ``a, b >= lower`` (vectorised).

    Returns ``(a, b)`` arrays of shape ``(3, ...)``: the unconstrained
    minimiser (NaN where infeasible) and the minimisers on the two edges
    ``a = lower`` and ``b = lower``; the minimiser over the quadrant is the one
    of them with the smallest value (a strictly convex quadratic attains its
    minimum over the quadrant at its free minimiser when feasible, else on
    the boundary).
    """
    det = S0 * S2 - S1 * S1
    a_free = (S2 * T0 - S1 * T1) / det
    b_free = (S0 * T1 - S1 * T0) / det
    ok = (a_free >= lower) & (b_free >= lower)
    a_free = np.where(ok, a_free, np.nan)
    b_free = np.where(ok, b_free, np.nan)
    b_edge = np.maximum(lower, (T1 - lower * S1) / S2)   # a = lower
    a_edge = np.maximum(lower, (T0 - lower * S1) / S0)   # b = lower
    a = np.stack([a_free, np.full_like(b_edge, lower), a_edge])
    b = np.stack([b_free, b_edge, np.full_like(a_edge, lower)])
    return a, b


def fit_l0l1_exact(lhat, g, lam: float = LAMBDA, lower: float = LOWER, max_n: int = 150) -> Fit:
    """Exact minimiser of the hinge objective by enumerating active sets (module docstring).

    For ``L1`` inside an interval between consecutive critical slopes
    ``(lhat_j - lhat_k) / (g_j - g_k)`` the order of ``c_k(L1) = lhat_k - L1
    g_k`` is fixed, and the set of positive residuals at ``(L0, L1)`` is the
    top-``j`` of that order for the ``j`` with ``c_(j) > L0 >= c_(j+1)``.  So
    the cells are (interval, ``j``) pairs, each a weighted least-squares
    problem whose minimiser over the quadrant is one of three closed-form
    candidates (:func:`_box_minimisers`).  The global minimiser ``x*`` lies in
    the closure of some cell ``C``; ``F`` is C^1 and equals ``C``'s quadratic
    there, so ``x*`` satisfies that quadratic's KKT conditions and is its box
    minimiser.  Hence the smallest objective over all candidates (each a
    feasible point) is the minimum, with no tolerance involved.  Identical
    estimates are merged with their multiplicity.  ``n > max_n`` raises
    ``ValueError`` (``O(n^4)`` work: ``O(n^2)`` intervals, ``n + 1`` cells
    each, ``O(n)`` per objective).
    """
    y, x = _check_data(lhat, g, lam, lower)
    n = y.size
    if n > max_n:
        raise ValueError(f"the exact solver costs O(n^4); n = {n} > max_n = {max_n}")
    y_all, x_all = y, x
    # identical estimates are one line: merge them with their multiplicity (fewer cells)
    pts, mult = np.unique(np.stack([x, y], axis=1), axis=0, return_counts=True)
    x, y, mult = pts[:, 0], pts[:, 1], mult.astype(np.float64)
    n = y.size
    j, k = np.triu_indices(n, 1)
    dx = x[j] - x[k]
    keep = dx != 0
    crit = np.unique((y[j] - y[k])[keep] / dx[keep])
    # interval representatives and closures: (-inf, c0), (c0, c1), ..., (c_last, inf)
    lo_b = np.concatenate([[-np.inf], crit])
    hi_b = np.concatenate([crit, [np.inf]])
    span = max(1.0, float(np.ptp(crit))) if crit.size else 1.0
    mid = np.where(np.isinf(lo_b), hi_b - span, np.where(np.isinf(hi_b), lo_b + span, (lo_b + hi_b) / 2))
    sel = hi_b >= lower  # intervals that meet the feasible range L1 >= lower
    lo_b, hi_b, mid = lo_b[sel], hi_b[sel], mid[sel]
    c_mid = y[None, :] - mid[:, None] * x[None, :]
    order = np.argsort(-c_mid, axis=1, kind="stable")       # decreasing c: positive residuals first
    xs, ys, ms = x[order], y[order], mult[order]              # (m, n)
    zeros = np.zeros((xs.shape[0], 1))

    def top(v):  # prefix sums over the top-j, j = 0..n
        return np.concatenate([zeros, np.cumsum(v, axis=1)], axis=1)

    S0 = mult.sum() + lam * top(ms)
    S1 = (mult * x).sum() + lam * top(ms * xs)
    S2 = (mult * x * x).sum() + lam * top(ms * xs * xs)
    T0 = (mult * y).sum() + lam * top(ms * ys)
    T1 = (mult * x * y).sum() + lam * top(ms * xs * ys)
    a, b = _box_minimisers(S0, S1, S2, T0, T1, lower)        # (3, m, n+1)
    # Every cell's box minimiser is a feasible point, and the global minimiser is the box
    # minimiser of the cell whose closure holds it, so the smallest objective over all
    # candidates is the minimum: no tolerance is involved.  Evaluated in chunks.
    # a cell's box minimiser is its candidate with the smallest cell quadratic
    # q = S0 a^2 + 2 S1 a b + S2 b^2 - 2 T0 a - 2 T1 b (+ a constant per cell)
    q = S0 * a * a + 2 * S1 * a * b + S2 * b * b - 2 * T0 * a - 2 * T1 * b
    best = np.argmin(np.where(np.isfinite(q), q, np.inf), axis=0)[None]
    ca = np.take_along_axis(a, best, axis=0).reshape(-1)
    cb = np.take_along_axis(b, best, axis=0).reshape(-1)
    ok = np.isfinite(ca) & np.isfinite(cb)
    ca, cb = ca[ok], cb[ok]
    y, x, n = y_all, x_all, y_all.size
    vals = np.empty(ca.size)
    chunk = max(1, 2_000_000 // n)
    for s0 in range(0, ca.size, chunk):
        r = y[None, :] - ca[s0:s0 + chunk, None] - cb[s0:s0 + chunk, None] * x[None, :]
        vals[s0:s0 + chunk] = np.sum(r * r, axis=1) + lam * np.sum(np.maximum(r, 0.0) ** 2, axis=1)
    i = int(np.argmin(vals))
    L0, L1 = float(ca[i]), float(cb[i])
    return Fit(L0, L1, mse_rel(L0, L1, y, x) if (y > 0).all() else math.nan, float(vals[i]), n,
               "exact active set")


def expectile_offset(lam: float = LAMBDA) -> float:
    """The ``m`` with ``-m + lam (phi(m) - m (1 - Phi(m))) = 0`` for a standard normal.

    For estimates ``lhat_k = L0 + L1 g_k + sigma z_k`` with ``z_k ~ N(0, 1)``
    independent of ``g``, the population minimiser of ``F`` is
    ``(L0 + m sigma, L1)``: ``E[r] + lam E[r_+] = 0`` at ``r = sigma (z - m)``,
    with ``E[(z - m)_+] = phi(m) - m (1 - Phi(m))``.  Solved by ``brentq``.
    """
    from scipy.optimize import brentq
    from scipy.stats import norm

    def h(m):
        return -m + lam * (norm.pdf(m) - m * norm.sf(m))

    return float(brentq(h, -10.0, 10.0, xtol=1e-14))


def hinge_fit_covariance(g, sigma: float, lam: float = LAMBDA) -> np.ndarray:
    """Asymptotic covariance of the fitted ``(L0, L1)`` for ``lhat_k = L0 + L1 g_k + sigma z_k``.

    The fit solves ``sum_k psi(r_k) [1, g_k] = 0`` with ``psi(r) = w(r) r``,
    ``w = 1 + lam [r > 0]``; for noise independent of ``g`` the M-estimator
    sandwich gives ``Cov = E[psi^2] / E[w]^2 (sum_k x_k x_k^T)^{-1}`` with
    ``x_k = [1, g_k]`` and, at ``r = sigma (z - m)`` (``m``:
    :func:`expectile_offset`),

        E[w]        = 1 + lam (1 - Phi(m)),
        E[psi^2]    = sigma^2 (1 + m^2 + ((1 + lam)^2 - 1) ((1 + m^2)(1 - Phi(m)) - m phi(m))),

    from ``int_m^inf (z - m)^2 phi = (1 + m^2)(1 - Phi(m)) - m phi(m)`` (Huber,
    *Robust Statistics*, section 6.3, for the sandwich form).
    """
    from scipy.stats import norm

    x = np.asarray(g, dtype=np.float64)
    m = expectile_offset(lam)
    tail = norm.sf(m)
    Ew = 1 + lam * tail
    Epsi2 = sigma ** 2 * (1 + m * m + ((1 + lam) ** 2 - 1) * ((1 + m * m) * tail - m * norm.pdf(m)))
    X = np.stack([np.ones_like(x), x], axis=1)
    return Epsi2 / Ew ** 2 * np.linalg.inv(X.T @ X)
