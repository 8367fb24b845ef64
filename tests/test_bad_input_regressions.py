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
