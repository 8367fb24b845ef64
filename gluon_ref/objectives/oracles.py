"""Stochastic gradient oracles with known variance (Assumption 2, docs/theory.md section 4).

An oracle separates drawing a sample from evaluating at it, so two gradients
can share one sample (momentum variance reduction, docs/theory.md section 10):

    xi = oracle.draw()                 # advances the seeded generator
    g  = oracle.grad(X, xi)            # dict of per-layer stochastic gradients
    g2 = oracle.grad(X_prev, xi)       # same sample, another point
    g  = oracle(X)                     # draw + grad

All randomness comes from one ``numpy.random.Generator`` seeded at
construction (:meth:`reset` restarts the sequence), and noise is drawn in
NumPy float64 and then moved to the point's namespace, so a seed gives the
same sequence on every backend.

The norm of Assumption 2 is uncertain (docs/theory.md section 4); both readings
are supported and documented per oracle:

(a) ``variance_norm="dual"``: per layer, ``E ||g_i - grad_i f||_(i)*^2 = sigma_i^2``;
(b) ``variance_norm="euclidean"``: ``E ||g - grad f||_2^2 = sigma^2`` over all
    layers (global ``sigma``), or per layer when ``sigma`` is a dict.  Then
    (a) holds with ``sigma_i <= kappa_i sigma`` where ``||G||_(i)* <= kappa_i
    ||G||_F`` (:func:`~.comparisons.norm_comparisons`, docs/norms.md section 5 item 7); see
    :meth:`NoiseOracle.dual_sigma_bounds`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from ..backend import asarray_like, frobenius_norm, to_numpy
from .comparisons import norm_comparisons
from .protocol import Objective

__all__ = ["MinibatchOracle", "NoiseOracle", "per_sample_gradients", "minibatch_variance"]


def _check_seed(seed):
    if isinstance(seed, np.random.Generator):
        raise TypeError("pass an integer seed (the oracle owns its Generator so reset() can replay it)")
    return seed


class _SeededOracle:
    """What both oracles share: an owned Generator that :meth:`reset` replays, and
    ``grad``/``__call__`` derived from the subclass's ``draw`` and ``value_and_grad``."""

    def __init__(self, seed: int):
        self.seed = _check_seed(seed)
        self.reset()

    def reset(self, seed: int | None = None) -> None:
        """Restart the sample sequence (from ``seed`` if given)."""
        if seed is not None:
            self.seed = _check_seed(seed)
        self._rng = np.random.default_rng(self.seed)

    def grad(self, X, sample=None) -> dict[str, Any]:
        """Stochastic gradient at ``sample`` (drawn if ``None``)."""
        return self.value_and_grad(X, sample)[1]

    def __call__(self, X) -> dict[str, Any]:
        return self.grad(X)


class MinibatchOracle(_SeededOracle):
    """Uniform minibatches without replacement from a finite-sum objective.

    ``draw()`` returns ``batch_size`` distinct indices in ``[0, N)`` drawn
    uniformly (``Generator.choice(N, b, replace=False)``); every index has
    inclusion probability ``b/N``, so the minibatch mean gradient is unbiased:
    ``E g_B = (1/N) sum_s grad f_s = grad f``.  Its Euclidean variance is
    exactly (sampling without replacement; Cochran, *Sampling Techniques*,
    chapter 2, variance of the sample mean)

        E ||g_B - grad f||_2^2 = (N - b) / (b (N - 1)) * (1/N) sum_s ||grad f_s - grad f||_2^2,

    computed by :func:`minibatch_variance`.  With ``replace=True`` indices are
    i.i.d. uniform and the factor is ``1/b``.
    """

    def __init__(self, objective: Objective, batch_size: int, seed: int = 0, replace: bool = False):
        if not isinstance(objective, Objective):
            raise TypeError(f"objective must be an Objective, got {type(objective).__name__}")
        if objective.n_samples is None:
            raise ValueError(f"objective {objective.name!r} is not a finite sum; use NoiseOracle")
        b = int(batch_size)
        if b != batch_size or b < 1 or (not replace and b > objective.n_samples):
            raise ValueError(
                f"batch_size must be an integer in [1, {objective.n_samples}], got {batch_size}"
            )
        self.objective = objective
        self.batch_size = b
        self.replace = bool(replace)
        super().__init__(seed)

    def draw(self) -> np.ndarray:
        """Next minibatch: sorted int64 indices."""
        idx = self._rng.choice(self.objective.n_samples, size=self.batch_size, replace=self.replace)
        return np.sort(idx).astype(np.int64)

    def value_and_grad(self, X, sample=None):
        """Minibatch mean ``(f_B(X), grad f_B(X))`` at ``sample`` (drawn if ``None``)."""
        sample = self.draw() if sample is None else sample
        return self.objective.value_and_grad(X, batch=sample)

    def variance(self, X, per_layer: bool = False):
        """Exact Euclidean variance of :meth:`grad` at ``X`` (class docstring formula)."""
        return minibatch_variance(self.objective, X, self.batch_size, self.replace, per_layer)


def per_sample_gradients(objective: Objective, X) -> list[dict[str, np.ndarray]]:
    """``[grad f_s(X) for s in range(N)]`` as NumPy dicts (one evaluation per sample)."""
    if objective.n_samples is None:
        raise ValueError(f"objective {objective.name!r} is not a finite sum")
    out = []
    for s in range(objective.n_samples):
        g = objective.grad(X, batch=np.array([s]))
        out.append({k: to_numpy(v).astype(np.float64) for k, v in g.items()})
    return out


def minibatch_variance(objective: Objective, X, batch_size: int, replace: bool = False,
                       per_layer: bool = False):
    """``E ||g_B - grad f||_2^2`` for uniform minibatches (see :class:`MinibatchOracle`)."""
    N = objective.n_samples
    gs = per_sample_gradients(objective, X)
    names = list(objective.layers)
    mean = {k: sum(g[k] for g in gs) / N for k in names}
    pop = {k: sum(float(np.sum((g[k] - mean[k]) ** 2)) for g in gs) / N for k in names}
    b = batch_size
    factor = 1.0 / b if replace else (N - b) / (b * (N - 1)) if N > 1 else 0.0
    per = {k: factor * v for k, v in pop.items()}
    return per if per_layer else sum(per.values())


@dataclass(frozen=True)
class NoiseSample:
    """Additive noise per layer (NumPy float64) and the base sample it rides on."""

    noise: Mapping[str, np.ndarray]
    base: Any = None


class NoiseOracle(_SeededOracle):
    """Exact (or base-oracle) gradient plus zero-mean noise of prescribed variance.

    ``variance_norm="dual"`` (reading (a)): ``xi_i = sigma_i (||U_i||_F / sqrt(d_i)) U_i / ||U_i||_(i)*``
    with ``U_i`` a standard Gaussian of the layer's shape (``d_i`` entries): a
    Gaussian direction rescaled so that ``||xi_i||_(i)* = sigma_i ||U_i||_F /
    sqrt(d_i)``, i.e. ``||xi_i||_*^2 ~ sigma_i^2 chi^2_{d_i} / d_i``.  Hence
    ``E ||xi_i||_(i)*^2 = sigma_i^2`` exactly, ``Var ||xi_i||_*^2 = 2 sigma_i^4 / d_i``,
    and ``E xi_i = 0`` because ``xi_i`` is an odd function of the symmetric ``U_i``.

    ``variance_norm="euclidean"`` (reading (b)): with a scalar ``sigma``,
    ``xi = sigma / sqrt(d) * U`` over all ``d`` coordinates of all layers, so
    ``E ||xi||_2^2 = sigma^2``; with a dict, ``xi_i = sigma_i / sqrt(d_i) U_i``
    per layer.  Gaussian, hence symmetric and unbiased.

    ``base`` may be another oracle (e.g. :class:`MinibatchOracle`); then the
    total variance is the sum of both (independent noise).  Reproducible from
    ``seed``.
    """

    MODES = ("dual", "euclidean")

    def __init__(self, objective: Objective, sigma, variance_norm: str = "dual", seed: int = 0,
                 base=None):
        if not isinstance(objective, Objective):
            raise TypeError(f"objective must be an Objective, got {type(objective).__name__}")
        if variance_norm not in self.MODES:
            raise ValueError(f"variance_norm must be one of {self.MODES}, got {variance_norm!r}")
        self.objective = objective
        self.variance_norm = variance_norm
        names = list(objective.layers)
        if isinstance(sigma, Mapping):
            missing = set(names) - set(sigma)
            extra = set(sigma) - set(names)
            if missing or extra:
                raise ValueError(f"sigma: missing layers {sorted(missing)}, unexpected {sorted(extra)}")
            sig = {k: float(sigma[k]) for k in names}
            self.global_sigma = None
        else:
            s = float(sigma)
            sig = {k: s for k in names}
            self.global_sigma = s if variance_norm == "euclidean" else None
        for k, v in sig.items():
            if not (math.isfinite(v) and v >= 0):
                raise ValueError(f"sigma for layer {k!r} must be finite and >= 0, got {v}")
        self.sigma = sig
        self.base = base
        super().__init__(seed)

    def reset(self, seed: int | None = None) -> None:
        """Restart the noise sequence (and the base oracle's) from ``seed`` or the original seed."""
        super().reset(seed)
        if self.base is not None and hasattr(self.base, "reset"):
            self.base.reset()

    def draw(self) -> NoiseSample:
        """Next noise sample (class docstring), with the base oracle's sample if any."""
        rng = self._rng
        layers = self.objective.layers
        noise = {}
        if self.variance_norm == "dual":
            for k, block in layers.items():
                U = rng.standard_normal(block.shape)
                dn = float(block.norm_obj.dual_norm(U))
                fro = float(frobenius_norm(U))
                noise[k] = (self.sigma[k] * fro / (math.sqrt(block.size) * dn)) * U
        elif self.global_sigma is not None:
            d = sum(block.size for block in layers.values())
            for k, block in layers.items():
                noise[k] = (self.global_sigma / math.sqrt(d)) * rng.standard_normal(block.shape)
        else:
            for k, block in layers.items():
                noise[k] = (self.sigma[k] / math.sqrt(block.size)) * rng.standard_normal(block.shape)
        base = self.base.draw() if self.base is not None else None
        return NoiseSample(noise, base)

    def value_and_grad(self, X, sample: NoiseSample | None = None):
        """``(value, gradient + noise)``; the value is the (base) objective's, without noise."""
        sample = self.draw() if sample is None else sample
        if self.base is not None:
            val, g = self.base.value_and_grad(X, sample.base)
        else:
            val, g = self.objective.value_and_grad(X)
        return val, {k: g[k] + asarray_like(sample.noise[k], g[k]) for k in g}

    def dual_sigma_bounds(self) -> dict[str, float]:
        """Per-layer ``sigma_i`` for reading (a) implied by this oracle's noise.

        Dual mode: ``sigma_i`` itself.  Euclidean mode:
        ``E||xi_i||_*^2 <= kappa_i^2 E||xi_i||_F^2`` with ``E||xi_i||_F^2 =
        sigma^2 d_i/d`` (global) or ``sigma_i^2`` (per layer).
        """
        if self.variance_norm == "dual":
            return dict(self.sigma)
        layers = self.objective.layers
        d = sum(s.size for s in layers.values())
        out = {}
        for k, block in layers.items():
            kappa, _ = norm_comparisons(block.norm, block.shape)
            ef = (self.global_sigma ** 2 * block.size / d) if self.global_sigma is not None \
                else self.sigma[k] ** 2
            out[k] = kappa * math.sqrt(ef)
        return out

    def expected_sq_norms(self) -> dict[str, float]:
        """``E ||xi_i||^2`` per layer in the oracle's own variance norm (the ground truth)."""
        layers = self.objective.layers
        if self.variance_norm == "dual":
            return {k: self.sigma[k] ** 2 for k in layers}
        if self.global_sigma is not None:
            d = sum(s.size for s in layers.values())
            return {k: self.global_sigma ** 2 * s.size / d for k, s in layers.items()}
        return {k: self.sigma[k] ** 2 for k in layers}
