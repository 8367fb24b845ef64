"""Exact polar factor U_r V_r^T (docs/polar.md section 1): SciPy cross-check, rank deficiency,
batching, dtypes, bad input — on NumPy and array-api-strict."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given
from hypothesis import strategies as st

from gluon_ref.backend import to_numpy
from gluon_ref.polar import polar_exact, rank_threshold

from conftest import assert_close, known_polar_matrix, rtol_for


_known = known_polar_matrix


@pytest.mark.parametrize("shape", [(9, 4), (4, 9), (7, 7), (1, 5), (5, 1)])
def test_matches_scipy_polar(shape):
    g = np.random.default_rng(3).standard_normal(shape)
    w, h = scipy.linalg.polar(g, side="right")
    q = polar_exact(g)
    # scipy's W is the same U V^T for full-rank input (docs/polar.md section 1)
    assert np.linalg.norm(q - w, 2) <= rtol_for("float64", max(shape), 16)
    # and Q is the polar factor of G: G = Q H with H = Q^T G symmetric positive semidefinite
    hh = q.T @ g if shape[0] >= shape[1] else g @ q.T
    assert_close(hh, hh.T, rtol=0, atol=rtol_for("float64", max(shape), 16))
    assert np.min(np.linalg.eigvalsh(hh)) >= -rtol_for("float64", max(shape), 16)


def test_known_factor_on_both_backends(xp):
    g, u, v = _known(10, 6, np.linspace(2.0, 0.5, 6))
    q = polar_exact(xp.asarray(g))
    assert type(q) is type(xp.asarray(g))
    assert np.linalg.norm(to_numpy(q) - u @ v.T, 2) <= rtol_for("float64", 10, 16)


def test_rank_deficient_zero_on_null_space(xp):
    # rank 3 in a 8x6 matrix: result is U_3 V_3^T and vanishes on both complements
    g, u, v = _known(8, 6, [3.0, 1.0, 0.2])
    q = to_numpy(polar_exact(xp.asarray(g)))
    tol = rtol_for("float64", 8, 16)
    assert np.linalg.norm(q - u @ v.T, 2) <= tol
    v_perp = scipy.linalg.null_space(v.T)
    u_perp = scipy.linalg.null_space(u.T)
    assert np.linalg.norm(q @ v_perp, 2) <= tol
    assert np.linalg.norm(u_perp.T @ q, 2) <= tol
    # singular values of Q: exactly r ones, the rest zeros
    s = np.linalg.svd(q, compute_uv=False)
    assert_close(s[:3], np.ones(3), n=8, factor=16)
    assert np.all(s[3:] <= tol)


def test_rank_threshold_formula():
    assert rank_threshold(2.0, (7, 3), 1e-16) == pytest.approx(7 * 1e-16 * 2.0)


def test_batched_equals_loop(xp):
    rng = np.random.default_rng(5)
    g = rng.standard_normal((3, 2, 7, 4))
    q = polar_exact(xp.asarray(g))
    assert q.shape == g.shape
    for i in range(3):
        for j in range(2):
            assert_close(q[i, j, ...], polar_exact(g[i, j]), xp=xp, n=7, factor=16)


def test_zero_matrix_gives_zero(xp):
    q = polar_exact(xp.zeros((4, 3), dtype=xp.float64))
    assert np.all(to_numpy(q) == 0)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_raises(xp, bad):
    g = np.ones((3, 3))
    g[1, 2] = bad
    with pytest.raises(ValueError, match="non-finite"):
        polar_exact(xp.asarray(g))


def test_integer_and_1d_inputs_rejected(xp):
    with pytest.raises(TypeError, match="dtype"):
        polar_exact(xp.asarray([[1, 2], [3, 4]]))
    with pytest.raises(ValueError, match="ndim"):
        polar_exact(xp.asarray([1.0, 2.0]))


def test_float16_and_float32_keep_dtype():
    g, u, v = _known(6, 4, [1.0, 0.7, 0.4, 0.1])
    for dt in (np.float32, np.float16):
        q = polar_exact(g.astype(dt))
        assert q.dtype == dt
        # float16 is factorised in float32 and rounded back: error ~ eps(float16)
        assert np.linalg.norm(q.astype(np.float64) - u @ v.T, 2) <= rtol_for(np.dtype(dt), 6, 4) + 64 * float(
            np.finfo(np.float32).eps)


def test_scale_invariance_extreme_magnitudes():
    g, u, v = _known(5, 3, [1.0, 0.5, 0.25])
    for c in (1e-300, 1e300):
        assert_close(polar_exact(c * g), u @ v.T, n=5, factor=16)


@given(m=st.integers(1, 8), n=st.integers(1, 8), logk=st.floats(0, 8), seed=st.integers(0, 2**16))
def test_property_isometry_on_range(xp, m, n, logk, seed):
    p = min(m, n)
    sigma = np.logspace(0, -logk, p)
    g, u, v = _known(m, n, sigma, seed)
    q = to_numpy(polar_exact(xp.asarray(g)))
    # the polar factor's condition number is about 1/sigma_min (sigma_max = 1): a backward
    # error of O(max(m, n) eps) in the SVD moves U V^T by at most that over sigma_min
    assert np.linalg.norm(q - u @ v.T, 2) <= rtol_for("float64", max(m, n), 64) / sigma[-1]
