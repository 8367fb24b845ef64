"""Independent optimality checks of the LMOs: an external solver solves
min <g, x> s.t. ||x|| <= 1 from the norm's *definition*, and its optimum must
equal <g, lmo(g)> (and -||g||_*) to 1e-9.

* l1, l_inf, max-entry (and normalized Sign), inf->inf: linear programs
  solved with ``scipy.optimize.linprog`` (HiGHS).
* ColNorm and RowNorm: the ball is an intersection of per-column (per-row) l2
  balls, a second-order cone; solved with SLSQP from the norm's definition.
* Spectral / nuclear: the dual norms equal the sum (max) of singular values
  computed from ``eigvalsh(g^T g)`` and ``numpy.linalg.norm(g, 'nuc')``, code
  paths other than the SVD the catalogue uses.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog, minimize

from gluon_ref.norms import get_norm

shapes = st.tuples(st.integers(1, 4), st.integers(1, 4))


def _lp_entrywise_box(g, bound):
    """min <g, x> s.t. |x_ij| <= bound (l_inf-type balls)."""
    res = linprog(g.ravel(), bounds=[(-bound, bound)] * g.size, method="highs")
    assert res.status == 0
    return res.fun


def _lp_l1(g, radius):
    """min <g, p - q> s.t. sum(p + q) <= radius, p, q >= 0."""
    c = np.concatenate([g.ravel(), -g.ravel()])
    res = linprog(c, A_ub=np.ones((1, c.size)), b_ub=[radius], bounds=[(0, None)] * c.size,
                  method="highs")
    assert res.status == 0
    return res.fun


def _lp_row_l1(g, radius):
    """min <g, p - q> s.t. for each row i: sum_j (p_ij + q_ij) <= radius."""
    m, n = g.shape
    c = np.concatenate([g.ravel(), -g.ravel()])
    a = np.zeros((m, 2 * m * n))
    for i in range(m):
        a[i, i * n:(i + 1) * n] = 1
        a[i, m * n + i * n:m * n + (i + 1) * n] = 1
    res = linprog(c, A_ub=a, b_ub=[radius] * m, bounds=[(0, None)] * c.size, method="highs")
    assert res.status == 0
    return res.fun


def _socp_columns(g, radius):
    """min <g, x> s.t. ||x_:j||_2 <= radius for each column, by SLSQP.

    Returns the objective at the solver's point projected onto the feasible
    set, so it is an attained (upper-bound) value, never an infeasible one.
    """
    m, n = g.shape
    cons = [{"type": "ineq",
             "fun": (lambda x, j=j: radius**2 - np.sum(x.reshape(m, n)[:, j] ** 2)),
             "jac": (lambda x, j=j: _col_jac(x, m, n, j))} for j in range(n)]
    best = math.inf
    for start in (np.zeros(g.size), -g.ravel() * radius / max(np.abs(g).max(), 1e-300) / m):
        res = minimize(lambda x: g.ravel() @ x, start, jac=lambda x: g.ravel(),
                       constraints=cons, method="SLSQP",
                       options={"ftol": 1e-15, "maxiter": 500})
        # SLSQP may end slightly outside the ball; project back so the value is attained
        x = res.x.reshape(m, n)
        x = x * np.minimum(1.0, radius / np.maximum(np.linalg.norm(x, axis=0), 1e-300))
        best = min(best, float(np.sum(g * x)))
    return best


def _col_jac(x, m, n, j):
    out = np.zeros((m, n))
    out[:, j] = -2 * x.reshape(m, n)[:, j]
    return out.ravel()


@settings(max_examples=15)
@given(shape=shapes, seed=st.integers(0, 2**32 - 1))
def test_lp_entrywise_norms(shape, seed):
    rng = np.random.default_rng(seed)
    g = rng.standard_normal(shape)
    m, n = shape
    cases = {
        "linf": _lp_entrywise_box(g, 1.0),
        "max_entry": _lp_entrywise_box(g, 1.0),
        "sign": _lp_entrywise_box(g, 1.0 / n),   # n * max|x| <= 1
        "l1": _lp_l1(g, 1.0),
        "linf_to_linf": _lp_row_l1(g, 1.0),
    }
    for name, optimum in cases.items():
        norm = get_norm(name)
        value = float(np.sum(g * norm.lmo(g)))
        assert value == pytest.approx(optimum, abs=1e-9), name
        assert -float(norm.dual_norm(g)) == pytest.approx(optimum, abs=1e-9), name


@settings(max_examples=10)
@given(shape=shapes, seed=st.integers(0, 2**32 - 1))
def test_socp_column_and_row_norms(shape, seed):
    rng = np.random.default_rng(seed)
    g = rng.standard_normal(shape)
    m, n = shape
    # ColNorm: max_j ||x_:j||_2 / sqrt(m) <= 1  <=>  ||x_:j||_2 <= sqrt(m)
    col_opt = _socp_columns(g, math.sqrt(m))
    # RowNorm: sqrt(n) max_i ||x_i:||_2 <= 1  <=>  rows of x have l2 norm <= 1/sqrt(n)
    row_opt = _socp_columns(g.T, 1 / math.sqrt(n))
    for name, optimum in (("colnorm", col_opt), ("rownorm", row_opt)):
        norm = get_norm(name)
        value = float(np.sum(g * norm.lmo(g)))
        assert value == pytest.approx(optimum, abs=1e-9 * max(1, abs(optimum))), name
        assert -float(norm.dual_norm(g)) == pytest.approx(optimum, abs=1e-9 * max(1, abs(optimum)))


@given(shape=st.tuples(st.integers(1, 9), st.integers(1, 9)), seed=st.integers(0, 2**32 - 1),
       rank=st.integers(0, 9))
def test_spectral_nuclear_against_eigenvalues(shape, seed, rank):
    rng = np.random.default_rng(seed)
    m, n = shape
    r = min(rank, m, n)
    g = rng.standard_normal((m, r)) @ rng.standard_normal((r, n))
    sv = np.sqrt(np.clip(np.linalg.eigvalsh(g.T @ g), 0, None))
    scale = max(1.0, np.abs(g).max() ** 2)
    tol = 1e-12 * scale * max(m, n)
    assert float(get_norm("spectral").dual_norm(g)) == pytest.approx(np.linalg.norm(g, "nuc"),
                                                                      abs=tol)
    assert float(get_norm("spectral").dual_norm(g)) == pytest.approx(sv.sum(), abs=1e-6 * scale)
    assert float(get_norm("nuclear").dual_norm(g)) == pytest.approx(sv.max(initial=0),
                                                                     abs=1e-6 * scale)
    assert float(get_norm("spectral").norm(g)) == pytest.approx(np.linalg.norm(g, 2), abs=tol)
    # the spectral LMO attains minus the nuclear norm
    value = float(np.sum(g * get_norm("spectral").lmo(g)))
    assert value == pytest.approx(-np.linalg.norm(g, "nuc"), abs=tol)
