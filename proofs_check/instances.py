"""Extremal and special-case objectives of the verification layer (issue 10.2, 10.4, 10.5).

Small separable objectives, each with a closed-form property a claim needs, written against
the minimal layered-objective interface the instrumented runs use (``layers[name]`` with
``shape``, ``norm`` and ``norm_obj``; ``value``, ``grad``, ``value_and_grad``; ``optimum``,
``lower_bound``, ``n_samples``; ``constants`` as ``name -> (L0, L1)``):

* :class:`TightQuadratic` ``f(X) = sum_i (L_i/2) ||X_i||_F^2`` in the Frobenius norm:
  ``||grad_i f(X) - grad_i f(Y)||_F = L_i ||X_i - Y_i||_F`` exactly, so Assumption 1 and
  Lemma D hold with *equality* (``L0_i = L_i``, ``L1_i = 0``), and one Gluon step with
  ``t_i = g_i/L_i`` lands on the minimiser: the one-step decrease, the decrease sum
  ``D_0 = 2 Delta0`` and the L1 = 0 rate at ``K = 1`` are all attained.
* :class:`ExpRidge` ``f(X) = sum_i exp(<A_i, X_i>)``, ``a_i = ||A_i||_*``: ``L0 = 0`` and, on
  ``||Y_i - X_i|| <= R_i = 1/a_i``, ``||grad_i f(Y) - grad_i f(X)||_* = g_i |e^s - 1|`` with
  ``|s| <= a_i ||Y_i - X_i||``, hence ``<= g_i (e - 1) a_i ||Y_i - X_i||``:
  ``L1_i = (e - 1) a_i`` (docs/theory.md section 6, the L0 = 0 case; the same scalar fact as
  the cosh ridge of :mod:`gluon_ref.objectives`).  ``inf f = 0`` (not attained).  Theorem 1's
  radius ``1/L1_i = R_i/(e - 1) < R_i`` keeps every step inside the region.
* :class:`CosineField` ``f(X) = sum_i sum_j (1 - cos X_ij)``: non-convex, ``inf f = 0``,
  ``|cos'' | <= 1`` entrywise, for the stochastic Theorem 2 runs.

Sources: docs/theory.md sections 4-7; Gluon, arXiv 2505.13416.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from gluon_ref.norms import get_norm

__all__ = ["TightQuadratic", "ExpRidge", "CosineField"]


@dataclass(frozen=True)
class _Block:
    shape: tuple[int, ...]
    norm: str

    @property
    def norm_obj(self):
        return get_norm(self.norm)


class _Separable:
    """Common plumbing: a sum of per-layer terms ``value_i(X_i)`` with gradients."""

    n_samples = None
    optimum: float | None = None
    lower_bound: float | None = None

    def __init__(self, blocks: Mapping[str, _Block]):
        self.layers = dict(blocks)

    def _term(self, name: str, x: np.ndarray) -> tuple[float, np.ndarray]:
        raise NotImplementedError

    def value_and_grad(self, X, batch=None):
        out = {n: self._term(n, np.asarray(X[n], dtype=float)) for n in self.layers}
        return math.fsum(v for v, _ in out.values()), {n: g for n, (_, g) in out.items()}

    def value(self, X) -> float:
        return self.value_and_grad(X)[0]

    def grad(self, X) -> dict:
        return self.value_and_grad(X)[1]


class TightQuadratic(_Separable):
    """``f(X) = sum_i (L_i/2) ||X_i||_F^2`` (Frobenius): Assumption 1 and Lemma D are equalities."""

    optimum = 0.0
    lower_bound = 0.0

    def __init__(self, curvatures: Mapping[str, float], shapes: Mapping[str, tuple[int, ...]]):
        super().__init__({n: _Block(tuple(shapes[n]), "frobenius") for n in curvatures})
        self.curvature = {n: float(c) for n, c in curvatures.items()}
        self.constants = {n: (c, 0.0) for n, c in self.curvature.items()}

    @classmethod
    def sample(cls, rng, shapes: Mapping[str, tuple[int, ...]]) -> "TightQuadratic":
        """Curvatures drawn log-uniform in [0.1, 10] (one ``rng.uniform`` per block, in the
        order of ``shapes``), so the blocks span two decades of conditioning."""
        return cls({n: float(10.0 ** rng.uniform(-1, 1)) for n in shapes}, shapes)

    def _term(self, name, x):
        c = self.curvature[name]
        return 0.5 * c * float(np.sum(x * x)), c * x


class ExpRidge(_Separable):
    """``f(X) = sum_i exp(<A_i, X_i>)`` with ``L0 = 0``, ``L1_i = (e - 1) ||A_i||_*`` on
    ``||Y_i - X_i|| <= 1/||A_i||_*`` (module docstring)."""

    optimum = None
    lower_bound = 0.0

    def __init__(self, directions: Mapping[str, np.ndarray], norms: Mapping[str, str]):
        super().__init__({n: _Block(tuple(np.shape(a)), norms[n]) for n, a in directions.items()})
        self.direction = {n: np.asarray(a, dtype=float) for n, a in directions.items()}
        self.a = {n: float(self.layers[n].norm_obj.dual_norm(a)) for n, a in self.direction.items()}
        self.constants = {n: (0.0, (math.e - 1.0) * a) for n, a in self.a.items()}
        self.radius = {n: 1.0 / a for n, a in self.a.items()}

    def _term(self, name, x):
        e = math.exp(float(np.sum(self.direction[name] * x)))
        return e, e * self.direction[name]


class CosineField(_Separable):
    """``f(X) = sum_i sum_j (1 - cos X_ij)`` (non-convex, ``inf f = 0``)."""

    optimum = 0.0
    lower_bound = 0.0

    def __init__(self, shapes: Mapping[str, tuple[int, ...]], norm: str = "linf"):
        super().__init__({n: _Block(tuple(s), norm) for n, s in shapes.items()})

    def _term(self, name, x):
        return float(np.sum(1.0 - np.cos(x))), np.sin(x)
