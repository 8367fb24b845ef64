"""Record layer-wise smoothness estimates along any optimizer run of the suite.

:func:`record_run` drives an optimizer (anything with ``init(params)`` and
``step(params, grads, state) -> (params, state)``) on a layered objective
from :mod:`gluon_ref.objectives`, and at every measured pair of consecutive
iterates ``(X^k, X^{k+1})`` evaluates Eq. 10 (:mod:`.estimator`) with up to
three gradient pairings (docs/theory.md section 8):

``"different"``  ``g = grad f_{xi^k}(X^k)``, ``g' = grad f_{xi^{k+1}}(X^{k+1})``: the
                 gradients the optimizer used, each on its own minibatch (the
                 authors' estimator; free);
``"same"``       ``g' = grad f_{xi^k}(X^{k+1})``: the old minibatch at the new
                 iterate (one extra gradient per pair);
``"full"``       full-batch gradients at both iterates (two extra per pair, one
                 when consecutive pairs share an iterate).

With ``batch_size=None`` the optimizer itself takes full-batch steps and all
three pairings coincide.  Pairs are ``(k, k+1)`` for ``k = every - 1,
2 every - 1, ...`` (the authors measured NanoGPT at ``(50 j - 1, 50 j)``).

This module is the one place where the smoothness code touches the optimizer
and objective interfaces (``init``/``step``, the objective's starting point,
``value_and_grad`` and its layers' norms).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..norms import Norm
from .estimator import estimate_layers
from .fit import LAMBDA, Fit, fit_l0l1

__all__ = ["KINDS", "Trace", "Recording", "record_run", "starting_point", "layer_norms"]

KINDS = ("different", "same", "full")


@dataclass(frozen=True)
class Trace:
    """Estimates of one gradient pairing: per layer, arrays over the measured pairs.

    ``k[j]`` is the index of the newer iterate of pair ``j``; ``lhat``,
    ``gnorm``, ``step`` and ``diff`` map a layer to arrays (see
    :class:`~.estimator.PairEstimate`).
    """

    kind: str
    k: np.ndarray
    lhat: Mapping[str, np.ndarray]
    gnorm: Mapping[str, np.ndarray]
    step: Mapping[str, np.ndarray]
    diff: Mapping[str, np.ndarray]

    @property
    def layers(self) -> list[str]:
        return list(self.lhat)

    def _select(self, start: int | float):
        """Pairs from index ``start`` (int) or from the fraction ``start`` of the run (float)."""
        if isinstance(start, float):
            if not 0 <= start < 1:
                raise ValueError(f"a fractional start must lie in [0, 1), got {start}")
            start = int(math.floor(start * self.k.size))
        if not 0 <= start <= self.k.size - 2:
            raise ValueError(f"start = {start} leaves fewer than 2 of {self.k.size} pairs to fit")
        return slice(start, None)

    def fit(self, layer: str, start: int | float = 0, lam: float = LAMBDA) -> Fit:
        """(L0, L1) fit of one layer over the pairs from ``start`` on (:func:`~.fit.fit_l0l1`)."""
        if layer not in self.lhat:
            raise KeyError(f"no layer {layer!r}; layers are {self.layers}")
        s = self._select(start)
        return fit_l0l1(self.lhat[layer][s], self.gnorm[layer][s], lam)

    def fits(self, start: int | float = 0, lam: float = LAMBDA) -> dict[str, Fit]:
        return {name: self.fit(name, start, lam) for name in self.lhat}

    def noise_factor(self, layer: str, start: int | float = 0) -> np.ndarray:
        """``c_k = ||g' - g||_* / ||g'||_*`` per pair (:mod:`.estimator`); nan where ``g' = 0``."""
        s = self._select(start)
        d, g = self.diff[layer][s], self.gnorm[layer][s]
        return np.divide(d, g, out=np.full(d.shape, np.nan), where=g > 0)


@dataclass(frozen=True)
class Recording:
    """What :func:`record_run` returns: one :class:`Trace` per pairing, the loss curve
    (the optimizer's own minibatch or full-batch loss at every step), the full-batch loss
    at the last iterate, and the last iterate."""

    traces: Mapping[str, Trace]
    losses: np.ndarray
    final_loss: float
    final_point: Mapping[str, Any] = field(repr=False)


def layer_norms(objective) -> dict[str, Norm]:
    """``{layer: Norm}`` the objective poses each layer in."""
    return {name: spec.norm_obj for name, spec in objective.layers.items()}


def starting_point(objective, seed: int):
    """The objective's reproducible starting point for ``seed``."""
    return objective.initial_point(seed)


def record_run(objective, optimizer, steps: int, *, batch_size: int | None = None, seed: int = 0,
               kinds: Sequence[str] = ("different",), every: int = 1,
               norms: Mapping[str, Norm] | None = None,
               orthogonalizer: str | Callable | None = None,
               X0: Mapping[str, Any] | None = None,
               progress: Callable[[int, int], None] | None = None) -> Recording:
    """Run ``optimizer`` for ``steps`` steps on ``objective`` and record Eq. 10 (module docstring).

    ``batch_size=None``: full-batch steps; otherwise uniform minibatches from
    :class:`~gluon_ref.objectives.MinibatchOracle` seeded with ``seed`` (the
    starting point uses ``seed`` too unless ``X0`` is given).  ``norms``
    overrides the objective's layer norms in the estimate; ``orthogonalizer``
    computes dual norms as the authors did (:func:`~.estimator.dual_norm`).
    ``progress(step, steps)`` is called after every step.
    """
    from ..objectives import MinibatchOracle

    if int(steps) != steps or steps < 2:
        raise ValueError(f"steps must be an integer >= 2, got {steps}")
    if int(every) != every or every < 1:
        raise ValueError(f"every must be a positive integer, got {every}")
    kinds = tuple(kinds)
    bad = [k for k in kinds if k not in KINDS]
    if bad or not kinds:
        raise ValueError(f"kinds must be a non-empty subset of {KINDS}, got {kinds}")
    norms = dict(norms) if norms is not None else layer_norms(objective)
    oracle = None if batch_size is None else MinibatchOracle(objective, batch_size, seed=seed)
    X = dict(starting_point(objective, seed) if X0 is None else X0)
    state = optimizer.init(X)

    def stochastic(point, sample):
        return objective.value_and_grad(point, sample) if oracle is None else oracle.value_and_grad(point, sample)

    sample = None if oracle is None else oracle.draw()
    loss, g = stochastic(X, sample)
    losses = [loss]
    rec = {kind: {"k": [], "lhat": {}, "gnorm": {}, "step": {}, "diff": {}} for kind in kinds}
    full_cache: tuple[int, dict] | None = None

    def full_grad(k, point):
        nonlocal full_cache
        if oracle is None:
            raise AssertionError  # pragma: no cover - full-batch runs reuse g
        if full_cache is not None and full_cache[0] == k:
            return full_cache[1]
        gk = objective.grad(point)
        full_cache = (k, gk)
        return gk

    for k in range(int(steps)):
        X_new, state = optimizer.step(X, g, state)
        sample_new = None if oracle is None else oracle.draw()
        loss_new, g_new = stochastic(X_new, sample_new)
        losses.append(loss_new)
        if (k + 1) % every == 0:
            for kind in kinds:
                if kind == "different" or oracle is None:
                    go, gn = g, g_new
                elif kind == "same":
                    go, gn = g, objective.grad(X_new, batch=sample)
                else:
                    go, gn = full_grad(k, X), full_grad(k + 1, X_new)
                est = estimate_layers(norms, X, X_new, go, gn, orthogonalizer)
                r = rec[kind]
                r["k"].append(k + 1)
                for name, e in est.items():
                    for field_name in ("lhat", "gnorm", "step", "diff"):
                        r[field_name].setdefault(name, []).append(getattr(e, field_name))
        X, g, sample = X_new, g_new, sample_new
        if progress is not None:
            progress(k + 1, int(steps))
    traces = {kind: Trace(kind, np.asarray(r["k"], dtype=np.int64),
                          **{f: {n: np.asarray(v) for n, v in r[f].items()}
                             for f in ("lhat", "gnorm", "step", "diff")})
              for kind, r in rec.items()}
    final = objective.value(X)
    return Recording(traces, np.asarray(losses), float(final), X)
