"""The (L0, L1) fit: L-BFGS-B against the exact active-set solver, KKT, expectile, bad input.

Independent references: the KKT conditions of the convex objective written
out here, scipy's Nelder-Mead on the objective written out here, closed-form
lines, and the expectile equation solved by numerical integration.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, optimize, stats

from gluon_ref.smoothness import (LAMBDA, LOWER, expectile_offset, fit_l0l1, fit_l0l1_exact,
                                  hinge_balance, hinge_objective, mse_rel)
from gluon_ref.smoothness.fit import hinge_fit_covariance

EPS = float(np.finfo(np.float64).eps)


pytestmark = pytest.mark.usefixtures("one_blas_thread")


def _F(p, y, g, lam=LAMBDA):
    """The hinge objective written out independently of the library."""
    r = y - p[0] - p[1] * g
    return float(np.sum(r ** 2) + lam * np.sum(np.where(r > 0, r, 0.0) ** 2))


def _grad(p, y, g, lam=LAMBDA):
    r = y - p[0] - p[1] * g
    w = 1 + lam * (r > 0)
    return np.array([-2 * np.sum(w * r), -2 * np.sum(w * r * g)])


def _datasets(n_sets=25, seed=0):
    rng = np.random.default_rng(seed)
    for _ in range(n_sets):
        n = int(rng.integers(3, 50))
        g = np.exp(rng.uniform(-3, 3, n))
        kind = rng.integers(3)
        if kind == 0:      # L0-dominated
            y = rng.uniform(0.5, 5) * np.exp(rng.normal(0, 0.3, n))
        elif kind == 1:    # proportional
            y = rng.uniform(0.5, 5) * g * np.exp(rng.normal(0, 0.3, n))
        else:              # mixed
            y = np.abs(rng.uniform(0, 2) + rng.uniform(0, 2) * g + rng.normal(0, 0.5, n))
        yield y, g


def test_exact_solver_satisfies_kkt():
    """At the exact minimiser: dF/dL_j = 0 where L_j > lower and >= 0 where L_j = lower."""
    for y, g in _datasets():
        f = fit_l0l1_exact(y, g)
        d = _grad((f.L0, f.L1), y, g)
        scale = 2 * (1 + LAMBDA) * np.sum(np.abs(y)) * np.array([1.0, np.max(g)])
        tol = 1e3 * EPS * scale
        for j, L in enumerate((f.L0, f.L1)):
            if L > LOWER * (1 + 1e-12):
                assert abs(d[j]) <= tol[j], (j, d, tol)
            else:
                assert d[j] >= -tol[j], (j, d, tol)


def test_exact_solver_is_the_minimum():
    """No point found by Nelder-Mead (any start) or on a grid around the solution is lower."""
    rng = np.random.default_rng(1)
    for y, g in list(_datasets(5, seed=1)):
        f = fit_l0l1_exact(y, g)
        F = _F((f.L0, f.L1), y, g)
        assert F == pytest.approx(f.objective, rel=1e-13)
        for _ in range(2):
            start = np.abs(rng.normal(0, 3, 2)) + LOWER
            nm = optimize.minimize(lambda p: _F(np.maximum(p, LOWER), y, g), start, method="Nelder-Mead",
                                   options=dict(xatol=1e-12, fatol=1e-14, maxiter=20000))
            assert F <= nm.fun * (1 + 1e-12) + 1e-300
        for dL0 in (-1e-3, 0, 1e-3):
            for dL1 in (-1e-3, 0, 1e-3):
                p = (max(LOWER, f.L0 + dL0), max(LOWER, f.L1 + dL1))
                assert F <= _F(p, y, g) * (1 + 1e-13)


def test_scipy_fit_agrees_with_exact():
    """L-BFGS-B reaches the exact objective to 1e-9 relative; the constants agree to 1e-4
    relative (the objective is quadratic at the minimiser, so a 1e-9 objective gap allows a
    parameter error of order sqrt(1e-9) relative to its curvature scale)."""
    for y, g in _datasets():
        fs, fe = fit_l0l1(y, g), fit_l0l1_exact(y, g)
        assert fs.objective >= fe.objective * (1 - 1e-13)
        assert fs.objective <= fe.objective * (1 + 1e-9) + EPS * np.sum(y * y)
        for a, b in ((fs.L0, fe.L0), (fs.L1, fe.L1)):
            assert abs(a - b) <= 1e-4 * max(abs(b), 1e-2 * np.max(y) / max(1.0, np.max(g)))


def test_line_is_recovered_exactly():
    g = np.linspace(0.1, 3.0, 17)
    for L0, L1 in ((0.5, 3.0), (2.0, 1e-6), (1e-6, 70.0)):
        y = L0 + L1 * g
        fe = fit_l0l1_exact(y, g)
        assert fe.L0 == pytest.approx(L0, rel=1e-9, abs=1e-12)
        assert fe.L1 == pytest.approx(L1, rel=1e-9, abs=1e-12)
        assert fe.objective <= 1e-20 * np.sum(y * y)
        fs = fit_l0l1(y, g)
        assert fs.L0 == pytest.approx(L0, rel=1e-6, abs=1e-6 * np.max(y))
        assert fs.L1 == pytest.approx(L1, rel=1e-6, abs=1e-6)
        assert fs.mse_rel <= 1e-10


def test_hinge_pushes_up_and_balances():
    """Residuals above the fit carry at most 1/(1 + lam) of the mass below it (KKT in L0), with
    equality when L0 > lower; lam = 0 is ordinary least squares (scipy's lstsq)."""
    for y, g in _datasets(10, seed=3):
        f = fit_l0l1_exact(y, g)
        pos, neg = hinge_balance(f.L0, f.L1, y, g)
        assert pos <= neg * (1 + 1e-9) + 1e-12
        if f.L0 > 10 * LOWER:
            assert pos == pytest.approx(neg, rel=1e-8)
    rng = np.random.default_rng(4)
    g = np.exp(rng.uniform(-1, 1, 30))
    y = 1.0 + 2.0 * g + rng.normal(0, 0.1, 30)
    ls = np.linalg.lstsq(np.stack([np.ones_like(g), g], 1), y, rcond=None)[0]
    f0 = fit_l0l1_exact(y, g, lam=0.0)
    np.testing.assert_allclose([f0.L0, f0.L1], ls, rtol=1e-10)
    assert fit_l0l1_exact(y, g).L0 > f0.L0  # the hinge lifts the envelope


def test_expectile_offset_by_integration():
    """m solves E[(z - m)] + lam E[(z - m)_+] = 0 for z ~ N(0, 1), computed here by quadrature."""
    def h(m):
        plus = integrate.quad(lambda z: (z - m) * stats.norm.pdf(z), m, np.inf)[0]
        return -m + LAMBDA * plus

    m = optimize.brentq(h, -5, 5, xtol=1e-13)
    assert expectile_offset(LAMBDA) == pytest.approx(m, abs=1e-9)
    assert expectile_offset(0.0) == pytest.approx(0.0, abs=1e-12)


def test_noisy_line_lands_on_expectile_within_standard_errors():
    """lhat = L0 + L1 g + sigma z: the fit is (L0 + m sigma, L1) within 5 sandwich standard
    errors; a wrong sign of the hinge (penalising the negative residuals) lands at L0 - m sigma."""
    rng = np.random.default_rng(5)
    n, L0, L1, sigma = 3000, 1.5, 2.0, 0.2
    g = np.exp(rng.uniform(math.log(0.1), math.log(10), n))
    y = L0 + L1 * g + sigma * rng.standard_normal(n)
    f = fit_l0l1(y, g)
    se = np.sqrt(np.diag(hinge_fit_covariance(g, sigma)))
    m = expectile_offset()
    assert abs(f.L0 - (L0 + m * sigma)) <= 5 * se[0]
    assert abs(f.L1 - L1) <= 5 * se[1]
    assert abs(f.L0 - (L0 - m * sigma)) > 5 * se[0]


@pytest.mark.slow
def test_sandwich_covariance_by_monte_carlo():
    rng = np.random.default_rng(6)
    n, sigma = 500, 0.3
    g = np.exp(rng.uniform(-1, 1, n))
    est = np.array([[f.L0, f.L1] for f in (fit_l0l1(1.0 + 2.0 * g + sigma * rng.standard_normal(n), g)
                                           for _ in range(400))])
    cov = hinge_fit_covariance(g, sigma)
    # 400 replications: relative standard error of a variance estimate sqrt(2/399) ~ 0.07
    np.testing.assert_allclose(np.var(est, axis=0, ddof=1), np.diag(cov), rtol=0.3)


def test_mse_rel_and_objective_by_hand():
    y, g = np.array([1.0, 2.0, 4.0]), np.array([1.0, 2.0, 3.0])
    # line 1 + g: residuals 1 - 2 = -1, 2 - 3 = -1, 4 - 4 = 0
    assert mse_rel(1.0, 1.0, y, g) == pytest.approx((1 + 0.25 + 0) / 3)
    assert hinge_objective(1.0, 1.0, y, g) == pytest.approx(2.0)
    assert hinge_objective(0.0, 1.0, y, g) == pytest.approx(0 + 0 + 1 * (1 + LAMBDA))


def test_bad_input():
    g = np.array([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="degenerate"):
        fit_l0l1(np.array([1.0, 2.0, 3.0]), np.ones(3))
    with pytest.raises(ValueError, match="non-finite"):
        fit_l0l1(np.array([1.0, np.nan, 3.0]), g)
    with pytest.raises(ValueError, match=">= 0"):
        fit_l0l1_exact(np.array([1.0, -2.0, 3.0]), g)
    with pytest.raises(ValueError, match="one length"):
        fit_l0l1(np.ones(4), g)
    with pytest.raises(ValueError, match="at least 2"):
        fit_l0l1(np.ones(1), np.ones(1))
    with pytest.raises(ValueError, match="max_n"):
        fit_l0l1_exact(np.ones(200), np.linspace(1, 2, 200))
    with pytest.raises(ValueError, match="lam"):
        fit_l0l1(g, g, lam=-1.0)
    with pytest.raises(ValueError, match="divides"):
        mse_rel(1.0, 1.0, np.array([0.0, 1.0]), np.array([1.0, 2.0]))
