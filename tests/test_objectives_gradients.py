"""Analytic gradients and Hessian-vector products against central differences.

Error model (float64).  For ``phi(t) = f(X + t V)`` the central difference
``D_h = (phi(h) - phi(-h)) / (2h)`` equals ``phi'(0) + c h^2 + O(h^4)`` plus a
rounding error at most ``u/h``, where ``u`` bounds the absolute rounding error
of one evaluation of ``phi``: ``u = 16 n eps max|phi|`` with ``n`` the number
of summed terms (:func:`proofs_check.attack.rounding_rtol`).  The
truncation term is estimated by Richardson's difference ``D_2h - D_h = 3 c h^2
+ O(h^4)``, so the tolerance

    tol = |D_2h - D_h| + 2 u / h

covers truncation with a factor 3 and rounding with a factor 2.  The step is
``h = eps^(1/3) max(1, ||X||)`` for a unit direction (Nocedal & Wright,
section 8.1).  Hessian-vector products use the same model on
``psi(t) = <W, grad f(X + t V)>``.  A negative control corrupts the gradient
by one part in 10^4 and the same check must flag it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gluon_ref.objectives import DigitsCNN, DigitsMLP, builtin_objectives
from proofs_check.attack import rounding_rtol

from conftest import assert_close

OBJS = builtin_objectives(0)
OBJS["digits"] = DigitsMLP(hidden=12, seed=1)
OBJS["digits_cnn"] = DigitsCNN(channels=(2, 3), seed=1, train_size=64)
EPS = float(np.finfo(np.float64).eps)


def _unit_direction(obj, rng):
    V = {k: rng.standard_normal(s.shape) for k, s in obj.layers.items()}
    n = math.sqrt(sum(float(np.sum(v * v)) for v in V.values()))
    return {k: v / n for k, v in V.items()}


def _fd(phi, X, V, rtol):
    xn = math.sqrt(sum(float(np.sum(x * x)) for x in X.values()))
    h = EPS ** (1 / 3) * max(1.0, xn)
    vals = {s: phi({k: X[k] + s * h * V[k] for k in X}) for s in (-2, -1, 1, 2)}
    d1 = (vals[1] - vals[-1]) / (2 * h)
    d2 = (vals[2] - vals[-2]) / (4 * h)
    u = rtol * max(abs(v) for v in vals.values())
    return d1, abs(d2 - d1) + 2 * u / h


def _directional_check(obj, X, V, G):
    analytic = sum(float(np.sum(G[k] * V[k])) for k in obj.layers)
    fd, tol = _fd(obj.value, X, V, rounding_rtol(obj, X))
    return analytic, fd, tol + 16 * EPS * abs(analytic)


@pytest.mark.parametrize("name", sorted(OBJS))
@given(seed=st.integers(0, 2**31 - 1), scale=st.sampled_from([0.1, 0.5, 1.0, 2.0]))
def test_gradient_matches_central_difference(name, seed, scale):
    obj = OBJS[name]
    rng = np.random.default_rng(seed)
    X = obj.sample_point(rng, scale)
    G = obj.grad(X)
    for _ in range(2):
        V = _unit_direction(obj, rng)
        analytic, fd, tol = _directional_check(obj, X, V, G)
        assert abs(analytic - fd) <= tol, (name, analytic, fd, tol)
        assert tol < 1e-5 * max(1.0, abs(analytic)), "FD tolerance too loose to mean anything"


@pytest.mark.parametrize("name", sorted(OBJS))
def test_corrupted_gradient_is_caught(name):
    """Negative control: a gradient wrong by 1e-4 relative fails the same check."""
    obj = OBJS[name]
    rng = np.random.default_rng(123)
    X = obj.sample_point(rng, 1.0)
    G = obj.grad(X)
    k0 = next(iter(obj.layers))
    bad = dict(G)
    bad[k0] = G[k0] * (1 + 1e-4) + 1e-4 * np.abs(G[k0]).max() * rng.standard_normal(G[k0].shape)
    V = {k: (G[k] - bad[k]) for k in obj.layers}  # direction of the corruption
    n = math.sqrt(sum(float(np.sum(v * v)) for v in V.values()))
    V = {k: v / n for k, v in V.items()}
    analytic, fd, tol = _directional_check(obj, X, V, bad)
    assert abs(analytic - fd) > tol


@pytest.mark.parametrize("name", sorted(OBJS))
@given(seed=st.integers(0, 2**31 - 1), scale=st.sampled_from([0.1, 1.0, 2.0]))
def test_hvp_matches_difference_of_gradients(name, seed, scale):
    obj = OBJS[name]
    rng = np.random.default_rng(seed)
    X = obj.sample_point(rng, scale)
    V = _unit_direction(obj, rng)
    W = _unit_direction(obj, rng)
    HV = obj.hvp(X, V)
    analytic = sum(float(np.sum(W[k] * HV[k])) for k in obj.layers)

    def psi(Y):
        g = obj.grad(Y)
        return sum(float(np.sum(W[k] * g[k])) for k in obj.layers)

    # rounding of psi is relative to sum |W||grad|, not |psi| (cancellation)
    G = obj.grad(X)
    mag = sum(float(np.sum(np.abs(W[k] * G[k]))) for k in obj.layers)
    fd, tol = _fd(psi, X, V, 0.0)
    xn = math.sqrt(sum(float(np.sum(x * x)) for x in X.values()))
    h = EPS ** (1 / 3) * max(1.0, xn)
    tol += 2 * rounding_rtol(obj, X) * mag * 4 / h + 16 * EPS * abs(analytic)
    assert abs(analytic - fd) <= tol, (name, analytic, fd, tol)


@pytest.mark.parametrize("name", sorted(OBJS))
def test_hvp_symmetric(name):
    """<W, H V> = <V, H W>: the Hessian is symmetric (exact identity)."""
    obj = OBJS[name]
    rng = np.random.default_rng(7)
    X = obj.sample_point(rng, 1.0)
    V, W = _unit_direction(obj, rng), _unit_direction(obj, rng)
    HV, HW = obj.hvp(X, V), obj.hvp(X, W)
    a = sum(float(np.sum(W[k] * HV[k])) for k in obj.layers)
    b = sum(float(np.sum(V[k] * HW[k])) for k in obj.layers)
    scale = sum(float(np.sum(np.abs(W[k] * HV[k]) + np.abs(V[k] * HW[k]))) for k in obj.layers)
    assert abs(a - b) <= rounding_rtol(obj, X) * scale


def test_hvp_fd_fallback_agrees_with_exact():
    obj = OBJS["tanh_mlp"]
    rng = np.random.default_rng(2)
    X = obj.sample_point(rng, 1.0)
    V = _unit_direction(obj, rng)
    exact, fd = obj.hvp(X, V), obj.hvp_fd(X, V)
    for k in exact:
        # h = eps^(1/3) max(1, ||X||) ~ 1e-5: truncation ~ h^2 ~ 1e-10 (times third derivatives
        # of order 1 here) and rounding ~ eps/h ~ 2e-11; allow 10x their sum
        assert_close(fd[k], exact[k], rtol=0, atol=1e-9 * max(1.0, np.abs(exact[k]).max()))
