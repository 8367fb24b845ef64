"""The generic Gluon step: LMO identities, SCG/uSCG, momentum conventions, validation (docs/theory.md 2-3)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gluon_ref.norms import get_norm
from gluon_ref.optim import (
    Gluon,
    GluonConfig,
    LayerRule,
    Momentum,
    Muon,
    Scion,
    Stateful,
    default_role,
    gluon_config,
)
from gluon_ref.optim.momentum import mvr, nesterov, scion
from gluon_ref.optim.stepsizes import Constant
from conftest import rtol_for

NORM_SHAPES = {
    "frobenius": (5, 3), "rms": (6,), "linf": (4, 3), "l1": (7,), "spectral": (5, 3),
    "rms_to_rms": (3, 6), "muon_spectral": (6, 2), "l2_to_rms": (4, 4), "nuclear": (4, 3),
    "colnorm": (5, 4), "rownorm": (4, 5), "sign": (3, 5), "max_entry": (3, 3),
    "linf_to_linf": (4, 3), "spectral_conv": (4, 2, 3, 3), "l1_to_l2": (3, 4), "l2_to_linf": (4, 3),
    "colnorm_normalized": (5, 3),
}


def _np(x):
    return np.asarray(x, dtype=np.float64)


@pytest.mark.parametrize("name", sorted(NORM_SHAPES))
@given(seed=st.integers(0, 2**31 - 1), log_t=st.floats(-6, 2))
def test_step_identities_every_norm(xp, name, seed, log_t):
    """<G, dX> = -t ||G||_* and ||dX|| = t for the unconstrained step (docs/theory.md 2).

    X is drawn at scale t so that dX = X^{k+1} - X^k is not dominated by cancellation
    (its rounding error is eps |X|, relative eps |X| / t).
    """
    rng = np.random.default_rng(seed)
    shape = NORM_SHAPES[name]
    t = math.exp(log_t)
    x = xp.asarray(t * rng.standard_normal(shape))
    g = xp.asarray(rng.standard_normal(shape))
    cfg = gluon_config({"x": x}, norms=name, stepsizes=t)
    opt = Gluon(cfg)
    new, state = opt.step({"x": x}, {"x": g}, opt.init({"x": x}))
    dx = new["x"] - x
    norm = cfg.layers["x"].norm
    d = max(shape[0], math.prod(shape) // shape[0])
    tol = rtol_for("float64", d * d, 16)
    dual = float(norm.dual_norm(g))
    assert abs(float(xp.sum(g * dx)) / (t * dual) + 1.0) <= tol
    assert abs(float(norm.norm(dx)) / t - 1.0) <= tol
    assert state.info["stepsizes"]["x"] == t
    assert state.k == 1


def test_step_never_mutates_inputs_or_earlier_states():
    rng = np.random.default_rng(0)
    params = {"w": rng.standard_normal((4, 3)), "b": rng.standard_normal(4)}
    grads = {"w": rng.standard_normal((4, 3)), "b": rng.standard_normal(4)}
    copies = ({k: v.copy() for k, v in params.items()}, {k: v.copy() for k, v in grads.items()})
    opt = Gluon(gluon_config(params, norms={"w": "spectral", "b": "rms"}, stepsizes=0.1,
                             momentum=Momentum("ema", 0.9)))
    s0 = opt.init(params)
    p1, s1 = opt.step(params, grads, s0)
    p2, s2 = opt.step(p1, grads, s1)
    for k in params:
        np.testing.assert_array_equal(params[k], copies[0][k])
        np.testing.assert_array_equal(grads[k], copies[1][k])
    assert s0.k == 0 and s0.momentum_buffer == {} and s1.k == 1 and s2.k == 2
    # the buffer of s1 is still M^0 = g^0 after step 2
    np.testing.assert_array_equal(s1.momentum_buffer["w"], grads["w"])


def test_sequence_params_round_trip():
    params = [np.eye(3), np.ones(3)]
    opt = Gluon(gluon_config(params, norms={"0": "spectral", "1": "rms"}, stepsizes=0.5))
    new, _ = opt.step(params, [np.diag([2.0, 1.0, 3.0]), np.ones(3)], opt.init(params))
    assert isinstance(new, list) and len(new) == 2
    np.testing.assert_allclose(new[0], 0.5 * np.eye(3), atol=1e-15)  # X - 0.5 * I
    np.testing.assert_allclose(new[1], np.ones(3) - 0.5 * np.ones(3), atol=1e-15)  # rms: sqrt(3) g/||g||


# -- constrained vs unconstrained (docs/theory.md 3) -------------------------------------------------

@given(seed=st.integers(0, 2**31 - 1), gamma=st.floats(0.01, 1.0), log_rho=st.floats(-2, 3))
def test_scg_stays_in_ball_and_is_decoupled_weight_decay(seed, gamma, log_rho):
    rng = np.random.default_rng(seed)
    rho = math.exp(log_rho)
    shapes = {"w": (5, 3), "e": (4, 6), "b": (5,)}
    norms = {"w": "rms_to_rms", "e": "sign", "b": "rms"}
    x = {}
    for n, s in shapes.items():
        v = rng.standard_normal(s)
        x[n] = rng.uniform(0, 1) * rho * v / float(get_norm(norms[n]).norm(v))
    cfg = gluon_config(x, norms=norms, stepsizes=gamma, constraint_radii=rho, momentum=scion(0.5))
    opt = Gluon(cfg)
    state = opt.init(x)
    for _ in range(6):
        g = {n: rng.standard_normal(s) for n, s in shapes.items()}
        new, state = opt.step(x, g, state)
        for n in shapes:
            norm = cfg.layers[n].norm
            assert float(norm.norm(new[n])) <= rho * (1 + rtol_for("float64", 36, 16))
            eta, lam = gamma * rho, 1.0 / rho
            wd_form = x[n] - eta * lam * x[n] + eta * norm.lmo(state.momentum_buffer[n])
            np.testing.assert_allclose(new[n], wd_form, rtol=0,
                                       atol=rtol_for("float64", 36, 16) * rho)
            assert state.info["stepsizes"][n] == pytest.approx(gamma * rho, rel=1e-15)
        x = new


def test_uscg_step_length_is_gamma_rho():
    rng = np.random.default_rng(1)
    x = {"w": rng.standard_normal((6, 4))}
    cfg = gluon_config(x, norms="rms_to_rms", stepsizes=0.3 * 7.0)
    opt = Gluon(cfg)
    new, _ = opt.step(x, {"w": rng.standard_normal((6, 4))}, opt.init(x))
    assert abs(float(cfg.layers["w"].norm.norm(new["w"] - x["w"])) - 2.1) <= rtol_for("float64", 36)


def test_scg_gamma_above_one_rejected_before_state():
    x = {"w": np.ones((2, 2))}
    opt = Gluon(gluon_config(x, norms="frobenius", stepsizes=1.5, constraint_radii=1.0))
    s = opt.init(x)
    with pytest.raises(ValueError, match="gamma of layer 'w'"):
        opt.step(x, {"w": np.ones((2, 2))}, s)


# -- momentum conventions (docs/theory.md 3, 11.7) ---------------------------------------------------

def _run(mom, grads, x0, norms="spectral"):
    opt = Gluon(gluon_config(x0, norms=norms, stepsizes=0.05, momentum=mom))
    x, s, out = dict(x0), opt.init(x0), []
    for g in grads:
        x, s = opt.step(x, g, s)
        out.append((x, s))
    return out


@given(seed=st.integers(0, 2**31 - 1), beta=st.floats(0.0, 0.99))
def test_ema_equals_scion_with_first_grad_buffer(seed, beta):
    rng = np.random.default_rng(seed)
    x0 = {"w": rng.standard_normal((4, 3))}
    grads = [{"w": rng.standard_normal((4, 3))} for _ in range(6)]
    a = _run(Momentum("ema", beta), grads, x0)
    b = _run(scion(1.0 - beta, buffer_init="first_grad"), grads, x0)
    for (xa, _), (xb, _) in zip(a, b):
        np.testing.assert_allclose(xa["w"], xb["w"], rtol=0, atol=1e-13)


def test_momentum_formulas_by_hand():
    g0, g1 = np.array([[1.0, -2.0]]), np.array([[3.0, 0.5]])
    beta = 0.75
    # paper EMA: M^0 = g^0, M^1 = beta g^0 + (1 - beta) g^1
    m, b = Momentum("ema", beta).update(None, g0, 0)
    np.testing.assert_array_equal(m, g0)
    m, _ = Momentum("ema", beta).update(b, g1, 1)
    np.testing.assert_allclose(m, 0.75 * g0 + 0.25 * g1, rtol=1e-15)
    # Scion: zero buffer, d^0 = alpha g^0
    m, _ = scion(0.25).update(None, g0, 0)
    np.testing.assert_allclose(m, 0.25 * g0, rtol=1e-15)
    # torch Muon Nesterov at k = 0: buf = (1 - mu) g, M = g + mu (buf - g) = (1 - mu^2) g
    m, buf = nesterov(0.9).update(None, g0, 0)
    np.testing.assert_allclose(buf, 0.1 * g0, rtol=1e-14)
    np.testing.assert_allclose(m, (1 - 0.81) * g0, rtol=1e-14)
    # MVR: M^1 = g^1 + (1 - a)(M^0 - g_prev)
    gp = np.array([[0.5, 0.5]])
    m0, b0 = mvr(0.3).update(None, g0, 0)
    m1, _ = mvr(0.3).update(b0, g1, 1, gp)
    np.testing.assert_allclose(m1, g1 + 0.7 * (g0 - gp), rtol=1e-15)
    with pytest.raises(ValueError, match="grads_prev"):
        mvr(0.3).update(b0, g1, 1)


def test_beta_schedule_theorem2():
    from gluon_ref.optim import Theorem2Schedule

    mom = Momentum("ema", Theorem2Schedule.beta)
    g0, g1 = np.ones((2, 2)), 3 * np.ones((2, 2))
    m, b = mom.update(None, g0, 0)
    m, _ = mom.update(b, g1, 1)
    beta1 = 1 - 2 ** -0.5
    np.testing.assert_allclose(m, beta1 * g0 + (1 - beta1) * g1, rtol=1e-15)


def test_mvr_needs_grads_prev_after_first_step():
    x = {"w": np.ones((2, 2))}
    opt = Gluon(gluon_config(x, norms="frobenius", stepsizes=0.1, momentum=mvr(0.5)))
    x1, s1 = opt.step(x, {"w": np.ones((2, 2))}, opt.init(x))
    with pytest.raises(ValueError, match="grads_prev"):
        opt.step(x1, {"w": np.ones((2, 2))}, s1)


# -- roles and configuration ------------------------------------------------------------------

def test_default_roles():
    assert default_role("tok_embed", (50, 8)) == "embedding"
    assert default_role("lm_head", (50, 8)) == "output"
    assert default_role("h.0.mlp.c_fc", (32, 8)) == "hidden"
    assert default_role("conv1.weight", (8, 3, 3, 3)) == "conv"
    assert default_role("ln.weight", (8,)) == "bias"


def test_role_mapping_and_name_override():
    params = {"tok_embed": np.ones((5, 3)), "h": np.ones((3, 3)), "lm_head": np.ones((5, 3))}
    cfg = gluon_config(params, norms={"hidden": "rms_to_rms", "embedding": "sign", "output": "sign",
                                      "lm_head": "rownorm"}, stepsizes={"hidden": 0.1, "embedding": 1.0,
                                                                       "output": 2.0})
    assert cfg.layers["h"].norm.name == "rms_to_rms"
    assert cfg.layers["tok_embed"].norm.name == "sign"
    assert cfg.layers["lm_head"].norm.name == "rownorm"  # a layer name wins over its role
    assert cfg.layers["lm_head"].stepsize == Constant(2.0)


# -- bad input: clear errors before any state changes -----------------------------------------

@pytest.fixture
def setup():
    params = {"w": np.ones((3, 2)), "b": np.zeros(3)}
    cfg = gluon_config(params, norms={"w": "spectral", "b": "rms"}, stepsizes=0.1,
                       momentum=Momentum("ema", 0.9))
    return params, Gluon(cfg)


def test_missing_and_extra_layers(setup):
    params, opt = setup
    with pytest.raises(ValueError, match=r"missing layers \['b'\].*unexpected layers \['c'\]"):
        opt.step(params, {"w": np.ones((3, 2)), "c": np.ones(3)}, opt.init(params))


def test_shape_mismatch_names_layer_and_shapes(setup):
    params, opt = setup
    with pytest.raises(ValueError, match=r"grads\['w'\] has shape \(2, 3\), expected \(3, 2\)"):
        opt.step(params, {"w": np.ones((2, 3)), "b": np.ones(3)}, opt.init(params))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nonfinite_gradient_names_layer(setup, bad):
    params, opt = setup
    g = {"w": np.ones((3, 2)), "b": np.array([1.0, bad, 0.0])}
    with pytest.raises(ValueError, match=r"layer 'b'.*non-finite"):
        opt.step(params, g, opt.init(params))


def test_integer_gradient_rejected(setup):
    params, opt = setup
    with pytest.raises(TypeError):
        opt.step(params, {"w": np.ones((3, 2), dtype=int), "b": np.ones(3)}, opt.init(params))


def test_unknown_norm_lists_valid_names():
    with pytest.raises(ValueError, match="valid names:.*rms_to_rms"):
        gluon_config({"w": np.ones((2, 2))}, norms="spectrall", stepsizes=0.1)


def test_norm_ndim_mismatch():
    with pytest.raises(ValueError, match="layer 'b'"):
        gluon_config({"b": np.ones(3)}, norms="spectral", stepsizes=0.1)


@pytest.mark.parametrize("value", [-0.1, float("nan"), float("inf")])
def test_bad_hyperparameters_name_the_parameter(value):
    with pytest.raises(ValueError, match="lr"):
        Muon(lr=value)
    with pytest.raises(ValueError, match="momentum"):
        Muon(momentum=value)
    with pytest.raises(ValueError, match="weight_decay"):
        Muon(weight_decay=value)
    with pytest.raises(ValueError, match="beta"):
        Momentum("ema", value)
    with pytest.raises(ValueError, match=r"t \(constant stepsize\)"):
        Constant(value)
    with pytest.raises(ValueError, match="constraint_radius"):
        LayerRule(get_norm("frobenius"), Constant(0.1), constraint_radius=value)


def test_bad_stepsize_from_policy_raises_before_state(setup):
    params, _ = setup
    from gluon_ref.optim import FromFunction

    cfg = GluonConfig({n: LayerRule(get_norm("frobenius"), FromFunction(lambda ctx: float("nan")))
                       for n in params})
    opt = Stateful(Gluon(cfg), params)
    before = (opt.params, opt.state)
    with pytest.raises(ValueError, match="stepsize t of layer"):
        opt.step({"w": np.ones((3, 2)), "b": np.ones(3)})
    assert (opt.params, opt.state) == before


def test_stateful_wrapper_unchanged_after_error(setup):
    params, gluon = setup
    opt = Stateful(gluon, params)
    opt.step({"w": np.ones((3, 2)), "b": np.ones(3)})
    snapshot = (opt.params, opt.state)
    with pytest.raises(ValueError):
        opt.step({"w": np.full((3, 2), np.nan), "b": np.ones(3)})
    assert opt.params is snapshot[0] and opt.state is snapshot[1]


def test_state_from_other_params_rejected(setup):
    params, opt = setup
    s = opt.init(params)
    with pytest.raises(ValueError, match="params do not match"):
        opt.step({"w": np.ones((3, 2))}, {"w": np.ones((3, 2))}, s)


def test_unknown_momentum_kind():
    with pytest.raises(ValueError, match="valid: ema, scion, nesterov, mvr, none"):
        Momentum("heavy")


def test_preset_layer_restrictions():
    with pytest.raises(ValueError, match="2-D"):
        Muon().init({"k": np.ones((2, 2, 3, 3))})
    with pytest.raises(ValueError, match="backend SpectralConv|needs ndim"):
        Scion(assignment="llm", roles={"w": "conv"}).init({"w": np.ones((3, 3))})
    with pytest.raises(ValueError, match="pass lr"):
        Scion(assignment="cnn", constrained=True)


def test_role_norm_rules_match_scion_backends():
    from gluon_ref.optim import ROLE_NORM_RULES
    from gluon_ref.optim.scion import SCION_NORMS

    for assignment in ("llm", "cnn"):
        rule = ROLE_NORM_RULES[f"scion_{assignment}"]
        assert {r: v[1] for r, v in SCION_NORMS[assignment].items()} == rule
    params = {"tok_embed": np.ones((5, 3)), "h": np.ones((3, 3)), "h.bias": np.ones(3),
              "lm_head": np.ones((5, 3))}
    cfg = gluon_config(params, norms=ROLE_NORM_RULES["scion_llm"], stepsizes=0.1)
    assert [cfg.layers[n].norm.name for n in params] == ["sign", "rms_to_rms", "rms", "sign"]


def test_gluon_mvr_rejects_unknown_norm_at_construction():
    from gluon_ref.optim import GluonMVR

    with pytest.raises(ValueError, match="valid names"):
        GluonMVR(norms={"hidden": "spectal"})


@pytest.mark.parametrize("module", ["gluon", "base"])
def test_docstring_examples(module):
    import doctest
    import importlib

    res = doctest.testmod(importlib.import_module(f"gluon_ref.optim.{module}"))
    assert res.attempted > 0 and res.failed == 0
