"""Typed optimizer state: one record type per optimizer, one name per buffer, closed-form contents.

After two steps with gradients ``g0, g1`` every buffer has a closed form in ``g0, g1`` and the
hyperparameters (the formulas in the presets' module docstrings, docs/theory.md 3, 9-11), written here
by hand, never taken from the optimizer's code.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from gluon_ref.optim import (
    LAMB,
    LARS,
    SGD,
    Adam,
    AdamState,
    Gluon,
    GluonMVR,
    Momentum,
    MomentumState,
    Muon,
    NormalizedGD,
    NorMuonCode,
    NorMuonPaper,
    NorMuonState,
    OptState,
    PRESETS,
    Scion,
    Shampoo,
    ShampooState,
    SignSGD,
    Sophia,
    SophiaState,
    get_preset,
    gluon_config,
)
from gluon_ref.optim.momentum import nesterov
from gluon_ref.polar import polar_exact

from conftest import rtol_for

#: the buffer names documented in gluon_ref.optim.base: one name per buffer across optimizers
VOCABULARY = {"momentum_buffer", "second_moment", "row_second_moment", "hessian_diag", "left",
              "right"}
BASE_FIELDS = {f.name for f in dataclasses.fields(OptState)}
STATE_TYPES = (MomentumState, AdamState, NorMuonState, ShampooState, SophiaState)

# wide and square layers of full rank (almost surely), so that an exact polar factor has rows of
# unit norm (NorMuon's closed form below)
SHAPES = {"a": (3, 5), "b": (4, 4)}


def _buffers(state_type) -> set[str]:
    return {f.name for f in dataclasses.fields(state_type)} - BASE_FIELDS


def test_buffer_names_are_one_vocabulary():
    names = set().union(*(_buffers(t) for t in STATE_TYPES))
    assert names == VOCABULARY
    for name in PRESETS:
        opt = get_preset(name, **({"lr": 0.01} if name == "scion_cnn" else {}))
        assert issubclass(opt.state_type, OptState) and opt.state_type is not OptState, name
        assert _buffers(opt.state_type) <= VOCABULARY, name


def test_state_is_frozen_and_advance_checks_names():
    s = MomentumState(k=0, layers=("w",))
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.k = 3
    with pytest.raises(TypeError, match="momentum"):
        s.advance(momentum={"w": np.ones(2)})  # the old slot name is not a field
    s1 = s.advance(momentum_buffer={"w": np.ones(2)}, info={"stepsizes": {"w": 0.1}})
    assert type(s1) is MomentumState and s1.k == 1 and s.k == 0 and s.momentum_buffer == {}


def test_a_state_of_another_type_is_rejected():
    x = {"w": np.ones((3, 3))}
    g = {"w": np.eye(3)}
    with pytest.raises(TypeError, match=r"state must be the AdamState returned by Adam\.init\(\), got MomentumState"):
        Adam().step(x, g, Muon().init(x))
    with pytest.raises(TypeError, match="MomentumState"):
        Muon().step(x, g, Shampoo().init(x))


def _two_steps(opt, x0, g0, g1, **extra1):
    s = opt.init(x0)
    assert type(s) is opt.state_type and s.k == 0
    x1, s = opt.step(x0, g0, s)
    x2, s = opt.step(x1, g1, s, **extra1)
    assert type(s) is opt.state_type and s.k == 2
    return x1, s


def _close(actual, expected, scale, n_ops=4):
    # a handful of roundings on each side: |error| <= n_ops * eps * magnitude (rtol_for's factor 8
    # covers the two sides)
    np.testing.assert_allclose(actual, expected, rtol=0, atol=rtol_for("float64", n_ops) * scale)


def _draw(seed):
    rng = np.random.default_rng(seed)
    return ({n: rng.standard_normal(s) for n, s in SHAPES.items()},
            {n: rng.standard_normal(s) for n, s in SHAPES.items()},
            {n: rng.standard_normal(s) for n, s in SHAPES.items()})


def _mag(*arrays):
    return max(float(np.max(np.abs(a))) for a in arrays)


@pytest.mark.parametrize("seed", [0, 1])
def test_momentum_buffers_hold_their_closed_forms(seed):
    x0, g0, g1 = _draw(seed)
    beta, mu, alpha, damp = 0.8, 0.9, 0.3, 0.25
    ema = lambda b, n: (1 - b) * (b * g0[n] + g1[n])   # noqa: E731 - zero-initialised EMA, 2 steps
    cases = {
        # Gluon's paper EMA starts at M^0 = g^0 (docs/theory.md 3)
        "gluon ema": (Gluon(gluon_config(x0, norms="spectral", stepsizes=0.1,
                                         momentum=Momentum("ema", beta))),
                      lambda n: beta * g0[n] + (1 - beta) * g1[n]),
        # torch.optim.Muon's lerp buffer, zero-initialised: (1 - mu)(mu g0 + g1)
        "gluon nesterov": (Gluon(gluon_config(x0, norms="spectral", stepsizes=0.1,
                                              momentum=nesterov(mu))), lambda n: ema(mu, n)),
        "muon": (Muon(lr=0.01, momentum=mu), lambda n: ema(mu, n)),
        # Scion: d <- (1 - alpha) d + alpha g from 0
        "scion": (Scion(momentum=alpha, orthogonalizer=polar_exact),
                  lambda n: ema(1 - alpha, n)),
        "sign_sgd": (SignSGD(lr=0.01, momentum=beta), lambda n: ema(beta, n)),
        "normalized_gd": (NormalizedGD(lr=0.01, momentum=beta), lambda n: ema(beta, n)),
        # torch SGD: b^0 = g^0, b^1 = mu b^0 + (1 - dampening) g^1
        "sgd": (SGD(lr=0.01, momentum=mu, dampening=damp), lambda n: mu * g0[n] + (1 - damp) * g1[n]),
        "adam": (Adam(betas=(beta, 0.99)), lambda n: ema(beta, n)),
        "lamb": (LAMB(betas=(beta, 0.99)), lambda n: ema(beta, n)),
        "normuon_paper": (NorMuonPaper(betas=(beta, 0.9), orthogonalizer=polar_exact),
                          lambda n: ema(beta, n)),
        "normuon_code": (NorMuonCode(betas=(beta, 0.9), orthogonalizer=polar_exact),
                         lambda n: ema(beta, n)),
        "sophia": (Sophia(betas=(beta, 0.99), update_every=5), lambda n: ema(beta, n)),
    }
    for label, (opt, expected) in cases.items():
        _, s = _two_steps(opt, x0, g0, g1)
        assert set(s.momentum_buffer) == set(SHAPES), label
        for n in SHAPES:
            _close(s.momentum_buffer[n], expected(n), _mag(g0[n], g1[n]))


def test_no_momentum_keeps_no_buffer():
    x0, g0, g1 = _draw(2)
    for opt in (Gluon(gluon_config(x0, norms="frobenius", stepsizes=0.1)), SignSGD(momentum=0.0),
                SGD(momentum=0.0)):
        _, s = _two_steps(opt, x0, g0, g1)
        assert s.momentum_buffer == {}


def test_gluon_mvr_buffer_is_the_storm_estimator():
    x0, g0, g1 = _draw(3)
    gp = {n: 0.5 * g0[n] - g1[n] for n in SHAPES}
    a = 0.3
    _, s = _two_steps(GluonMVR(norms="frobenius", lr=0.1, a=a), x0, g0, g1, grads_prev=gp)
    for n in SHAPES:  # M^1 = g^1 + (1 - a)(M^0 - g_prev), M^0 = g^0 (docs/theory.md 10)
        _close(s.momentum_buffer[n], g1[n] + (1 - a) * (g0[n] - gp[n]), _mag(g0[n], g1[n], gp[n]))


def test_lars_velocity():
    x0, g0, g1 = _draw(4)
    lr, mu, wd, eta = 0.1, 0.9, 1e-2, 0.02
    x1, s = _two_steps(LARS(lr=lr, momentum=mu, weight_decay=wd, trust_coefficient=eta), x0, g0, g1)

    def step_term(w, g):  # lr * lambda * (g + beta w), lambda = eta ||w|| / (||g|| + beta ||w||)
        wn, gn = np.linalg.norm(w), np.linalg.norm(g)
        return lr * eta * wn / (gn + wd * wn) * (g + wd * w)

    for n in SHAPES:
        v0 = step_term(x0[n], g0[n])
        np.testing.assert_allclose(x1[n], x0[n] - v0, rtol=0,
                                   atol=rtol_for("float64", 4) * _mag(x0[n]))
        d = math.prod(SHAPES[n])
        expected = mu * v0 + step_term(x1[n], g1[n])
        _close(s.momentum_buffer[n], expected, _mag(expected), n_ops=2 * d)


def test_second_moments():
    x0, g0, g1 = _draw(5)
    b2 = 0.95
    for opt in (Adam(betas=(0.9, b2)), LAMB(betas=(0.9, b2))):
        _, s = _two_steps(opt, x0, g0, g1)
        for n in SHAPES:
            _close(s.second_moment[n], (1 - b2) * (b2 * g0[n] ** 2 + g1[n] ** 2),
                   _mag(g0[n] ** 2, g1[n] ** 2))
    # NorMuon: with an exact polar factor of a full-rank m <= n matrix every row has unit norm,
    # so mean_over_columns(O^2) = 1/n at every step and v = (1 - b2)(b2 + 1)/n after two steps
    for opt in (NorMuonPaper(betas=(0.9, b2), orthogonalizer=polar_exact),
                NorMuonCode(betas=(0.9, b2), orthogonalizer=polar_exact)):
        _, s = _two_steps(opt, x0, g0, g1)
        for n, (m, cols) in SHAPES.items():
            v = np.ravel(s.row_second_moment[n])
            assert v.shape == (m,)
            _close(v, np.full(m, (1 - b2) * (b2 + 1) / cols), 1.0 / cols, n_ops=8 * cols)


def test_shampoo_statistics_and_sophia_hessian():
    x0, g0, g1 = _draw(6)
    decay = 0.7
    _, s = _two_steps(Shampoo(decay=decay), x0, g0, g1)
    for n, (m, cols) in SHAPES.items():
        # L = decay G0 G0^T + G1 G1^T as one product of the stacked [sqrt(decay) G0, G1]
        stacked = np.concatenate([math.sqrt(decay) * g0[n], g1[n]], axis=1)
        scale = _mag(g0[n], g1[n]) ** 2
        _close(s.left[n], stacked @ stacked.T, scale, n_ops=4 * cols)
        stacked = np.concatenate([math.sqrt(decay) * g0[n], g1[n]], axis=0)
        _close(s.right[n], stacked.T @ stacked, scale, n_ops=4 * m)
    # before the first refresh Sophia's diagonal Hessian estimate is exactly zero
    _, s = _two_steps(Sophia(update_every=5), x0, g0, g1)
    assert all(np.all(s.hessian_diag[n] == 0) for n in SHAPES)
