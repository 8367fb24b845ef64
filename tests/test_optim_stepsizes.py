"""Stepsize policies: Theorem 1's measured per-step decrease, Theorem 2, cosine, UBA, warm-up (docs/theory.md 5-7, 11.6)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gluon_ref.optim import (
    UBA,
    Constant,
    Cosine,
    Gluon,
    Momentum,
    Theorem1Adaptive,
    Theorem2Schedule,
    TrustRatio,
    Warmup,
    gluon_config,
    uba_factor,
)
from gluon_ref.optim.stepsizes import StepContext

EPS = float(np.finfo(np.float64).eps)


def _ctx(k=0, **kw):
    return StepContext(k=k, name="x", shape=(1,), norm=None, param=None, grad=None, momentum=None,
                       direction=None, **kw)


# -- Theorem 1: per-step decrease, measured ------------------------------------------------------

def _separable_quadratic(rng, shapes):
    """f(X) = sum_i w_i/2 ||X_i - C_i||_F^2; grad_i = w_i (X_i - C_i).

    Valid L0 (Assumption 1 with L1 = 0, hence also for any L1 >= 0):
    * Frobenius norm (self-dual): ||w D||_F = w ||D||_F, so L0_i = w_i;
    * spectral norm: ||w D||_nuc <= w rank(D) ||D||_2 <= w min(m, n) ||D||_2, so L0_i = w_i min(m, n).
    """
    w = {n: float(np.exp(rng.uniform(-1.5, 1.5))) for n in shapes}
    c = {n: rng.standard_normal(s) for n, s in shapes.items()}

    def f(x):
        return sum(0.5 * w[n] * float(np.sum((x[n] - c[n]) ** 2)) for n in x)

    def grad(x):
        return {n: w[n] * (x[n] - c[n]) for n in x}

    return w, c, f, grad


def _dual(norm_name, g):
    if norm_name == "spectral":
        return float(np.sum(np.linalg.svd(g, compute_uv=False)))  # nuclear norm
    return float(np.linalg.norm(g))


SHAPES = {"a": (6, 4), "b": (3, 5), "c": (7,), "d": (4, 4)}
NORMS = {"a": "spectral", "b": "frobenius", "c": "frobenius", "d": "spectral"}


def _theorem1_decreases(seed, l1_scale, shrink=1.0, steps=12):
    rng = np.random.default_rng(seed)
    w, _, f, grad = _separable_quadratic(rng, SHAPES)
    L0 = {n: w[n] * (min(s) if NORMS[n] == "spectral" else 1.0) for n, s in SHAPES.items()}
    L1 = {n: l1_scale * float(rng.uniform(0, 1)) for n in SHAPES}
    x = {n: 3 * rng.standard_normal(s) for n, s in SHAPES.items()}
    opt = Gluon(gluon_config(x, norms=NORMS,
                             stepsizes={n: Theorem1Adaptive(shrink * L0[n], L1[n]) for n in SHAPES}))
    state = opt.init(x)
    out = []
    for _ in range(steps):
        g = grad(x)
        gd = {n: _dual(NORMS[n], g[n]) for n in x}
        guaranteed = sum(gd[n] ** 2 / (2 * (shrink * L0[n] + L1[n] * gd[n])) for n in x)
        new, state = opt.step(x, g, state)
        for n in x:  # the policy used g_i = ||grad_i||_* as Theorem 1 says
            assert state.info["stepsizes"][n] == pytest.approx(
                gd[n] / (shrink * L0[n] + L1[n] * gd[n]), rel=64 * EPS * 16)
        fx, fn = f(x), f(new)
        # rounding allowance: evaluating f (relative 64 eps), plus the rounding of the new
        # iterate itself, ||fl(X + t D) - (X + t D)||_F <= delta_i = 2 eps ||X_new_i||_F, which
        # moves f by at most ||grad_i f(X_new)||_F delta_i + w_i delta_i^2 / 2
        g_new = grad(new)
        delta = {n: 2 * EPS * float(np.linalg.norm(new[n])) for n in x}
        tol = 64 * EPS * (fx + fn) + sum(float(np.linalg.norm(g_new[n])) * delta[n]
                                         + w[n] * delta[n] ** 2 / 2 for n in x)
        out.append((fx - fn, guaranteed, tol))
        x = new
    return out


@given(seed=st.integers(0, 2**31 - 1), l1_scale=st.sampled_from([0.0, 0.1, 1.0, 10.0]))
def test_theorem1_guaranteed_decrease_every_step(seed, l1_scale):
    """f(X^k) - f(X^{k+1}) >= sum_i g_i^2 / (2 (L0_i + L1_i g_i)) at every step (docs/theory.md 5)."""
    for dec, bound, tol in _theorem1_decreases(seed, l1_scale):
        assert dec >= bound - tol


def test_theorem1_tight_on_frobenius_with_l1_zero():
    """With L1 = 0 on a Frobenius quadratic the decrease equals g^2/(2 w) exactly (t g - w t^2/2 at t = g/w)."""
    rng = np.random.default_rng(5)
    shapes = {"b": (3, 5), "c": (7,)}
    w, _, f, grad = _separable_quadratic(rng, shapes)
    x = {n: rng.standard_normal(s) for n, s in shapes.items()}
    opt = Gluon(gluon_config(x, norms="frobenius", stepsizes={n: Theorem1Adaptive(w[n], 0.0) for n in shapes}))
    g = grad(x)
    new, _ = opt.step(x, g, opt.init(x))
    expect = sum(float(np.sum(g[n] ** 2)) / (2 * w[n]) for n in shapes)
    assert f(x) - f(new) == pytest.approx(expect, rel=64 * EPS * 35)


def test_theorem1_negative_control_invalid_L0():
    """With L0/4 (invalid) and L1 = 0 the promised decrease fails: the check can fail."""
    rows = _theorem1_decreases(3, 0.0, shrink=0.25, steps=3)
    assert any(dec < bound - tol for dec, bound, tol in rows)


def test_theorem1_zero_gradient_gives_zero_step():
    pol = Theorem1Adaptive(1.0, 2.0)
    ctx = _ctx()
    ctx.__dict__["grad_dual"] = 0.0
    assert pol(ctx) == 0.0
    with pytest.raises(ValueError, match="both 0"):
        Theorem1Adaptive(0.0, 0.0)


def test_theorem1_l0_zero_is_constant_radius():
    """L0 = 0: t_i = 1/L1_i, a constant radius (uSCG with radius 1/L1, docs/theory.md 6)."""
    pol = Theorem1Adaptive(0.0, 4.0)
    for g in (1e-3, 1.0, 1e6):
        ctx = _ctx()
        ctx.__dict__["grad_dual"] = g
        assert pol(ctx) == pytest.approx(0.25, rel=4 * EPS)


# -- Theorem 2 ----------------------------------------------------------------------------------

def test_theorem2_schedule_values():
    pol = Theorem2Schedule(0.8)
    assert pol(_ctx(0)) == 0.8
    assert pol(_ctx(15)) == pytest.approx(0.8 / 8, rel=4 * EPS)   # 16^(-3/4) = 1/8
    assert Theorem2Schedule.beta(0) == 0.0                        # M^0 = g^0
    assert Theorem2Schedule.beta(3) == 0.5                        # 1 - 4^(-1/2)
    assert Theorem2Schedule.beta(99) == pytest.approx(0.9, rel=4 * EPS)


def test_theorem2_run_uses_schedule_and_beta():
    rng = np.random.default_rng(0)
    x = {"w": rng.standard_normal((4, 3))}
    opt = Gluon(gluon_config(x, norms="rms_to_rms", stepsizes=Theorem2Schedule(0.1),
                             momentum=Momentum("ema", Theorem2Schedule.beta)))
    s = opt.init(x)
    g0, g1 = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    x1, s = opt.step(x, {"w": g0}, s)
    x2, s = opt.step(x1, {"w": g1}, s)
    b1 = 1 - 2 ** -0.5
    np.testing.assert_allclose(s.momentum_buffer["w"], b1 * g0 + (1 - b1) * g1, rtol=1e-14)
    assert s.info["stepsizes"]["w"] == pytest.approx(0.1 * 2 ** -0.75, rel=4 * EPS)


# -- cosine, UBA, warm-up ---------------------------------------------------------------------

def test_cosine_endpoints_and_midpoint():
    c = Cosine(2.0, 10, t_min=0.5)
    assert c.at(0) == 2.0 and c.at(10) == 0.5 and c.at(25) == 0.5
    assert c.at(5) == pytest.approx(1.25, rel=4 * EPS)


@given(k=st.integers(0, 200), T=st.integers(1, 200))
def test_uba_phi2_is_cosine(k, T):
    """phi = 2 gives exactly cosine annealing (docs/theory.md 11.6; formula uncertain)."""
    assert UBA(1.0, T, 2.0).at(k) == pytest.approx(Cosine(1.0, T).at(k), abs=4 * EPS)


@given(theta=st.floats(0.0, math.pi), phi=st.floats(0.05, 20.0))
def test_uba_shape(theta, phi):
    f = uba_factor(theta, phi)
    u = (1 + math.cos(theta)) / 2
    assert 0.0 <= f <= 1.0 + 4 * EPS
    if 0 < u < 1:  # 1/f - 1 = (phi/2)(1/u - 1)
        assert 1 / f - 1 == pytest.approx((phi / 2) * (1 / u - 1), rel=1e-10, abs=1e-12)
        # phi < 2 stays above cosine, phi > 2 below
        if phi < 2:
            assert f >= u - 4 * EPS
        if phi > 2:
            assert f <= u + 4 * EPS
    assert uba_factor(0.0, phi) == pytest.approx(1.0, abs=4 * EPS)
    assert uba_factor(math.pi, phi) == 0.0


def test_uba_flagged_uncertain():
    assert UBA(1.0, 10, 3.0).status == "uncertain"
    assert "uncertain" in UBA.__doc__.lower()


def test_warmup_composes():
    pol = Warmup(Cosine(1.0, 100), 10)
    assert pol(_ctx(0)) == pytest.approx(0.1 * Cosine(1.0, 100).at(0))
    assert pol(_ctx(4)) == pytest.approx(0.5 * Cosine(1.0, 100).at(4))
    assert pol(_ctx(50)) == Cosine(1.0, 100).at(50)
    scaled = Warmup(Constant(2.0), 4) * 3.0
    assert scaled(_ctx(1)) == pytest.approx(3.0)


def test_trust_ratio_step_length():
    """||t lmo(M)||_F = lr * trust * ||X||_F for l_inf and Frobenius LMOs (LARS / LAMB)."""
    rng = np.random.default_rng(2)
    x = {"a": rng.standard_normal((5, 3)), "b": rng.standard_normal(6)}
    for norm in ("linf", "frobenius"):
        opt = Gluon(gluon_config(x, norms=norm, stepsizes=TrustRatio(0.1, trust=0.5)))
        g = {n: rng.standard_normal(v.shape) for n, v in x.items()}
        new, _ = opt.step(x, g, opt.init(x))
        for n in x:
            assert np.linalg.norm(new[n] - x[n]) == pytest.approx(0.05 * np.linalg.norm(x[n]), rel=1e-14)


@pytest.mark.parametrize("bad", [dict(t_max=-1.0, total_steps=3), dict(t_max=1.0, total_steps=0),
                                 dict(t_max=float("nan"), total_steps=3)])
def test_bad_schedule_hyperparameters(bad):
    with pytest.raises(ValueError):
        Cosine(**bad)
    with pytest.raises(ValueError):
        UBA(phi=2.0, **bad)


def test_bad_warmup_and_phi():
    with pytest.raises(ValueError, match="warmup_steps"):
        Warmup(Constant(1.0), 0)
    with pytest.raises(ValueError, match="phi"):
        UBA(1.0, 10, 0.0)
    with pytest.raises(ValueError, match="L1"):
        Theorem1Adaptive(1.0, float("nan"))
