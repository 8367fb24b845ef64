"""A small CNN on sklearn's digits with the Gluon/Scion CNN norm assignment.

The model mirrors, in miniature, the CIFAR-10 CNN whose layer-wise smoothness
the Gluon authors measured (docs/theory.md section 8): convolution kernels in the
SpectralConv norm, biases in BiasRMS, the head in normalized Sign
(:data:`gluon_ref.optim.ROLE_NORM_RULES` ``"scion_cnn"``).  Data and the
train/test split are those of :class:`~.digits.DigitsMLP` (8 x 8 images, one
channel, ``pixel/16`` centred by the training mean).

Model (PyTorch layout; "same" 3 x 3 convolutions with stride 1 and zero
padding, images of ``P = 64`` positions):

    H1 = tanh(conv(x, K1) + b1)           K1: (c1, 1, 3, 3),  b1: (c1,)
    H2 = tanh(conv(H1, K2) + b2)          K2: (c2, c1, 3, 3), b2: (c2,)
    z  = vec(avgpool_2x2(H2))             z in R^{16 c2}, ordered (position, channel)
    logits = W z,   f = mean_s [logsumexp(logits_s) - logits_s[y_s]]     W: (10, 16 c2)

The head has no bias, as the authors' CNN.  A convolution is a matrix product
with the patch matrix (im2col): ``conv(A, K)[o, p] = sum_{c, t} K[o, c, t]
A[c, p + off(t)]`` (zero outside the image), so with ``D = dL/dconv``:

* ``dL/dK[o, c, t] = sum_p D[o, p] A[c, p + off(t)]`` (patch matrix transposed);
* ``dL/dA[c, q] = sum_{o, t} K[o, c, t] D[o, q - off(t)]``: the same "same"
  convolution of ``D`` with the kernel transposed in its channels and flipped
  in space (``off(flip(t)) = -off(t)``), so one gather map serves both.

Every operation is an Array-API call (``take``, ``matmul``, ``reshape``,
``permute_dims``), so NumPy, array-api-strict and CuPy run the same lines.
Gradients are checked against central differences in the tests.  No
smoothness constants are claimed (non-separable; use
:mod:`gluon_ref.smoothness`).  Lower bound 0 (cross-entropy).

Source: scikit-learn ``load_digits``; architecture chosen here (two conv
layers, tanh so that finite-difference checks see a smooth function).
"""

from __future__ import annotations

import numpy as np

from .digits import _DigitsClassifier, split_digits
from .protocol import Block

__all__ = ["DigitsCNN"]

_SIDE = 8
_P = _SIDE * _SIDE
_OFFSETS = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]  # PyTorch kernel order (ky, kx)


def _gather_map() -> np.ndarray:
    """Index map ``(64 * 9,)`` into the 65 positions of an image with a trailing zero position:
    entry ``p * 9 + t`` is ``p + off(t)``, or 64 (the zero position) outside the image."""
    out = np.full((_P, 9), _P, dtype=np.int64)
    for p in range(_P):
        y, x = divmod(p, _SIDE)
        for t, (dy, dx) in enumerate(_OFFSETS):
            yy, xx = y + dy, x + dx
            if 0 <= yy < _SIDE and 0 <= xx < _SIDE:
                out[p, t] = yy * _SIDE + xx
    return out.reshape(-1)


def _pool_matrix() -> np.ndarray:
    """``(16, 64)`` 2 x 2 average pooling of an 8 x 8 image (row-major positions)."""
    out = np.zeros((16, _P))
    for p in range(_P):
        y, x = divmod(p, _SIDE)
        out[(y // 2) * 4 + x // 2, p] = 0.25
    return out


_GATHER = _gather_map()
_POOL = _pool_matrix()


class DigitsCNN(_DigitsClassifier):
    """Two-layer tanh CNN with an average-pooled linear head on sklearn digits (module docstring).

    ``channels = (c1, c2)``; ``test_fraction`` and ``seed`` as
    :class:`~.digits.DigitsMLP` (same split for the same seed); ``train_size``
    keeps only the first that many training images (the split is a seeded
    permutation, so they are a random subset), for cheap full-batch checks.
    Layers ``conv1, bias1, conv2, bias2, head``.  ``n_samples`` is the
    training-set size; ``batch`` indexes it.  ``initial_point``: kernels ``N(0, 1/fan_in)``
    (``fan_in = c_in * 9``), head ``N(0, 1/(16 c2))``, zero biases.
    """

    _class_axis = 1                                                # logits are (B, 10)
    hvp_exact = False
    separable = False

    def __init__(self, channels: tuple[int, int] = (6, 12), test_fraction: float = 0.2,
                 seed: int = 0, norms=("spectral_conv", "rms", "sign"), n_classes: int = 10,
                 train_size: int | None = None):
        super().__init__()
        c1, c2 = (int(c) for c in channels)
        if c1 < 1 or c2 < 1 or (c1, c2) != tuple(channels):
            raise ValueError(f"channels must be two positive integers, got {channels!r}")
        self.seed = seed
        self.channels = (c1, c2)
        self.Xtr, self.Xte, self.ytr, self.yte = split_digits(seed, test_fraction)
        if train_size is not None:
            if int(train_size) != train_size or not 1 <= train_size <= self.Xtr.shape[1]:
                raise ValueError(f"train_size must be an integer in [1, {self.Xtr.shape[1]}], "
                                 f"got {train_size!r}")
            self.Xtr, self.ytr = self.Xtr[:, :train_size].copy(), self.ytr[:train_size].copy()
        self.Ytr = np.eye(n_classes)[self.ytr].T.copy()
        self.n_samples = self.Xtr.shape[1]
        self.name = "digits_cnn"
        conv, bias, head = norms
        self._set_layers({
            "conv1": Block((c1, 1, 3, 3), conv),
            "bias1": Block((c1,), bias),
            "conv2": Block((c2, c1, 3, 3), conv),
            "bias2": Block((c2,), bias),
            "head": Block((n_classes, 16 * c2), head),
        })
        self.lower_bound = 0.0
        self.source = "digits_cnn.py; sklearn load_digits"

    # -- building blocks ------------------------------------------------------------
    # Activations are channels-last, (B, 64, C), so the patch gather and the products need no
    # transposed copies of the large arrays.
    def _patches(self, xp, A):
        """``A`` of shape ``(B, 64, C)`` -> patch matrix ``(B * 64, 9 * C)`` (columns ``t * C + c``)."""
        B, _, C = A.shape
        zero = xp.zeros((B, 1, C), dtype=A.dtype, device=getattr(A, "device", None))
        padded = xp.concat([A, zero], axis=1)                       # (B, 65, C)
        idx = self._data_int(xp, A, "gather", _GATHER)
        return xp.reshape(xp.take(padded, idx, axis=1), (B * _P, 9 * C))

    def _data_int(self, xp, like, key, array):
        ck = (id(xp), str(getattr(like, "device", "")), key)
        hit = self._cache.get(ck)
        if hit is None:
            hit = xp.asarray(array, device=getattr(like, "device", None))
            self._cache[ck] = hit
        return hit

    @staticmethod
    def _kernel_matrix(xp, K):
        """``K[o, c, ky, kx]`` as the ``(9 C, O)`` matrix with rows ``t * C + c``."""
        o, c = K.shape[0], K.shape[1]
        return xp.reshape(xp.permute_dims(xp.reshape(K, (o, c, 9)), (2, 1, 0)), (9 * c, o))

    @staticmethod
    def _flipped_kernel_matrix(xp, K):
        """The input-gradient kernel ``K'[c, o, t] = K[o, c, 8 - t]`` as a ``(9 O, C)`` matrix
        (rows ``t * O + o``): taps are row-major ``(ky, kx)``, so reversing them flips both axes."""
        o, c = K.shape[0], K.shape[1]
        Kt = xp.flip(xp.permute_dims(xp.reshape(K, (o, c, 9)), (2, 0, 1)), axis=0)   # (9, O, C)
        return xp.reshape(Kt, (9 * o, c))

    def _forward(self, xp, P, Xd):
        B = Xd.shape[1]
        c1, c2 = self.channels
        X0 = xp.reshape(xp.matrix_transpose(Xd), (B, _P, 1))
        cols1 = self._patches(xp, X0)
        H1 = xp.tanh(xp.reshape(cols1 @ self._kernel_matrix(xp, P["conv1"]), (B, _P, c1))
                     + P["bias1"])
        cols2 = self._patches(xp, H1)
        H2 = xp.tanh(xp.reshape(cols2 @ self._kernel_matrix(xp, P["conv2"]), (B, _P, c2))
                     + P["bias2"])
        pool = self._data(xp, Xd, "pool", _POOL)
        Z = xp.reshape(pool @ H2, (B, 16 * c2))                    # features ordered (position, channel)
        logits = Z @ xp.matrix_transpose(P["head"])                # (B, 10)
        mx = xp.max(logits, axis=1, keepdims=True)
        ex = xp.exp(logits - mx)
        se = xp.sum(ex, axis=1, keepdims=True)
        return dict(cols1=cols1, H1=H1, cols2=cols2, H2=H2, Z=Z, pool=pool, logits=logits,
                    lse=mx + xp.log(se), prob=ex / se)

    def _value_and_grad(self, xp, P, batch):
        Xd, Yd = self._samples(xp, P["head"], batch, Xtr=self.Xtr, Ytr=self.Ytr)
        B = Xd.shape[1]
        c1, c2 = self.channels
        Y = xp.matrix_transpose(Yd)                                # (B, 10)
        F = self._forward(xp, P, Xd)
        val = (xp.sum(F["lse"]) - xp.sum(F["logits"] * Y)) / B
        D = (F["prob"] - Y) / B                                    # dL/dlogits
        g_head = xp.matrix_transpose(D) @ F["Z"]
        dZ = xp.reshape(D @ P["head"], (B, 16, c2))
        dH2 = xp.matrix_transpose(F["pool"]) @ dZ                  # (B, 64, c2)
        dA2 = dH2 * (1 - F["H2"] * F["H2"])
        dA2m = xp.reshape(dA2, (B * _P, c2))
        g_conv2 = self._kernel_grad(xp, F["cols2"], dA2m, c2, c1)
        g_bias2 = xp.sum(dA2m, axis=0)
        dH1 = xp.reshape(self._patches(xp, dA2) @ self._flipped_kernel_matrix(xp, P["conv2"]),
                         (B, _P, c1))
        dA1m = xp.reshape(dH1 * (1 - F["H1"] * F["H1"]), (B * _P, c1))
        g_conv1 = self._kernel_grad(xp, F["cols1"], dA1m, c1, 1)
        g_bias1 = xp.sum(dA1m, axis=0)
        return val, {"conv1": g_conv1, "bias1": g_bias1, "conv2": g_conv2, "bias2": g_bias2,
                     "head": g_head}

    @staticmethod
    def _kernel_grad(xp, cols, D, o, c):
        """``dL/dK[o, c, t] = sum_{b, p} D[(b, p), o] cols[(b, p), t * C + c]`` back in (O, C, 3, 3)."""
        g = xp.matrix_transpose(cols) @ D                          # (9 C, O), rows t * C + c
        return xp.reshape(xp.permute_dims(xp.reshape(g, (9, c, o)), (2, 1, 0)), (o, c, 3, 3))

    def _logits(self, xp, P, Xd):
        return self._forward(xp, P, Xd)["logits"]
