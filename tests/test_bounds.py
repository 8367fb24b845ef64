"""gluon_ref.bounds: the theorem right-hand sides, against hand-derived values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gluon_ref import bounds

pos = st.floats(1e-3, 1e3)


@given(g=st.lists(pos, min_size=1, max_size=5), data=st.data())
def test_optimal_stepsize_maximises_the_bracket(g, data):
    p = len(g)
    L0 = data.draw(st.lists(st.floats(0, 1e3), min_size=p, max_size=p))
    L1 = data.draw(st.lists(pos, min_size=p, max_size=p))
    t = bounds.optimal_stepsizes(g, L0, L1)
    best = bounds.guaranteed_decrease(g, L0, L1)
    f_next = bounds.one_step_upper_bound(0.0, g, t, L0, L1)
    assert -f_next == pytest.approx(best, rel=1e-12)
    for scale in (0.5, 0.9, 1.1, 2.0):  # any other radius guarantees less
        assert -bounds.one_step_upper_bound(0.0, g, t * scale, L0, L1) <= best * (1 + 1e-12)


@given(g=st.lists(pos, min_size=1, max_size=5), data=st.data())
def test_cauchy_schwarz_step(g, data):
    """S^2 <= D (A + S) (docs/theory.md 6, proof step 2)."""
    p = len(g)
    L0 = data.draw(st.lists(st.floats(0, 1e3), min_size=p, max_size=p))
    L1 = data.draw(st.lists(pos, min_size=p, max_size=p))
    q = bounds.theorem1_quantities(g, L0, L1)
    assert q["S"] ** 2 <= q["D"] * (q["A"] + q["S"]) * (1 + 1e-12)


def test_theorem1_forms_by_hand():
    L0, L1 = [1.0, 2.0], [0.5, 0.25]
    # m_bar = (2 + 4)/2 = 3, A = 1/0.25 + 2/0.0625 = 36
    q = bounds.theorem1_quantities([0.0, 0.0], L0, L1)
    assert q["m_bar"] == 3.0 and q["A"] == 36.0
    assert bounds.theorem1_iterations(2.0, 0.1, L0, L1) == pytest.approx(
        2 * 2 * 36 / (0.01 * 9) + 2 * 2 / (0.1 * 3))
    r = 2.0 / 100
    assert bounds.theorem1_rate(2.0, 100, L0, L1) == pytest.approx(r + math.sqrt(r * r + 72 * r))
    assert bounds.theorem1_rate(2.0, 100, L0, L1) <= bounds.theorem1_rate_simple(2.0, 100, L0, L1)
    assert bounds.theorem1_l0_zero_rate(3.0, 10) == 0.6
    assert bounds.theorem1_max_form_iterations(1.0, 0.5, L0, L1) == pytest.approx(
        2 * 3 / 0.25 + 2 * 0.5 / 0.5)
    t, beta = bounds.theorem2_schedule(0, [2.0])
    assert t[0] == 2.0 and beta == 0.0
    t, beta = bounds.theorem2_schedule(15, [2.0])
    assert t[0] == pytest.approx(2.0 / 8) and beta == pytest.approx(0.75)


def test_bad_constants_raise():
    with pytest.raises(ValueError, match="L0"):
        bounds.optimal_stepsizes([1.0], [-1.0], [1.0])
    with pytest.raises(ValueError, match="L1"):
        bounds.theorem1_quantities([1.0], [1.0], [0.0])
    with pytest.raises(ValueError, match="finite"):
        bounds.guaranteed_decrease([np.nan], [1.0], [1.0])
    with pytest.raises(ValueError, match="L0_i \\+ L1_i g_i"):
        bounds.optimal_stepsizes([1.0], [0.0], [0.0])
    with pytest.raises(ValueError, match="eps"):
        bounds.theorem1_iterations(1.0, 0.0, [1.0], [1.0])
    with pytest.raises(ValueError, match="k must"):
        bounds.theorem2_schedule(-1, [1.0])
