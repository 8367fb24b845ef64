"""Regression tests for the reproducers of issue 13: each failed on the main of 2026-12-01.

Every test says what the old code did; each one fails if that behaviour comes back.
"""

from __future__ import annotations

import numpy as np
import pytest

from gluon_ref import get_norm


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_np_matrix_is_refused():
    """Old: frobenius of np.matrix([[1,2],[3,4]]) was 7.348 ('*' is the matrix product), not 5.477."""
    with pytest.raises(TypeError, match="numpy.matrix"):
        get_norm("frobenius").norm(np.matrix([[1.0, 2.0], [3.0, 4.0]]))
    # the same values as an ndarray give the true Frobenius norm, sqrt(30)
    assert float(get_norm("frobenius").norm(np.array([[1.0, 2.0], [3.0, 4.0]]))) == pytest.approx(
        np.sqrt(30.0), rel=4 * np.finfo(np.float64).eps)


def _float16_overflowing():
    g = np.full((256, 256), 2.0, np.float16)
    g[0, 0] = 0
    return g


@pytest.mark.parametrize("method", ["dual_norm", "sharp"])
def test_float16_overflow_is_an_error_not_inf_or_nan(method):
    """Old: dual_norm gave inf and sharp() gave NaN (inf * 0) for this float16 input.

    ||g||_1 = 2 * (256^2 - 1) = 131070 > 65504, the largest float16.
    """
    with pytest.raises(OverflowError, match=r"131070.*float16"):
        getattr(get_norm("linf"), method)(_float16_overflowing())


def test_float16_values_that_fit_are_still_returned_in_float16():
    g = np.full((8, 8), 2.0, np.float16)           # ||g||_1 = 128: fits
    val = get_norm("linf").dual_norm(g)
    assert val.dtype == np.float16 and float(val) == 128.0
    s = get_norm("linf").sharp(g)
    assert s.dtype == np.float16 and np.all(s == 128.0)   # sharp = ||g||_1 sign(g)


def test_polar_exact_on_empty_names_the_shape():
    """Old: a raw NumPy message from the SVD of an empty array."""
    from gluon_ref.polar import polar_exact

    with pytest.raises(ValueError, match=r"empty dimension: shape \(0, 4\)"):
        polar_exact(np.zeros((0, 4)))


@pytest.mark.parametrize("radius", ["1.5", True, b"1", None, [1.0]])
def test_radius_of_the_wrong_type_is_refused(radius):
    """Old: radius "1.5" and True were accepted through float()."""
    with pytest.raises(TypeError, match="radius must be a real number"):
        get_norm("spectral").lmo(np.eye(3), radius=radius)


def test_radius_as_numpy_scalar_or_0d_array_is_accepted():
    for r in (np.float32(0.5), np.array(0.5), 0.5, 1):
        step = get_norm("frobenius").lmo(np.ones((2, 2)), radius=r)
        assert float(get_norm("frobenius").norm(step)) == pytest.approx(float(r), rel=1e-15)


@pytest.mark.parametrize("bad,match", [(lambda g: g[:1], "keep the shape"),
                                       (lambda g: g * np.nan, "non-finite")])
def test_custom_orthogonalizer_output_is_checked(bad, match):
    """Old: a custom orthogonalizer returning NaN or the wrong shape went into the step."""
    with pytest.raises(ValueError, match=match):
        get_norm("spectral", orthogonalizer=bad).lmo(np.eye(3) + 0.1)


# -- optimizers (issue 13 items 1-3, 9) ---------------------------------------------------------

from gluon_ref.optim import (GluonMVR, LARS, SGD, Gluon, Muon, NormalizedGD, Scion,  # noqa: E402
                             Shampoo, gluon_config)
from gluon_ref.optim.momentum import ema  # noqa: E402


def _moved(opt, p, g):
    new, _ = opt.step(p, g, opt.init(p))
    return {k: float(np.max(np.abs(new[k].astype(np.float64) - p[k].astype(np.float64))))
            for k in p}


def test_muon_float16_gradient_of_ordinary_scale_moves():
    """Old: sqrt(sum(g*g)) overflowed float16 (512^2 entries ~ N(0,1): sum 2.6e5 > 65504)
    and W was left unchanged."""
    rng = np.random.default_rng(0)
    p = {"w": (rng.standard_normal((512, 512)) * 0.02).astype(np.float16)}
    g = {"w": rng.standard_normal((512, 512)).astype(np.float16)}
    opt = Muon(lr=0.02, weight_decay=0.0, momentum=0.0, nesterov=False)
    new, _ = opt.step(p, g, opt.init(p))
    assert np.all(np.isfinite(new["w"]))
    # the same step in float64 on the same (float16-valued) inputs; the float16 result differs by
    # the storage of W + update in float16 (half an ulp of max|W|) plus float16 rounding inside NS:
    # 2 ulp of max|W| bounds both.  A zero update differs by max|update| ~ 1e-3 > 1.2e-4.
    p64 = {"w": p["w"].astype(np.float64)}
    ref, _ = opt.step(p64, {"w": g["w"].astype(np.float64)}, opt.init(p64))
    ulp = float(np.spacing(np.max(np.abs(p["w"]))))
    assert np.max(np.abs(new["w"].astype(np.float64) - ref["w"])) <= 2 * ulp


_EXTREME = [(np.float64, 1e160), (np.float64, 1e-160), (np.float32, 1e20), (np.float32, 1e-20)]


@pytest.mark.parametrize("dtype,scale", _EXTREME[::2], ids=["f64-1e160", "f32-1e20"])
@pytest.mark.parametrize("make", [
    lambda: Muon(lr=0.02, weight_decay=0.0, momentum=0.0, nesterov=False),
    lambda: NormalizedGD(lr=0.02, momentum=0.0),
    lambda: LARS(lr=1.0, momentum=0.0, weight_decay=0.0),
], ids=["muon", "normalized_gd", "lars"])
def test_scale_invariant_presets_move_at_huge_gradient_scales(make, dtype, scale):
    """Old: a zero update at x1e160 in float64 and x1e20 in float32 (sum of squares overflowed).
    Each preset is scale-invariant there, so the step equals the step for the unscaled gradient."""
    rng = np.random.default_rng(1)
    p = {"w": rng.standard_normal((8, 6)).astype(dtype)}
    g = rng.standard_normal((8, 6))
    opt = make()
    ref, _ = opt.step(p, {"w": g.astype(dtype)}, opt.init(p))
    got, _ = opt.step(p, {"w": (g * scale).astype(dtype)}, opt.init(p))
    assert np.all(np.isfinite(got["w"]))
    assert not np.array_equal(got["w"], p["w"])
    # same direction up to the rounding of the scaled gradient (a few eps of the dtype per entry,
    # through five NS steps for Muon): 1e3 eps
    np.testing.assert_allclose(got["w"], ref["w"], rtol=0, atol=1e3 * np.finfo(dtype).eps)


@pytest.mark.parametrize("dtype,scale", _EXTREME[1::2], ids=["f64-1e-160", "f32-1e-20"])
@pytest.mark.parametrize("make", [lambda: NormalizedGD(lr=0.02, momentum=0.0),
                                  lambda: LARS(lr=1.0, momentum=0.0, weight_decay=0.0)],
                         ids=["normalized_gd", "lars"])
def test_presets_without_eps_move_at_tiny_gradient_scales(make, dtype, scale):
    """Old: the sum of squares underflowed to 0 and the step was skipped.  (Muon is left out on
    purpose: its documented clamp X_0 = G / max(||G||_F, eps) damps gradients below eps, as torch.)"""
    test_scale_invariant_presets_move_at_huge_gradient_scales(make, dtype, scale)


@pytest.mark.parametrize("scale", [1e160, 1e-160])
def test_scion_bias_rms_moves_at_extreme_scales(scale):
    """Old: BiasRMS computed sqrt(mean(d*d)) directly: 0 or inf, then no step."""
    rng = np.random.default_rng(2)
    p = {"b": rng.standard_normal(16)}
    g = rng.standard_normal(16)
    opt = Scion(constrained=False, assignment="llm", lr=0.1, momentum=1.0)
    ref, _ = opt.step(p, {"b": g}, opt.init(p))
    got, _ = opt.step(p, {"b": g * scale}, opt.init(p))
    np.testing.assert_allclose(got["b"], ref["b"], rtol=0, atol=64 * np.finfo(np.float64).eps)
    assert not np.array_equal(got["b"], p["b"])


def _aliasing_gap(make_opt, steps=3, extra=None):
    """Max difference between a run whose caller reuses one gradient buffer in place and a
    run with fresh gradient arrays (the same values): 0 when the state keeps no alias."""
    rng = np.random.default_rng(3)
    p0 = {"w": rng.standard_normal((5, 4))}
    grads = [rng.standard_normal((5, 4)) for _ in range(steps)]
    runs = []
    for reuse in (False, True):
        opt, p = make_opt(p0), dict(p0)
        st = opt.init(p)
        buf = np.empty((5, 4))
        for k, g in enumerate(grads):
            if reuse:
                buf[...] = g
                gk = buf
            else:
                gk = g.copy()
            kw = extra(p, k) if extra else {}
            p, st = opt.step(p, {"w": gk}, st, **kw)
        runs.append(p["w"])
    return float(np.max(np.abs(runs[0] - runs[1])))


def test_state_never_aliases_the_callers_gradient():
    """Old: EMA momentum (m = g at k = 0), SGD momentum and GluonMVR stored the caller's array:
    gaps 0.29 / 1.98 / 0.03 when the caller reused its buffer."""
    def gluon(p):
        return Gluon(gluon_config(p, norms="spectral", stepsizes=0.1, momentum=ema(0.9)))
    assert _aliasing_gap(gluon) == 0.0
    assert _aliasing_gap(lambda p: SGD(lr=0.1, momentum=0.9)) == 0.0
    rng = np.random.default_rng(4)
    prev = {"w": rng.standard_normal((5, 4))}
    assert _aliasing_gap(lambda p: GluonMVR(norms="spectral", lr=0.1, a=0.1),
                         extra=lambda p, k: {"grads_prev": prev} if k else {}) == 0.0


def test_muon_eps_zero_with_zero_gradient_is_a_zero_step():
    """Old: 0 / max(0, 0) gave all-NaN parameters without an error."""
    p = {"w": np.ones((3, 2))}
    opt = Muon(eps=0.0, weight_decay=0.0)
    new, _ = opt.step(p, {"w": np.zeros((3, 2))}, opt.init(p))
    assert np.array_equal(new["w"], p["w"])


@pytest.mark.parametrize("ctor,match", [
    (lambda: Muon(lr="0.1"), "lr must be a real number"),
    (lambda: Muon(nesterov="no"), "nesterov must be True or False"),
    (lambda: SGD(lr=0.1, momentum=0.9, nesterov="yes"), "nesterov must be True or False"),
    (lambda: Scion(constrained="no"), "constrained must be True or False"),
])
def test_bad_hyperparameters_fail_at_construction(ctor, match):
    """Old: accepted, failing only at step time (lr='0.1') or silently truthy (nesterov='no')."""
    with pytest.raises(TypeError, match=match):
        ctor()


def test_misspelt_scion_scales_key_is_named():
    """Old: a misspelt key was ignored and the default scale used."""
    p = {"w": np.ones((4, 3))}
    opt = Scion(constrained=False, assignment="llm", lr=0.1, scales={"hiden": 2.0})
    with pytest.raises(ValueError, match=r"\['hiden'\]"):
        opt.init(p)


def test_gluon_config_accepts_a_policy_function_of_ctx():
    """Old: stepsizes=lambda ctx: ... failed with an arity error although as_policy documents it."""
    p = {"w": np.ones((4, 3)) + np.eye(4, 3)}
    cfg = gluon_config(p, norms="spectral", stepsizes=lambda ctx: 0.25)
    opt = Gluon(cfg)
    new, _ = opt.step(p, {"w": np.eye(4, 3)}, opt.init(p))
    # spectral LMO of a partial isometry G: -0.25 G, so the step has spectral norm 0.25
    assert np.linalg.norm(new["w"] - p["w"], 2) == pytest.approx(0.25, rel=1e-12)
    # the two-argument per-layer form still works
    cfg2 = gluon_config(p, norms="spectral", stepsizes=lambda name, shape: 0.25)
    new2, _ = Gluon(cfg2).step(p, {"w": np.eye(4, 3)}, Gluon(cfg2).init(p))
    np.testing.assert_array_equal(new2["w"], new["w"])


def test_shampoo_huge_gradient_is_a_clear_overflow():
    """Old: a raw numpy LinAlgError from eigh of a matrix with inf entries."""
    p = {"w": np.ones((3, 2))}
    opt = Shampoo()
    with pytest.raises(OverflowError, match="layer 'w'"):
        opt.step(p, {"w": np.full((3, 2), 1e200)}, opt.init(p))


# -- polar entry points (issue 13 item 9) -------------------------------------------------------

def test_numpy_coefficient_arrays_are_accepted():
    """Old: np.float32 coefficient arrays failed with "'numpy.float32' object is not iterable"."""
    from gluon_ref.polar import newton_schulz

    g = np.random.default_rng(5).standard_normal((5, 3))
    ref = newton_schulz(g, (3.4445, -4.775, 2.0315), 5)
    got = newton_schulz(g, np.array([3.4445, -4.775, 2.0315]), 5)
    np.testing.assert_array_equal(got, ref)
    ints = newton_schulz(g, (np.int64(3), np.int64(-2)), 2)
    np.testing.assert_array_equal(ints, newton_schulz(g, (3.0, -2.0), 2))
    with pytest.raises(TypeError, match="single number"):
        newton_schulz(g, np.float32(1.5), 5)


@pytest.mark.parametrize("steps", [float("inf"), float("nan"), True, -1, 2.5])
def test_bad_step_counts_name_the_parameter(steps):
    """Old: OverflowError / raw messages for inf and nan; True accepted as one step."""
    from gluon_ref.polar import newton_schulz

    with pytest.raises(ValueError, match="steps must be an integer"):
        newton_schulz(np.ones((3, 2)), steps=steps)


def test_zero_step_schedule_on_empty_names_the_shape():
    """Old: a raw 'zero-size array to reduction operation' message."""
    from gluon_ref.polar import get_schedule

    with pytest.raises(ValueError, match=r"empty dimension: shape \(0, 3\)"):
        get_schedule("muon", 0)(np.zeros((0, 3)))


# -- objectives (issue 13 items 5, 9) -----------------------------------------------------------

def test_unknown_glm_loss_is_refused():
    """Old: glm_objective(loss="Logistic") silently built a log-cosh GLM."""
    from gluon_ref.objectives import glm_objective

    with pytest.raises(ValueError, match="loss must be one of.*'Logistic'"):
        glm_objective(loss="Logistic")


@pytest.mark.parametrize("factory", ["glm_objective", "least_squares_objective", "deep_linear",
                                     "tanh_teacher_student"])
def test_zero_samples_is_named(factory):
    """Old: 'H has non-finite entries' or a LinAlgError from 0/0 constants."""
    import gluon_ref.objectives as objectives

    with pytest.raises(ValueError, match="at least one sample"):
        getattr(objectives, factory)(n_samples=0)
