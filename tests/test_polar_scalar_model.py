"""The scalar model (docs/polar.md section 2): composition, exact interval images, fixed points,
absorbing bands, predictions — checked against closed forms and dense sampling."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gluon_ref.polar import MUON_QUINTIC, absorbing_band, fixed_points, get_schedule, predict
from gluon_ref.polar.scalar_model import (
    compose,
    compose_iterates,
    critical_points,
    interval_image,
    odd_derivative,
    odd_polynomial,
    output_interval,
    slope_at_zero,
    worst_case_error,
)
from gluon_ref.polar.schedules import CUBIC, PADE_QUINTIC, PADE_SEPTIC, YOU_5STEP, YOU_6STEP

from conftest import assert_close

EPS = float(np.finfo(np.float64).eps)


def test_odd_polynomial_against_explicit_powers(xp):
    x = np.linspace(-1.5, 1.5, 31)
    want = 3.4445 * x - 4.7750 * x**3 + 2.0315 * x**5
    got = odd_polynomial(MUON_QUINTIC, xp.asarray(x))
    assert_close(got, want, xp=xp, rtol=0, atol=16 * EPS * 10)
    d = odd_derivative(MUON_QUINTIC, x)
    assert_close(d, 3.4445 - 3 * 4.7750 * x**2 + 5 * 2.0315 * x**4, rtol=0, atol=160 * EPS)
    assert odd_polynomial((2.0,), 0.25) == 0.5


def test_spec_coefficients_of_named_polynomials():
    """docs/polar.md 5.1/5.2 write these coefficients explicitly."""
    assert CUBIC == (1.5, -0.5)
    assert PADE_QUINTIC == (15 / 8, -10 / 8, 3 / 8)
    assert PADE_SEPTIC == (35 / 16, -35 / 16, 21 / 16, -5 / 16)
    assert YOU_6STEP[0] == (3955 / 1024, -8306 / 1024, 5008 / 1024)
    assert YOU_5STEP[-1] == (2.8366, -3.0525, 1.2012)


def test_compose_and_iterates():
    x = np.array([0.01, 0.3, 0.9])
    its = compose_iterates([CUBIC] * 3, x)
    assert len(its) == 4 and np.array_equal(its[0], x)
    assert np.array_equal(its[-1], compose([CUBIC] * 3, x))
    assert slope_at_zero([MUON_QUINTIC] * 5) == pytest.approx(3.4445**5, rel=1e-15)
    assert slope_at_zero([]) == 1.0


def test_critical_points_of_muon_closed_form():
    a, b, c = MUON_QUINTIC
    disc = math.sqrt(9 * b * b - 20 * a * c)
    want = sorted(math.sqrt((-3 * b + s * disc) / (10 * c)) for s in (-1, 1))
    got = critical_points(MUON_QUINTIC, 0.0, math.inf)
    assert_close(np.array(got), np.array(want), rtol=8 * EPS)
    assert critical_points(MUON_QUINTIC, -math.inf, math.inf) == pytest.approx(
        sorted([-w for w in want] + want), rel=8 * EPS)
    assert critical_points((2.0,)) == []


@given(lo=st.floats(-1.4, 1.4), width=st.floats(0.0, 1.0),
       name=st.sampled_from(["cubic", "pade", "muon", "you5", "polar_express"]))
def test_interval_image_contains_and_matches_samples(lo, width, name):
    hi = min(lo + width, 1.4)
    poly = get_schedule(name).polynomials[0]
    ilo, ihi = interval_image(poly, lo, hi)
    xs = np.linspace(lo, hi, 4001)
    ys = odd_polynomial(poly, xs)
    # exact image contains every sample, and dense samples come within the grid's reach
    lip = float(np.max(np.abs(odd_derivative(poly, xs)))) * (hi - lo) / 4000
    scale = 1 + max(abs(ilo), abs(ihi))
    assert ilo <= ys.min() + 64 * EPS * scale and ihi >= ys.max() - 64 * EPS * scale
    assert ys.min() - ilo <= lip + 64 * EPS * scale and ihi - ys.max() <= lip + 64 * EPS * scale


def test_output_interval_of_a_schedule_against_samples():
    xs = np.logspace(-3, 0, 200001)
    for polys in (YOU_6STEP, YOU_5STEP, [MUON_QUINTIC] * 5, get_schedule("polar_express").polynomials):
        lo, hi = output_interval(polys, 1e-3, 1.0)
        ys = compose(polys, xs)
        assert lo <= ys.min() + 1e-12 and hi >= ys.max() - 1e-12
        assert ys.min() - lo <= 1e-4 and hi - ys.max() <= 1e-4
        assert worst_case_error(polys, 1e-3, 1.0) == pytest.approx(max(1 - lo, hi - 1), abs=0)
    with pytest.raises(ValueError, match="lo <= hi"):
        interval_image(CUBIC, 1.0, 0.5)


def test_you_schedule_intervals_as_in_spec():
    """docs/polar.md 7: You-6 maps [1e-3, 1] into about [0.87, 1.00]; You-5 into about [0.47, 1.15]."""
    lo, hi = output_interval(YOU_6STEP, 1e-3, 1.0)
    assert abs(lo - 0.87) <= 0.005 and abs(hi - 1.00) <= 0.005
    lo, hi = output_interval(YOU_5STEP, 1e-3, 1.0)
    assert abs(lo - 0.47) <= 0.006 and abs(hi - 1.15) <= 0.006


def test_fixed_points_closed_forms():
    fp = fixed_points(CUBIC)
    assert len(fp) == 1 and fp[0].x == pytest.approx(1.0, abs=4 * EPS) and fp[0].kind == "superattracting"
    fp = fixed_points(PADE_QUINTIC)
    assert [f.x for f in fp] == pytest.approx([1.0, math.sqrt(7 / 3)], rel=4 * EPS)
    assert fp[0].kind == "superattracting" and fp[1].kind == "repelling"
    # Muon: p(x) = x  <=>  2.0315 y^2 - 4.775 y + 2.4445 = 0, y = x^2
    a, b, c = MUON_QUINTIC
    ys = sorted(np.roots([c, b, a - 1]).real)
    fp = fixed_points(MUON_QUINTIC)
    assert [f.x for f in fp] == pytest.approx(np.sqrt(ys), rel=8 * EPS)
    assert all(f.kind == "repelling" for f in fp)      # |p'| > 1: oscillation, no convergence
    for f in fp:
        assert f.derivative == pytest.approx(a + 3 * b * f.x**2 + 5 * c * f.x**4, rel=8 * EPS)
    assert fixed_points((2.0,)) == []


def test_muon_band_is_critical_value_orbit():
    """The band is [m, p(m)] with m the local minimum value p(x_2) (x_2 the larger critical point)."""
    x2 = critical_points(MUON_QUINTIC, 0.0, math.inf)[-1]
    m = odd_polynomial(MUON_QUINTIC, x2)
    lo, hi = absorbing_band(MUON_QUINTIC)
    assert lo == pytest.approx(m, abs=1e-15)
    assert hi == pytest.approx(odd_polynomial(MUON_QUINTIC, m), abs=1e-15)
    # minimality: shrinking either end breaks invariance
    ilo, ihi = interval_image(MUON_QUINTIC, lo + 1e-6, hi)
    assert ilo < lo + 1e-6
    ilo, ihi = interval_image(MUON_QUINTIC, lo, hi - 1e-6)
    assert ihi > hi - 1e-6


def test_band_of_convergent_map_is_the_fixed_point():
    assert absorbing_band(CUBIC) == (1.0, 1.0)
    assert absorbing_band(PADE_QUINTIC) == pytest.approx((1.0, 1.0))


def test_band_raises_without_fixed_point_or_bound():
    with pytest.raises(ValueError, match="fixed point"):
        absorbing_band((2.0,))
    with pytest.raises(ValueError, match="no absorbing band"):
        absorbing_band((1.0, 1.0), center=0.0 + 1e-3)   # p(x) = x + x^3 escapes


def test_predict_matches_closed_form_metrics():
    sigma = np.array([2.0, 1.0, 0.1])
    s = 2.5
    pr = predict([CUBIC] * 2, sigma, s)

    def cubic(x):  # docs/polar.md 5.1, written out: p(x) = 1.5 x - 0.5 x^3
        return 1.5 * x - 0.5 * x**3

    phi = cubic(cubic(sigma / s))
    assert pr.spectral_error == pytest.approx(np.max(np.abs(1 - phi)), rel=4 * EPS)
    assert pr.frobenius_error == pytest.approx(np.sqrt(np.sum((1 - phi) ** 2)), rel=4 * EPS)
    assert pr.orthogonality_error == pytest.approx(np.max(np.abs(phi**2 - 1)), rel=4 * EPS)
    assert pr.input_interval == (0.1 / 2.5, 2.0 / 2.5)
    assert math.isnan(pr.output_rms)
    assert predict([CUBIC] * 2, sigma, s, (4, 3)).output_rms == pytest.approx(
        np.sqrt(np.sum(phi**2) / 12), rel=4 * EPS)
    # the error identity 1 - p(x) = (1-x)^2 (2+x)/2 checked for one step
    one = predict([CUBIC], sigma, s)
    x = sigma / s
    assert_close(1 - one.phi, (1 - x) ** 2 * (2 + x) / 2, rtol=0, atol=4 * EPS)
    with pytest.raises(ValueError, match="non-empty"):
        predict([CUBIC], [], 1.0)
