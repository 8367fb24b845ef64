"""Reproducible smoothness experiments on the package's real-data models (issue 11).

Three questions from docs/theory.md section 8, asked of the digits MLP and the
digits CNN (:class:`~gluon_ref.objectives.DigitsMLP`,
:class:`~gluon_ref.objectives.DigitsCNN`), trained by unconstrained Scion
(uSCG, a Gluon special case; exact polar factors, so every step has length
exactly the radius ``t`` of its layer group):

* **fit** -- :func:`run`: a trajectory with its per-layer (L0, L1) fits, with
  minibatch and full-batch gradients (:mod:`.recorder` pairings);
* **stepsize claim** -- :func:`tune`: a grid search of constant radii per
  layer group (``body`` = hidden/conv weights and biases, ``head`` = the
  output layer, as the authors' two radius groups) for the lowest full-batch
  training loss after a fixed number of steps, to compare with the predicted
  ``1/L1``;
* **circularity** -- :func:`circularity`: the same run at radii scaled by
  ``factors`` and the slope of ``log(1/L1)`` against ``log t`` per layer.  A
  slope of 1 means the "prediction" returns the radius it was measured with
  (``lhat = c G / t`` exactly, :mod:`.estimator`); 0 would mean a property of
  the loss.

Every run is seeded (data split, initial point, minibatches), so a result is
a function of its arguments.  Runs execute with one BLAS thread
(:func:`~.threads.single_threaded`).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np

from .fit import LOWER, Fit
from .recorder import Recording, record_run
from .threads import single_threaded

__all__ = ["ModelSpec", "MODELS", "optimizer", "run", "tune", "circularity", "log_slope",
           "TuneResult", "CircularityResult"]


@dataclass(frozen=True)
class ModelSpec:
    """A model of the experiments: how to build it and how unScion treats its layers.

    ``roles`` maps layer names to optimizer roles (Scion's norm assignment),
    ``groups`` maps roles to the radius group (``"body"`` or ``"head"``);
    ``radii`` are the default radii per group; ``momentum`` is Scion's
    ``alpha`` for minibatch runs (full-batch runs use none, as the authors'
    full-batch CNN run); ``batch_size`` the minibatch size.
    """

    name: str
    make: Callable[[int], object]
    assignment: str
    roles: Mapping[str, str]
    groups: Mapping[str, str]
    radii: Mapping[str, float]
    momentum: float = 0.1
    batch_size: int = 128
    steps: int = 300
    description: str = ""

    def layer_groups(self) -> dict[str, str]:
        """``{layer: radius group}``."""
        return {layer: self.groups[role] for layer, role in self.roles.items()}


def _mlp(seed):
    from ..objectives import DigitsMLP

    return DigitsMLP(hidden=64, seed=seed)


def _cnn(seed):
    from ..objectives import DigitsCNN

    return DigitsCNN(channels=(4, 8), seed=seed)


#: The two real-data models.  Default radii: the best pair of the ``--full`` grid of
#: ``gluon-ref smoothness`` (seed 0); rerun ``tune`` to regenerate them.
MODELS: dict[str, ModelSpec] = {
    "digits_mlp": ModelSpec(
        "digits_mlp", _mlp, "llm",
        roles={"W1": "hidden", "b1": "bias", "W2": "output", "b2": "bias"},
        groups={"hidden": "body", "bias": "body", "output": "head"},
        radii={"body": 0.04, "head": 0.8}, steps=300,
        description="digits MLP 64-64-10 (tanh), hidden RMS->RMS, biases RMS, head Sign"),
    "digits_cnn": ModelSpec(
        "digits_cnn", _cnn, "cnn",
        roles={"conv1": "conv", "bias1": "bias", "conv2": "conv", "bias2": "bias", "head": "output"},
        groups={"conv": "body", "bias": "body", "output": "head"},
        radii={"body": 0.16, "head": 2.0}, steps=150,
        description="digits CNN conv(4)-conv(8)-avgpool-head (tanh), conv SpectralConv, "
                    "biases RMS, head Sign"),
}


def _spec(model: str | ModelSpec) -> ModelSpec:
    if isinstance(model, ModelSpec):
        return model
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; available: {', '.join(MODELS)}")
    return MODELS[model]


def _check_radii(spec: ModelSpec, radii: Mapping[str, float]) -> dict[str, float]:
    groups = set(spec.groups.values())
    if set(radii) != groups:
        raise ValueError(f"radii for {spec.name} need the groups {sorted(groups)}, got {sorted(radii)}")
    for g, t in radii.items():
        if not (math.isfinite(float(t)) and float(t) > 0):
            raise ValueError(f"radius of group {g!r} must be finite and > 0, got {t}")
    return {g: float(t) for g, t in radii.items()}


def optimizer(model: str | ModelSpec, radii: Mapping[str, float] | None = None,
              full_batch: bool = False):
    """Unconstrained Scion (uSCG) with exact polar factors and step length ``radii[group]``.

    Scion's step is ``p - lr * scale * s(d)`` with ``||s(d)|| = 1`` in the
    layer norm, so ``lr = 1`` and ``scale = t`` give step length ``t``.
    """
    from ..optim import Scion
    from ..polar import polar_exact

    spec = _spec(model)
    radii = _check_radii(spec, spec.radii if radii is None else radii)
    scales = {role: radii[group] for role, group in spec.groups.items()}
    return Scion(constrained=False, assignment=spec.assignment, lr=1.0,
                 momentum=1.0 if full_batch else spec.momentum, roles=dict(spec.roles),
                 scales=scales, orthogonalizer=polar_exact)


def run(model: str | ModelSpec, radii: Mapping[str, float] | None = None, *, steps: int | None = None,
        full_batch: bool = False, seed: int = 0, kinds: Sequence[str] = ("different",),
        every: int = 1, progress=None) -> Recording:
    """One recorded unScion run of ``model`` (module docstring); full-batch runs have no momentum."""
    spec = _spec(model)
    obj = spec.make(seed)
    with single_threaded():
        return record_run(obj, optimizer(spec, radii, full_batch), steps or spec.steps,
                          batch_size=None if full_batch else spec.batch_size, seed=seed,
                          kinds=("different",) if full_batch else kinds, every=every,
                          progress=progress)


def log_slope(x: Sequence[float], y: Sequence[float]) -> float:
    """Least-squares slope of ``log y`` against ``log x``."""
    lx, ly = np.log(np.asarray(x, dtype=float)), np.log(np.asarray(y, dtype=float))
    if lx.size < 2 or np.ptp(lx) == 0:
        raise ValueError("a slope needs at least two distinct x values")
    return float(np.polyfit(lx, ly, 1)[0])


@dataclass(frozen=True)
class CircularityResult:
    """Fitted ``1/L1`` per layer at each radius scale, and the log-log slopes.

    ``stepsizes[layer][j]`` is ``1/L1`` from the run at ``factors[j] *
    radii``; ``radius[layer][j]`` the step length of that layer in that run;
    ``slope[layer]`` the slope of ``log(1/L1)`` against ``log(radius)`` over the runs
    whose fitted ``L1`` is above its lower bound (nan when fewer than two are);
    ``fits[j][layer]`` the fits; ``final_loss[j]`` each run's final
    full-batch loss; ``noise_factor[layer][j]`` the median ``c``.
    """

    model: str
    factors: tuple[float, ...]
    radii: Mapping[str, float]
    full_batch: bool
    steps: int
    seed: int
    kind: str
    fits: tuple[Mapping[str, Fit], ...]
    radius: Mapping[str, tuple[float, ...]]
    stepsizes: Mapping[str, tuple[float, ...]]
    noise_factor: Mapping[str, tuple[float, ...]]
    slope: Mapping[str, float]
    final_loss: tuple[float, ...]


def circularity(model: str | ModelSpec, radii: Mapping[str, float] | None = None, *,
                factors: Sequence[float] = (0.25, 0.5, 1.0, 2.0, 4.0), steps: int | None = None,
                full_batch: bool = False, seed: int = 0, kind: str = "different",
                start: int | float = 0, progress=None) -> CircularityResult:
    """Rerun ``model`` at ``factors * radii`` and fit each run (module docstring).

    ``kind`` is the gradient pairing whose fit gives ``1/L1`` (the authors':
    ``"different"``); ``start`` drops early pairs from the fits.
    """
    spec = _spec(model)
    base = _check_radii(spec, spec.radii if radii is None else radii)
    fits, losses, recs = [], [], []
    for j, f in enumerate(factors):
        rec = run(spec, {g: f * t for g, t in base.items()}, steps=steps, full_batch=full_batch,
                  seed=seed, kinds=(kind,))
        tr = rec.traces["different" if full_batch else kind]
        fits.append(tr.fits(start))
        losses.append(rec.final_loss)
        recs.append(tr)
        if progress is not None:
            progress(j + 1, len(factors))
    layers = list(fits[0])
    radius = {n: tuple(float(np.median(tr.step[n])) for tr in recs) for n in layers}
    step = {n: tuple(fs[n].stepsize for fs in fits) for n in layers}
    c = {n: tuple(float(np.nanmedian(tr.noise_factor(n, start))) for tr in recs) for n in layers}
    slope = {}
    for n in layers:
        # a fit with L1 at its lower bound is an L0-only envelope: 1/L1 = 1e6 says nothing
        ok = [j for j, fs in enumerate(fits) if fs[n].L1 > 10 * LOWER]
        slope[n] = (log_slope([radius[n][j] for j in ok], [step[n][j] for j in ok])
                    if len({radius[n][j] for j in ok}) >= 2 else math.nan)
    return CircularityResult(spec.name, tuple(float(f) for f in factors), base, full_batch,
                             steps or spec.steps, seed, kind, tuple(fits), radius, step, c, slope,
                             tuple(losses))


@dataclass(frozen=True)
class TuneResult:
    """Final full-batch training loss on a grid of (body, head) radii; ``best`` the argmin."""

    model: str
    body: tuple[float, ...]
    head: tuple[float, ...]
    loss: np.ndarray = field(repr=False)        # (len(body), len(head))
    steps: int
    seed: int
    full_batch: bool

    @property
    def best(self) -> dict[str, float]:
        i, j = np.unravel_index(int(np.nanargmin(self.loss)), self.loss.shape)
        return {"body": self.body[i], "head": self.head[j]}


def tune(model: str | ModelSpec, body: Sequence[float], head: Sequence[float], *,
         steps: int | None = None, full_batch: bool = False, seed: int = 0,
         progress=None) -> TuneResult:
    """Grid search of constant radii per group: final full-batch loss after ``steps`` steps.

    A run whose loss overflows or turns non-finite counts as ``nan`` (never best).
    """
    spec = _spec(model)
    grid = np.full((len(body), len(head)), np.nan)
    pairs = list(itertools.product(range(len(body)), range(len(head))))
    for n, (i, j) in enumerate(pairs):
        try:
            rec = run(spec, {"body": body[i], "head": head[j]}, steps=steps, full_batch=full_batch,
                      seed=seed)
            grid[i, j] = rec.final_loss
        except ValueError:  # non-finite loss or gradient: a diverged run
            pass
        if progress is not None:
            progress(n + 1, len(pairs))
    return TuneResult(spec.name, tuple(map(float, body)), tuple(map(float, head)), grid,
                      steps or spec.steps, seed, full_batch)
