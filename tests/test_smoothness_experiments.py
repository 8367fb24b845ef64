"""Digits experiments, synthetic ground truth, the noise factor, and ``gluon-ref smoothness``.

References: the step length of an unconstrained Scion step with an exact polar
factor is the radius (docs/theory.md section 2), proved constants of the synthetic
objectives (gluon_ref/objectives/smooth.py, quadratics.py), and the law of
g' - g for correlated Gaussian gradients.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from gluon_ref.smoothness import MODELS, circularity, estimate_pair, run, synthetic_run, tune
from gluon_ref.smoothness.experiments import log_slope, optimizer


pytestmark = pytest.mark.usefixtures("one_blas_thread")


@pytest.mark.parametrize("model", sorted(MODELS))
def test_step_length_is_the_radius(model):
    """Every recorded step has length exactly its group's radius (uSCG with exact LMOs)."""
    spec = MODELS[model]
    radii = {"body": 0.07, "head": 0.9}
    rec = run(model, radii, steps=8, kinds=("different",))
    tr = rec.traces["different"]
    groups = spec.layer_groups()
    for layer in tr.layers:
        np.testing.assert_allclose(tr.step[layer], radii[groups[layer]], rtol=1e-12)


def test_full_batch_run_has_no_momentum_and_decreases_the_loss():
    opt = optimizer("digits_mlp", full_batch=True)
    assert opt.momentum == 1.0  # Scion's alpha = 1: the buffer is the gradient
    rec = run("digits_mlp", steps=40, full_batch=True)
    assert rec.losses[-1] < 0.2 * rec.losses[0]


def test_circularity_slope_recovers_a_planted_power():
    assert log_slope([1, 2, 4], [3, 6, 12]) == pytest.approx(1.0)
    assert log_slope([0.1, 1, 10], [5, 5, 5]) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="two distinct"):
        log_slope([1, 1], [2, 3])


def test_circularity_on_a_short_budget():
    c = circularity("digits_mlp", factors=(0.5, 2.0), steps=40)
    assert c.factors == (0.5, 2.0) and set(c.slope) == {"W1", "b1", "W2", "b2"}
    for layer in c.slope:
        np.testing.assert_allclose(np.array(c.radius[layer]) / c.radius[layer][0], [1.0, 4.0], rtol=1e-12)
        assert all(s > 0 for s in c.stepsizes[layer])


def test_tune_picks_the_lowest_final_loss():
    t = tune("digits_mlp", [0.01, 0.05], [0.3], steps=20)
    assert t.loss.shape == (2, 1)
    i = int(np.nanargmin(t.loss[:, 0]))
    assert t.best == {"body": [0.01, 0.05][i], "head": 0.3}


def test_bad_experiment_input():
    with pytest.raises(ValueError, match="unknown model"):
        run("imagenet")
    with pytest.raises(ValueError, match="groups"):
        run("digits_mlp", {"body": 0.1})
    with pytest.raises(ValueError, match="group 'head'"):
        run("digits_mlp", {"body": 0.1, "head": -1.0})


@pytest.mark.parametrize("name", ["cosh", "softplus", "quadratics"])
def test_synthetic_envelopes(name):
    """Estimates below the proved envelope (Assumption 1 along the run); the fitted envelope
    within [1/4, 5/4] of the proved one over the observed anchors; the hinge balance at the
    exact fit (KKT)."""
    for c in synthetic_run(name, seed=0):
        assert c.lhat_ratio <= 1 + 1e-9, c
        assert 0.25 <= c.ratio_min and c.ratio_max <= 1.25, c
        pos, neg = c.hinge
        assert pos <= neg * (1 + 1e-9) + 1e-12, c


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("name", ["cosh", "softplus", "quadratics"])
def test_synthetic_envelopes_more_seeds(name, seed):
    for c in synthetic_run(name, seed=seed):
        assert c.lhat_ratio <= 1 + 1e-9 and 0.25 <= c.ratio_min and c.ratio_max <= 1.25, c


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.9])
def test_noise_factor_of_correlated_gaussians(rho):
    """g' = rho g + sqrt(1 - rho^2) z: g' - g ~ sqrt(2(1 - rho)) N(0, I) and ||g'|| ~ ||N(0, I)||,
    so c concentrates at sqrt(2(1 - rho)); a sum instead of a difference gives sqrt(2(1 + rho))."""
    rng = np.random.default_rng(0)
    cs = []
    for _ in range(40):
        g = rng.standard_normal((48, 32))
        gn = rho * g + math.sqrt(1 - rho ** 2) * rng.standard_normal((48, 32))
        cs.append(estimate_pair("rms_to_rms", np.zeros((48, 32)), np.ones((48, 32)), g, gn).noise_factor)
    # relative spread of a nuclear norm of a 48 x 32 Gaussian matrix is O(1/sqrt(48 * 32))
    assert np.median(cs) == pytest.approx(math.sqrt(2 * (1 - rho)), rel=0.03)


def test_command_writes_tables_and_json(tmp_path, capsys):
    from proofs_check.cli import main

    out = tmp_path / "rep"
    assert main(["smoothness", "--only", "authors,synthetic", "--out", str(out), "--no-figures"]) == 0
    text = capsys.readouterr().out
    assert "Refit of the Gluon authors' logs" in text and "Planted pairs" in text
    data = json.loads((out / "smoothness.json").read_text())
    g = data["authors"]["runs"]["nanogpt"]["groups"]["hidden"]["all"]
    assert g["layers"] == 72 and 60 < g["L1_median"] < 80
    assert main(["smoothness", "--only", "nonsense", "--out", str(out)]) == 2
