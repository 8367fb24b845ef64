"""The digits CNN: convolutions against scipy, layers and norms, backends, a short run learns.

Gradients against central differences (and a corrupted-gradient control) run
in test_objectives_gradients, where the CNN is one of the objectives.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.signal import correlate2d

from gluon_ref.backend import to_numpy
from gluon_ref.objectives import DigitsCNN, DigitsMLP

from conftest import rtol_for


@pytest.fixture(scope="module")
def model():
    return DigitsCNN(channels=(3, 4), seed=0, train_size=40)


def _reference_forward(model, X, images):
    """The CNN written out with scipy's 2-D cross-correlation (PyTorch's conv2d), per image."""
    out = []
    for img in images:
        h1 = np.tanh(np.stack([correlate2d(img, X["conv1"][o, 0], mode="same")
                               for o in range(X["conv1"].shape[0])]) + X["bias1"][:, None, None])
        h2 = np.tanh(np.stack([sum(correlate2d(h1[c], X["conv2"][o, c], mode="same")
                                   for c in range(X["conv2"].shape[1]))
                               for o in range(X["conv2"].shape[0])]) + X["bias2"][:, None, None])
        pooled = h2.reshape(h2.shape[0], 4, 2, 4, 2).mean(axis=(2, 4))       # (c2, 4, 4)
        z = pooled.reshape(h2.shape[0], 16).T.reshape(-1)                     # (position, channel)
        out.append(X["head"] @ z)
    return np.array(out)


def test_layers_and_norms(model):
    assert {k: s.shape for k, s in model.layers.items()} == {
        "conv1": (3, 1, 3, 3), "bias1": (3,), "conv2": (4, 3, 3, 3), "bias2": (4,), "head": (10, 64)}
    assert {k: s.norm for k, s in model.layers.items()} == {
        "conv1": "spectral_conv", "bias1": "rms", "conv2": "spectral_conv", "bias2": "rms",
        "head": "sign"}
    assert model.n_samples == 40
    # same split as the MLP for the same seed
    np.testing.assert_array_equal(DigitsMLP(hidden=4, seed=0).yte, model.yte)


def test_logits_match_scipy_convolutions(model):
    X = model.sample_point(np.random.default_rng(2), 1.0)
    Xd = model.Xtr[:, :5]
    logits = model._forward(np, X, Xd)["logits"]
    ref = _reference_forward(model, X, [Xd[:, s].reshape(8, 8) for s in range(5)])
    np.testing.assert_allclose(logits, ref, rtol=0, atol=rtol_for("float64", 200) * np.abs(ref).max())


def test_value_is_mean_cross_entropy(model):
    X = model.initial_point(1)
    ref = _reference_forward(model, X, [model.Xtr[:, s].reshape(8, 8) for s in range(model.n_samples)])
    ce = np.log(np.exp(ref).sum(axis=1)) - ref[np.arange(model.n_samples), model.ytr]
    assert model.value(X) == pytest.approx(float(ce.mean()), rel=rtol_for("float64", 400))
    b = np.array([3, 7, 11])
    assert model.value(X, batch=b) == pytest.approx(float(ce[b].mean()), rel=rtol_for("float64", 400))


def test_zero_point_gives_log10(model):
    assert model.value(model.zeros()) == pytest.approx(math.log(10.0), rel=1e-14)


def test_backends_agree(xp, model):
    X = model.sample_point(np.random.default_rng(5), 1.0)
    Xb = {k: xp.asarray(v) for k, v in X.items()}
    v0, g0 = model.value_and_grad(X)
    v1, g1 = model.value_and_grad(Xb)
    assert v1 == pytest.approx(v0, rel=rtol_for("float64", 100))
    for k in g0:
        np.testing.assert_allclose(to_numpy(g1[k]), g0[k], rtol=0,
                                   atol=rtol_for("float64", 400) * np.abs(g0[k]).max())


def test_short_unscion_run_learns():
    from gluon_ref.smoothness import run

    rec = run("digits_cnn", steps=60)
    assert rec.losses[-1] < 0.5 * rec.losses[0]


def test_bad_construction():
    with pytest.raises(ValueError, match="channels"):
        DigitsCNN(channels=(0, 4))
    with pytest.raises(ValueError, match="train_size"):
        DigitsCNN(train_size=0)
    with pytest.raises(ValueError, match="test_fraction"):
        DigitsCNN(test_fraction=1.0)
