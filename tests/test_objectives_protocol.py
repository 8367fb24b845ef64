"""Protocol, bad input, reproducibility and backends of gluon_ref.objectives.

Expected values here never come from the code under test: backends are
compared with each other, separable sums with their terms evaluated by hand
(NumPy formulas written out in the test), and error messages are checked for
the layer names and shapes that caused them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from gluon_ref.objectives import (DigitsMLP, LayerConstants, Block, QuadraticLayer,
                                  SeparableObjective, builtin_objectives, cosh_objective,
                                  matrix_factorization, quadratic_zoo, to_namespace)
from gluon_ref.objectives.smooth import ElementwiseCoshLayer, RidgeCoshLayer

from conftest import assert_close, rtol_for

OBJS = builtin_objectives(0)


@pytest.fixture(scope="module")
def digits():
    return DigitsMLP(hidden=16, seed=0)


def all_objs(digits):
    return {**OBJS, "digits": digits}


# -- protocol -----------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(OBJS))
def test_protocol_fields(name):
    obj = OBJS[name]
    assert list(obj.layers) and all(isinstance(s, Block) for s in obj.layers.values())
    X = obj.initial_point(0)
    assert list(X) == list(obj.layers)
    v, g = obj.value_and_grad(X)
    assert isinstance(v, float)
    assert list(g) == list(obj.layers)
    for k, spec in obj.layers.items():
        assert g[k].shape == spec.shape and g[k].dtype == np.float64
    if obj.separable:
        consts = obj.constants
        assert set(consts) == set(obj.layers)
        assert all(isinstance(c, LayerConstants) and c.note for c in consts.values())
    else:
        assert obj.constants is None  # docs/theory.md section 4 caveat
    if obj.lower_bound is not None:
        assert v >= obj.lower_bound
    if obj.optimum is not None:
        assert obj.optimum >= (obj.lower_bound or -math.inf)
        assert v >= obj.optimum - 1e-12


def test_separable_sum_matches_handwritten_terms():
    """f = sum_i 1/2 <X_i - C_i, A_i(X_i - C_i)>, evaluated here with plain NumPy."""
    obj = quadratic_zoo(3)
    X = obj.sample_point(np.random.default_rng(1), 1.0)
    total = 0.0
    for k, t in obj.terms.items():
        D = X[k] - t.center
        AD = t.M @ D if t.op == "left" else D @ t.M if t.op == "right" else t.M * D
        total += 0.5 * float(np.sum(D * AD))
    assert obj.value(X) == pytest.approx(total, rel=rtol_for("float64", 200))


def test_optimum_attained_at_minimizer():
    for obj in (quadratic_zoo(0), OBJS["least_squares"], OBJS["glm_logcosh"], OBJS["cosh"]):
        Xs = obj.minimizer()
        v, g = obj.value_and_grad(Xs)
        assert v == pytest.approx(obj.optimum, abs=1e-12)
        assert max(float(np.abs(gk).max()) for gk in g.values()) < 1e-12


def test_matrix_factorization_optimum_is_eckart_young():
    """inf 1/2||W2 W1 - M||^2 over rank r = 1/2 sum_{i>r} sigma_i^2 (independent SVD here)."""
    rng = np.random.default_rng(5)
    M = rng.standard_normal((6, 5))
    obj = matrix_factorization(M, rank=2)
    s = np.linalg.svd(M, compute_uv=False)
    assert obj.optimum == pytest.approx(0.5 * float(np.sum(s[2:] ** 2)), rel=1e-12)
    # the truncated SVD attains it
    U, S, Vt = np.linalg.svd(M)
    X = {"W1": np.diag(np.sqrt(S[:2])) @ Vt[:2], "W2": U[:, :2] * np.sqrt(S[:2])}
    assert obj.value(X) == pytest.approx(obj.optimum, rel=1e-10)


def test_reproducible_points():
    obj = OBJS["deep_linear"]
    a = obj.initial_point(7)
    b = obj.initial_point(7)
    c = obj.initial_point(8)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not all(np.array_equal(a[k], c[k]) for k in a)
    p = obj.sample_point(np.random.default_rng(3), 0.5)
    q = obj.sample_point(np.random.default_rng(3), 0.5)
    assert all(np.array_equal(p[k], q[k]) for k in p)


def test_minibatch_of_everything_is_full_batch():
    for name in ("least_squares", "glm_logistic", "deep_linear", "tanh_mlp"):
        obj = OBJS[name]
        X = obj.initial_point(0)
        v, g = obj.value_and_grad(X)
        vb, gb = obj.value_and_grad(X, batch=np.arange(obj.n_samples))
        assert vb == pytest.approx(v, rel=rtol_for("float64", obj.n_samples))
        for k in g:
            assert_close(gb[k], g[k], n=obj.n_samples)


# -- backends --------------------------------------------------------------------------

def test_backends_agree(xp, digits):
    """value, grad and hvp on each backend equal NumPy's to summation rounding."""
    for name, obj in all_objs(digits).items():
        rng = np.random.default_rng(11)
        Xn = obj.sample_point(rng, 0.5)
        Vn = obj.sample_point(rng, 1.0)
        Xb, Vb = to_namespace(Xn, xp), to_namespace(Vn, xp)
        n = max(sum(s.size for s in obj.layers.values()), obj.n_samples or 1)
        tol = rtol_for("float64", n)
        vn, gn = obj.value_and_grad(Xn)
        vb, gb = obj.value_and_grad(Xb)
        assert vb == pytest.approx(vn, rel=tol, abs=tol), name
        hn, hb = obj.hvp(Xn, Vn), obj.hvp(Xb, Vb)
        for k in obj.layers:
            assert type(gb[k]).__module__.split(".")[0] == xp.__name__.split(".")[0]
            for a, b in ((gn[k], gb[k]), (hn[k], hb[k])):
                assert_close(b, a, xp=xp, rtol=0, atol=tol * max(1.0, np.abs(a).max()),
                             err_msg=f"{name}[{k}]")


def test_float32_evaluation_close_to_float64():
    obj = OBJS["glm_logistic"]
    X = obj.initial_point(0)
    X32 = {k: v.astype(np.float32) for k, v in X.items()}
    v64, g64 = obj.value_and_grad(X)
    v32, g32 = obj.value_and_grad(X32)
    assert all(g.dtype == np.float32 for g in g32.values())
    n = obj.n_samples * 6
    assert abs(v32 - v64) <= rtol_for("float32", n) * v64
    for k in g64:
        assert_close(g32[k], g64[k], dtype="float32", n=n, factor=32)


# -- bad input ----------------------------------------------------------------------------

def test_not_a_mapping():
    obj = OBJS["deep_linear"]
    with pytest.raises(TypeError, match="mapping"):
        obj.value([np.zeros((4, 5))])


def test_missing_and_extra_layers_named():
    obj = OBJS["deep_linear"]
    X = obj.initial_point(0)
    del X["W2"]
    with pytest.raises(ValueError, match=r"missing layers \['W2'\]"):
        obj.grad(X)
    X = obj.initial_point(0)
    X["bias"] = np.zeros(3)
    with pytest.raises(ValueError, match=r"unexpected layers \['bias'\]"):
        obj.grad(X)


def test_wrong_shape_names_layer_and_shapes():
    obj = OBJS["deep_linear"]
    X = obj.initial_point(0)
    X["W2"] = np.zeros((3, 3))
    with pytest.raises(ValueError, match=r"X\['W2'\] has shape \(3, 3\).*expects shape \(4, 4\)"):
        obj.value(X)


def test_bad_dtypes_and_nonfinite():
    obj = OBJS["tanh_mlp"]
    X = obj.initial_point(0)
    Xi = dict(X, W1=np.zeros(X["W1"].shape, dtype=np.int64))
    with pytest.raises(TypeError, match="W1"):
        obj.value(Xi)
    Xn = dict(X)
    Xn["W2"] = X["W2"].copy()
    Xn["W2"][0, 0] = np.nan
    with pytest.raises(ValueError, match=r"W2.*1 NaN"):
        obj.value(Xn)
    Xm = dict(X, W1=X["W1"].astype(np.float32))
    with pytest.raises(ValueError, match="mixed dtypes"):
        obj.value(Xm)


def test_outside_domain_raises_naming_layer():
    obj = cosh_objective(0)
    X = obj.minimizer()
    assert obj.in_domain(X)
    X["linf_elem"] = X["linf_elem"] + 800.0
    assert not obj.in_domain(X)
    with pytest.raises(ValueError, match=r"'linf_elem'.*outside the domain"):
        obj.value(X)
    X = obj.minimizer()
    X["spectral_ridge"] = X["spectral_ridge"] * 1e4 + 1e3
    with pytest.raises(ValueError, match=r"'spectral_ridge'.*outside the domain"):
        obj.grad(X)
    # float32 overflows earlier (log(max float32) ~ 88.7): the domain depends on the dtype
    X32 = {k: v.astype(np.float32) for k, v in obj.minimizer().items()}
    X32["linf_elem"] = X32["linf_elem"] + np.float32(100.0)
    with pytest.raises(ValueError, match="outside the domain"):
        obj.value(X32)


def test_bad_batches():
    obj = OBJS["least_squares"]
    X = obj.initial_point(0)
    with pytest.raises(ValueError, match=r"\[0, 64\)"):
        obj.grad(X, batch=np.array([0, 64]))
    with pytest.raises(ValueError, match="integer index"):
        obj.grad(X, batch=np.array([0.5]))
    with pytest.raises(ValueError, match="not a finite sum"):
        quadratic_zoo(0).grad(quadratic_zoo(0).initial_point(0), batch=np.array([0]))


def test_bad_construction():
    with pytest.raises(ValueError, match="positive semidefinite"):
        QuadraticLayer("left", -np.eye(3), np.zeros((3, 2)), "spectral")
    with pytest.raises(ValueError, match="symmetric"):
        QuadraticLayer("left", np.triu(np.ones((3, 3))), np.zeros((3, 2)), "spectral")
    with pytest.raises(ValueError, match="kind"):
        QuadraticLayer("diagonal", np.eye(3), np.zeros((3, 2)), "spectral")
    with pytest.raises(ValueError, match="unknown norm"):
        QuadraticLayer("left", np.eye(3), np.zeros((3, 2)), "nope")
    with pytest.raises(ValueError, match="absolute norms"):
        ElementwiseCoshLayer(np.ones((3, 2)), np.zeros((3, 2)), "spectral")
    with pytest.raises(ValueError, match="nonzero"):
        RidgeCoshLayer(np.zeros((2, 2)), 0.0, "spectral")
    with pytest.raises(ValueError, match="ndim"):
        Block((3,), "spectral")
    with pytest.raises(ValueError, match="L0"):
        LayerConstants(-1.0)
    with pytest.raises(TypeError, match="LayerTerm"):
        SeparableObjective({"a": object()})
    with pytest.raises(TypeError, match="Generator"):
        OBJS["deep_linear"].sample_point(3)
    with pytest.raises(ValueError, match="box_radius: missing"):
        OBJS["deep_linear"].local_constants(OBJS["deep_linear"].initial_point(0), {"W1": 0.1})
