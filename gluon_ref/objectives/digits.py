"""A real-data model: a one-hidden-layer tanh MLP with softmax cross-entropy on sklearn's digits.

Data: ``sklearn.datasets.load_digits`` (1797 8x8 images, 10 classes) ships
inside scikit-learn, so nothing is downloaded.  Features are ``pixel/16``
centred by the training mean; a seeded permutation splits train/test
(default 20 % test, stratification not needed at this size).

Model (PyTorch layout, samples as columns ``x_s`` in R^64):

    h = tanh(W1 x + b1),  logits = W2 h + b2,
    f = (1/|B|) sum_{s in B} [ logsumexp(logits_s) - logits_s[y_s] ]

Gradients with ``P = softmax(logits) - onehot(y)`` (per column):
``grad_W2 = P h^T/|B|``, ``grad_b2 = P 1/|B|``, ``G = (W2^T P) * (1 - h^2)``,
``grad_W1 = G x^T/|B|``, ``grad_b1 = G 1/|B|``.  ``hvp`` is exact (forward
tangents, softmax Jacobian ``dp = p * (dl - <p, dl>)``).  ``log-sum-exp`` is
evaluated with the max shift, so any finite point is in the domain.

Layer norms (Gluon/Scion practice, docs/theory.md section 9): hidden weight
``rms_to_rms``, output weight ``sign`` (normalized Sign, as the CNN/NanoGPT
heads), biases ``rms``.  No smoothness constants are claimed (the model is
non-separable; use the trajectory estimator of docs/theory.md section 8,
:mod:`gluon_ref.smoothness`).
Lower bound 0 (cross-entropy is non-negative).

Source: scikit-learn ``load_digits`` (UCI optical recognition of handwritten
digits, test part); the model is standard.
"""

from __future__ import annotations

import math

import numpy as np

from ..backend import to_numpy
from .protocol import Block, Objective, to_namespace

__all__ = ["DigitsMLP", "load_digits_arrays", "split_digits"]


def load_digits_arrays():
    """``(X, y)``: features ``(1797, 64)`` in [0, 1] (pixel/16) and labels ``(1797,)``."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:  # pragma: no cover - sklearn is in the 'verify' extra
        raise ImportError("DigitsMLP needs scikit-learn (pip install 'gluon-ref[verify]')") from exc
    d = load_digits()
    return d.data.astype(np.float64) / 16.0, d.target.astype(np.int64)


def split_digits(seed: int = 0, test_fraction: float = 0.2):
    """``(Xtr, Xte, ytr, yte)``: a seeded train/test split, features centred by the training mean,
    samples as columns (``64 x N``)."""
    if not (0 < test_fraction < 1):
        raise ValueError(f"test_fraction must lie in (0, 1), got {test_fraction}")
    Xall, yall = load_digits_arrays()
    perm = np.random.default_rng(seed).permutation(len(yall))
    n_test = int(round(test_fraction * len(yall)))
    test, train = perm[:n_test], perm[n_test:]
    mean = Xall[train].mean(axis=0)
    return ((Xall[train] - mean).T.copy(), (Xall[test] - mean).T.copy(), yall[train], yall[test])


class _DigitsClassifier(Objective):
    """What the digits models share: ``predict``/``accuracy`` on the split and a fan-in
    ``initial_point``.  A subclass sets ``Xtr, Xte, ytr, yte`` and ``_class_axis`` (the class
    axis of its logits) and defines ``_logits(xp, P, Xd)`` for samples as columns ``Xd``."""

    _class_axis = 0

    def predict(self, P, split: str = "test"):
        """Predicted classes (NumPy int array) on ``split`` in {"train", "test"}."""
        xp, Pc = self.check_point(P)
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        like = next(iter(Pc.values()))
        Xd = self._data(xp, like, "X" + split[:2], self.Xtr if split == "train" else self.Xte)
        return np.argmax(to_numpy(self._logits(xp, Pc, Xd)), axis=self._class_axis)

    def accuracy(self, P, split: str = "test") -> float:
        """Share of correctly classified samples on ``split``."""
        y = self.ytr if split == "train" else self.yte
        return float(np.mean(self.predict(P, split) == y))

    def initial_point(self, rng=0, xp=np, dtype=None):
        """Weights ``N(0, 1/fan_in)`` (``fan_in`` = product of all but the first axis: the input
        width of a matrix, ``c_in * 9`` of a kernel), zero biases (the 1-D layers); reproducible."""
        rng = np.random.default_rng(rng) if isinstance(rng, (int, np.integer)) else rng
        pt = {}
        for k, block in self._layers.items():
            if len(block.shape) == 1:
                pt[k] = np.zeros(block.shape)
            else:
                pt[k] = rng.standard_normal(block.shape) / math.sqrt(math.prod(block.shape[1:]))
        return to_namespace(pt, xp, dtype)


class DigitsMLP(_DigitsClassifier):
    """Softmax-cross-entropy MLP on sklearn digits; finite sum over the training set.

    ``hidden``: width; ``test_fraction``: held-out share; ``seed``: split and
    init.  ``n_samples`` is the training-set size; ``batch`` indexes it.
    ``initial_point``: ``W1 ~ N(0, 1/64)``, ``W2 ~ N(0, 1/hidden)``, zero biases.
    """

    hvp_exact = True
    separable = False

    def __init__(self, hidden: int = 64, test_fraction: float = 0.2, seed: int = 0,
                 norms=("rms_to_rms", "rms", "sign", "rms"), n_classes: int = 10):
        super().__init__()
        self.seed = seed
        self.Xtr, self.Xte, self.ytr, self.yte = split_digits(seed, test_fraction)
        self.Ytr = np.eye(n_classes)[self.ytr].T.copy()  # one-hot, 10 x N
        self.n_samples = self.Xtr.shape[1]
        self.hidden = hidden
        self.name = "digits_mlp"
        d = self.Xtr.shape[0]
        self._set_layers({
            "W1": Block((hidden, d), norms[0]),
            "b1": Block((hidden,), norms[1]),
            "W2": Block((n_classes, hidden), norms[2]),
            "b2": Block((n_classes,), norms[3]),
        })
        self.lower_bound = 0.0
        self.source = "digits.py; sklearn load_digits"

    # -- model ------------------------------------------------------------------
    def _forward(self, xp, P, Xd):
        Hd = xp.tanh(P["W1"] @ Xd + P["b1"][:, None])
        logits = P["W2"] @ Hd + P["b2"][:, None]
        mx = xp.max(logits, axis=0, keepdims=True)
        ex = xp.exp(logits - mx)
        se = xp.sum(ex, axis=0, keepdims=True)
        lse = mx + xp.log(se)
        return Hd, logits, lse, ex / se

    def _value_and_grad(self, xp, P, batch):
        Xd, Yd = self._samples(xp, P["W1"], batch, Xtr=self.Xtr, Ytr=self.Ytr)
        nb = Xd.shape[1]
        Hd, logits, lse, prob = self._forward(xp, P, Xd)
        val = (xp.sum(lse) - xp.sum(logits * Yd)) / nb
        D = prob - Yd
        G = (xp.matrix_transpose(P["W2"]) @ D) * (1 - Hd * Hd)
        return val, {
            "W1": (G @ xp.matrix_transpose(Xd)) / nb,
            "b1": xp.sum(G, axis=1) / nb,
            "W2": (D @ xp.matrix_transpose(Hd)) / nb,
            "b2": xp.sum(D, axis=1) / nb,
        }

    def _hvp(self, xp, P, V):
        Xd, Yd = self._samples(xp, P["W1"], None, Xtr=self.Xtr, Ytr=self.Ytr)
        nb = Xd.shape[1]
        Hd, logits, lse, prob = self._forward(xp, P, Xd)
        Sp = 1 - Hd * Hd
        dHd = Sp * (V["W1"] @ Xd + V["b1"][:, None])
        dl = V["W2"] @ Hd + P["W2"] @ dHd + V["b2"][:, None]
        dprob = prob * (dl - xp.sum(prob * dl, axis=0, keepdims=True))
        D = prob - Yd
        W2T = xp.matrix_transpose(P["W2"])
        G0 = W2T @ D
        dG = (xp.matrix_transpose(V["W2"]) @ D + W2T @ dprob) * Sp - 2 * G0 * Hd * dHd
        return {
            "W1": (dG @ xp.matrix_transpose(Xd)) / nb,
            "b1": xp.sum(dG, axis=1) / nb,
            "W2": (dprob @ xp.matrix_transpose(Hd) + D @ xp.matrix_transpose(dHd)) / nb,
            "b2": xp.sum(dprob, axis=1) / nb,
        }

    def _logits(self, xp, P, Xd):
        return self._forward(xp, P, Xd)[1]
