"""The scalar-model certifier (gluon_ref.polar.certify) against independent mathematics.

Independent references: explicit ``numpy.polynomial`` composition (roots of the derivative of
the composed polynomial, feasible for low total degree), closed-form roots of one polynomial,
mpmath evaluation at 60 digits, and dense sampling (which can only find values inside the band).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.polynomial import Polynomial

from gluon_ref.polar import MUON_QUINTIC, Schedule, get_schedule
from gluon_ref.polar.certify import (
    certify,
    default_interval,
    evaluate_with_bound,
    monotone_breakpoints,
    negative_set,
)
from gluon_ref.polar.scalar_model import compose, output_interval
from gluon_ref.polar.schedules import CUBIC, PADE_QUINTIC, YOU_5STEP

from conftest import assert_close

AOL_FIRST = (4.0098, -7.0585, 2.4635)


def _as_numpy_polynomial(poly):
    coef = np.zeros(2 * len(poly))
    coef[1::2] = poly
    return Polynomial(coef)


def _critical_points_by_expansion(polys, lo, hi):
    comp = Polynomial([0.0, 1.0])
    for p in polys:
        comp = _as_numpy_polynomial(p)(comp)
    roots = comp.deriv().roots()
    real = roots[np.abs(roots.imag) <= 1e-9 * np.maximum(1, np.abs(roots.real))].real
    return np.sort(real[(real > lo) & (real < hi)])


@pytest.mark.parametrize("polys", [
    [MUON_QUINTIC] * 2,
    list(YOU_5STEP[:2]),
    [AOL_FIRST, (3.4585, -5.5479, 2.5959)],
    [CUBIC] * 3,
    [(2.9, -2.1), MUON_QUINTIC],
    [PADE_QUINTIC, MUON_QUINTIC],
])
def test_breakpoints_equal_roots_of_the_expanded_derivative(polys):
    # wrong: pulling back only the first polynomial's critical points, or a grid search,
    # misses or blurs the composed polynomial's critical points
    lo, hi = 1e-3, 1.0
    got = np.array(monotone_breakpoints(polys, lo, hi)[1:-1])
    want = _critical_points_by_expansion(polys, lo, hi)
    # roots of a degree-<=27 expansion from numpy's companion matrix: ~1e-10 relative
    assert_close(got, want, rtol=1e-8)


@pytest.mark.parametrize("name", ["muon", "you5", "you6", "polar_express", "polar_express_gram",
                                  "cubic", "pade7"])
def test_band_equals_stepwise_interval_images_and_contains_samples(name):
    sch = get_schedule(name)
    c = certify(sch)
    lo, hi = c.interval
    # two different exact computations of phi_T([lo, hi]): breakpoints vs step-by-step images
    assert_close(np.array(c.band), np.array(output_interval(sch.polynomials, lo, hi)), atol=1e-12,
                 rtol=0.0)
    xs = np.concatenate([np.geomspace(lo, hi, 20001), [lo, hi]])
    ys = np.asarray(compose(sch.polynomials, xs))
    assert ys.min() >= c.band[0] - 1e-12 and ys.max() <= c.band[1] + 1e-12
    # phi_T is monotone between consecutive critical points
    bps = [lo, *c.critical_points, hi]
    for a, b in zip(bps[:-1], bps[1:]):
        seg = np.asarray(compose(sch.polynomials, np.linspace(a, b, 200)))
        d = np.diff(seg)
        assert np.all(d >= -1e-12) or np.all(d <= 1e-12)


def test_sign_flip_threshold_is_the_closed_form_root():
    # p(x) = x (a + b x^2 + c x^4) < 0 between the two positive roots of a + b y + c y^2
    a, b, c = AOL_FIRST
    y1 = (-b - math.sqrt(b * b - 4 * a * c)) / (2 * c)
    cert = certify([AOL_FIRST], 1e-3, 1.0)
    assert cert.kind == "sign flip" and not cert.sign_preserving
    assert cert.flip_threshold == pytest.approx(math.sqrt(y1), rel=1e-13)
    assert cert.flip_set == ((pytest.approx(math.sqrt(y1), rel=1e-13), 1.0),)
    assert cert.band[0] == pytest.approx(a + b + c, abs=1e-13)  # p(1) = -0.5852
    assert "sign flip at sigma/s > 0.8837" in cert.verdict


def test_cubic_flip_beyond_sqrt3_and_negative_control_interval():
    cert = certify(Schedule.constant(CUBIC, 1, normalization="none"), 0.5, 2.0)
    assert cert.flip_threshold == pytest.approx(math.sqrt(3), rel=1e-14)
    assert certify(Schedule.constant(CUBIC, 1, normalization="none"), 0.5, 1.7).sign_preserving


def test_verdicts_and_monotonicity_claims():
    assert certify(get_schedule("polar_express", 8)).kind == "certified"
    muon = certify(get_schedule("muon"), monotone_claimed=True)
    assert muon.kind == "band" and not muon.monotone and muon.monotone_ok is False
    assert muon.band[0] == pytest.approx(0.4705, abs=5e-5)
    cubic = certify(get_schedule("cubic"), monotone_claimed=True)
    assert cubic.monotone and cubic.monotone_ok and cubic.critical_points == ()
    pade = certify(get_schedule("pade", 16))
    assert pade.monotone and pade.kind == "certified"
    assert certify(get_schedule("muon")).monotone_ok is None


def test_tail_of_muon_settles_in_its_absorbing_band_and_polar_express_in_its_last_fixed_point():
    m = certify(get_schedule("muon"))
    assert m.tail_band is not None
    assert m.tail_band[0] <= m.tail_image[0] and m.tail_image[1] <= m.tail_band[1]
    assert any(f.kind == "repelling" for f in m.tail_fixed_points)
    pe = certify(get_schedule("pade"))
    assert pe.tail_image == pytest.approx((1.0, 1.0), abs=1e-12)


def test_default_interval_follows_the_normalisation():
    assert default_interval(get_schedule("polar_express")) == (1e-3, 1 / 1.01)
    assert default_interval(get_schedule("muon_torch")) == (1e-3, 1.0)
    assert default_interval(Schedule.constant(CUBIC, 2, normalization="none"), 0.1) == (0.1, 1.0)


def test_running_error_bound_contains_the_exact_value():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 60
    # wrong: a bound without the local Horner term gamma_{2K+2} sum |c_k||y|^{2k+1} (only
    # propagation) is zero and is exceeded at once
    worst = 0.0
    for name, steps in (("polar_express", 8), ("muon", 5), ("you6", 6), ("cubic", 30),
                        ("polar_express_paper", 8)):
        polys = get_schedule(name, steps).polynomials
        for x in np.geomspace(1e-3, 0.99, 57):
            val, bound = evaluate_with_bound(polys, float(x))
            y = mpmath.mpf(float(x))
            for p in polys:
                y = sum(mpmath.mpf(c) * y ** (2 * k + 1) for k, c in enumerate(p))
            err = abs(mpmath.mpf(val) - y)
            assert err <= bound
            worst = max(worst, float(err / bound) if bound else 0.0)
    assert worst > 1e-4  # the bound is not vacuous


def test_negative_set_of_a_schedule_without_flips_is_empty():
    assert negative_set(get_schedule("you6").polynomials, 1e-3, 1.0) == []


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="at least one polynomial"):
        certify([])
    with pytest.raises(ValueError, match="0 < lo < hi"):
        certify(get_schedule("muon"), 0.5, 0.1)
    with pytest.raises(ValueError, match="finite"):
        certify([(1.0, float("nan"))])
    with pytest.raises(ValueError, match="tolerance"):
        certify(get_schedule("muon"), tolerance=0.0)
    with pytest.raises(ValueError, match="overflows"):
        certify(Schedule.constant(CUBIC, 40, normalization="none"), 0.5, 3.0)
