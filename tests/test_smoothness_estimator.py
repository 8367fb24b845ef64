"""Eq. 10 (docs/theory.md section 8) on planted pairs, closed forms and recorded runs.

References independent of the code under test: unit vectors with closed-form
norms (a semi-orthogonal Q has spectral norm 1 and nuclear norm min(m, n);
a sign matrix has max-entry 1 and entrywise l1 m n), the quadratic
f = (L/2)||X||_F^2 whose gradient difference is L (X' - X), and the
correlated-Gaussian law of g' - g.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from gluon_ref.norms import get_norm
from gluon_ref.objectives import (DigitsMLP, LeastSquaresLayer, MinibatchOracle, SeparableObjective)
from gluon_ref.optim import Gluon, SignSGD, gluon_config
from gluon_ref.smoothness import (PLANTED_NORMS, dual_norm, estimate_layers, estimate_pair,
                                  fit_l0l1_exact, planted_pairs, record_run)

EPS = float(np.finfo(np.float64).eps)


pytestmark = pytest.mark.usefixtures("one_blas_thread")


@pytest.mark.parametrize("norm", sorted(PLANTED_NORMS))
def test_planted_pairs_are_recovered(norm):
    """lhat = 0.5 + 2 G by construction: Eq. 10 returns it and the exact fit returns (0.5, 2)."""
    P = planted_pairs(norm, 0.5, 2.0, 25, np.random.default_rng(0))
    est = [estimate_pair(norm, P.X[k], P.X_new[k], P.g[k], P.g_new[k]) for k in range(25)]
    y = np.array([e.lhat for e in est])
    G = np.array([e.gnorm for e in est])
    step = np.array([e.step for e in est])
    # cancellation in g = g' - lhat t u: up to G/(lhat t) = 10/(0.5 * 0.05) = 400 digits lost
    tol = 64 * EPS * 400 * np.prod(P.X.shape[1:])
    np.testing.assert_allclose(step, P.t, rtol=64 * EPS * np.prod(P.X.shape[1:]))
    np.testing.assert_allclose(G, P.G, rtol=64 * EPS * np.prod(P.X.shape[1:]))
    np.testing.assert_allclose(y, P.lhat, rtol=tol)
    f = fit_l0l1_exact(y, G)
    assert f.L0 == pytest.approx(0.5, rel=1e-8) and f.L1 == pytest.approx(2.0, rel=1e-8)


def test_anchor_is_the_newer_gradient():
    """Swapping the roles of g and g' (anchoring at the older iterate) changes G: the planted
    envelope is no longer recovered."""
    P = planted_pairs("rms_to_rms", 0.5, 2.0, 25, np.random.default_rng(1), t=0.5)
    est = [estimate_pair("rms_to_rms", P.X[k], P.X_new[k], P.g_new[k], P.g[k]) for k in range(25)]
    G_old = np.array([e.gnorm for e in est])
    f = fit_l0l1_exact(np.array([e.lhat for e in est]), G_old)
    assert abs(f.L1 - 2.0) > 0.05 or abs(f.L0 - 0.5) > 0.05


def test_quadratic_gives_its_constant_in_any_direction():
    """f = (L/2)||X||_F^2 in the Frobenius norm: g' - g = L (X' - X), so lhat = L exactly."""
    rng = np.random.default_rng(2)
    L = 3.7
    for _ in range(5):
        X, Xn = rng.standard_normal((4, 6)), rng.standard_normal((4, 6))
        e = estimate_pair("frobenius", X, Xn, L * X, L * Xn)
        assert e.lhat == pytest.approx(L, rel=1e-14)
        assert e.gnorm == pytest.approx(L * np.linalg.norm(Xn), rel=1e-14)
        # the decomposition lhat = c G / step is an identity
        assert e.lhat == pytest.approx(e.noise_factor * e.gnorm / e.step, rel=1e-14)


def test_spectral_closed_form():
    """rms_to_rms, a full-rank orthogonal step D = t sqrt(m/n) Q: ||D|| = t, and for g' - g =
    a Q the dual norm is a sqrt(m/n) * n (nuclear norm of Q is n = min(m, n))."""
    rng = np.random.default_rng(3)
    m, n, t, a = 8, 5, 0.1, 2.5
    Q = np.linalg.qr(rng.standard_normal((m, n)))[0]
    X = rng.standard_normal((m, n))
    g = rng.standard_normal((m, n))
    e = estimate_pair("rms_to_rms", X, X + t * math.sqrt(m / n) * Q, g, g + a * Q)
    assert e.step == pytest.approx(t, rel=1e-13)
    assert e.diff == pytest.approx(a * math.sqrt(m / n) * n, rel=1e-13)
    assert e.lhat == pytest.approx(a * math.sqrt(m / n) * n / t, rel=1e-13)


def test_newton_schulz_dual_norm_is_below_exact():
    """<g, s_NS(g)> with Keller Jordan's quintic: singular values of the NS output lie in about
    [0.68, 1.2] (docs/polar.md), so the value is within that band of the exact dual norm; non-spectral
    norms are unchanged."""
    rng = np.random.default_rng(4)
    g = rng.standard_normal((16, 12))
    exact = dual_norm("rms_to_rms", g)
    ns = dual_norm("rms_to_rms", g, orthogonalizer="muon")
    assert 0.6 * exact <= ns <= 1.25 * exact and ns != pytest.approx(exact, rel=1e-6)
    s = rng.standard_normal((4, 5))
    assert dual_norm("sign", s, orthogonalizer="muon") == dual_norm("sign", s)


def test_backends_agree(xp):
    P = planted_pairs("rms_to_rms", 0.5, 2.0, 3, np.random.default_rng(5))
    for k in range(3):
        a = estimate_pair("rms_to_rms", P.X[k], P.X_new[k], P.g[k], P.g_new[k])
        b = estimate_pair("rms_to_rms", *(xp.asarray(v) for v in (P.X[k], P.X_new[k], P.g[k], P.g_new[k])))
        assert b.lhat == pytest.approx(a.lhat, rel=1e-12) and b.gnorm == pytest.approx(a.gnorm, rel=1e-12)


def test_bad_input():
    x = np.ones((3, 4))
    with pytest.raises(ValueError, match="'W1' has zero length"):
        estimate_layers({"W1": get_norm("rms_to_rms")}, {"W1": x}, {"W1": x}, {"W1": x}, {"W1": 2 * x})
    with pytest.raises(ValueError, match="one shape"):
        estimate_pair("frobenius", x, x + 1, x, np.ones((4, 3)))
    with pytest.raises(KeyError, match="'b'.*X_new"):
        estimate_layers({"b": "rms"}, {"b": np.ones(3)}, {}, {"b": np.ones(3)}, {"b": np.ones(3)})
    with pytest.raises(ValueError, match="non-finite|NaN"):
        estimate_pair("frobenius", x, x + 1, x, x * np.nan)


# -- the recorder ------------------------------------------------------------------------------

def _quadratic(L=2.0):
    """f(X) = (L/2) ||X||_F^2 on two Frobenius layers: least squares over N = 5 samples with
    Z = sqrt(L N) [I_n, 0], so K = Z Z^T / N = L I."""
    terms = {k: LeastSquaresLayer(math.sqrt(5 * L) * np.eye(n, 5), np.zeros((3, n)), "frobenius")
             for k, n in (("a", 4), ("b", 5))}
    return SeparableObjective(terms, name="quadratic")


def test_recorder_on_a_quadratic_measures_its_constant():
    obj = _quadratic(2.0)
    X0 = {"a": np.ones((3, 4)), "b": -np.ones((3, 5))}
    opt = Gluon(gluon_config(X0, norms="frobenius", stepsizes=0.05))
    rec = record_run(obj, opt, 10, X0=X0)
    tr = rec.traces["different"]
    assert tr.k.tolist() == list(range(1, 11))
    for layer in ("a", "b"):
        np.testing.assert_allclose(tr.lhat[layer], 2.0, rtol=1e-12)
        np.testing.assert_allclose(tr.step[layer], 0.05, rtol=1e-12)
    assert rec.losses.size == 11 and rec.final_loss == pytest.approx(obj.value(rec.final_point))


def test_recorder_pairings_on_minibatches():
    """'different' uses the optimizer's gradients, 'same' the old batch at the new point, 'full'
    full-batch gradients: recomputed here from the same seeded oracle."""
    obj = DigitsMLP(hidden=8, seed=0)
    opt = SignSGD(lr=0.01)
    steps, every, b = 6, 2, 32
    rec = record_run(obj, opt, steps, batch_size=b, seed=3, kinds=("different", "same", "full"),
                     every=every)
    oracle = MinibatchOracle(obj, b, seed=3)
    X = obj.initial_point(3)
    state = opt.init(X)
    norm = obj.layers["W1"].norm_obj
    samples = [oracle.draw()]
    g = obj.grad(X, batch=samples[0])
    expected = {"different": [], "same": [], "full": []}
    for k in range(steps):
        Xn, state = opt.step(X, g, state)
        samples.append(oracle.draw())
        gn = obj.grad(Xn, batch=samples[-1])
        if (k + 1) % every == 0:
            step = float(norm.norm(Xn["W1"] - X["W1"]))
            same = obj.grad(Xn, batch=samples[-2])["W1"]
            full_old, full_new = obj.grad(X)["W1"], obj.grad(Xn)["W1"]
            expected["different"].append(float(norm.dual_norm(gn["W1"] - g["W1"])) / step)
            expected["same"].append(float(norm.dual_norm(same - g["W1"])) / step)
            expected["full"].append(float(norm.dual_norm(full_new - full_old)) / step)
        X, g = Xn, gn
    for kind, vals in expected.items():
        np.testing.assert_allclose(rec.traces[kind].lhat["W1"], vals, rtol=1e-12)
        assert rec.traces[kind].k.tolist() == [2, 4, 6]


def test_recorder_bad_input():
    obj = _quadratic()
    opt = Gluon(gluon_config({"a": np.ones((3, 4)), "b": np.ones((3, 5))}, norms="frobenius",
                             stepsizes=0.1))
    with pytest.raises(ValueError, match="kinds"):
        record_run(obj, opt, 5, kinds=("sideways",))
    with pytest.raises(ValueError, match="steps"):
        record_run(obj, opt, 1)
    with pytest.raises(ValueError, match="every"):
        record_run(obj, opt, 5, every=0)
