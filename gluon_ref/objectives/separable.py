"""Layer-separable objectives ``f(X) = sum_i f_i(X_i)`` assembled from per-layer terms.

A :class:`LayerTerm` is one ``f_i`` on one block: its value and gradient, its
Hessian-vector product, its proved constants (:class:`~.constants.LayerConstants`)
and its lower bound / optimum.  :class:`SeparableObjective` sums terms; it is
the family on which Assumption 1 (docs/theory.md section 4) can hold literally,
because ``grad_i f`` depends on ``X_i`` only.

Finite-sum terms (least squares, GLMs) share one sample index set: a
minibatch ``batch`` selects the same samples in every finite-sum layer (one
sample ``xi`` shared by all layers, Algorithm 1 of docs/theory.md section 3);
deterministic terms ignore it.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..norms import get_norm
from .constants import LayerConstants
from .datacache import DataCache
from .protocol import Block, Objective, to_namespace

__all__ = ["LayerTerm", "SeparableObjective"]


class LayerTerm(DataCache):
    """One separable term ``f_i`` on a block of ``shape`` posed in ``norm``.

    Subclasses set ``shape``, ``norm``, ``constants`` (proved, see their
    docstrings), ``lower_bound``/``optimum`` and implement
    ``value_grad(xp, x, batch)`` and ``hvp(xp, x, v, batch)``.
    """

    kind: str = "term"
    n_samples: int | None = None
    lower_bound: float | None = None
    optimum: float | None = None
    center: np.ndarray | None = None  # a minimiser, when known
    _cache_limit = 64

    def __init__(self, shape, norm: str):
        self.block = Block(tuple(shape), norm)
        self.shape = self.block.shape
        self.norm = norm
        self.norm_obj = get_norm(norm)
        self._cache: dict[tuple, Any] = {}

    @property
    def constants(self) -> LayerConstants:  # pragma: no cover - interface
        """Proved Assumption 1 constants of this term (derivation in the subclass docstring)."""
        raise NotImplementedError

    def value_grad(self, xp, x, batch=None):  # pragma: no cover - interface
        """``(f_i(x), grad f_i(x))`` in ``x``'s namespace (minibatch mean when ``batch`` is given)."""
        raise NotImplementedError

    def hvp(self, xp, x, v, batch=None):  # pragma: no cover - interface
        """``H_ii(x) v``."""
        raise NotImplementedError

    def check_domain(self, xp, x, name: str) -> None:
        """Raise :class:`~.protocol.DomainError` naming the layer if needed."""

    def describe(self) -> str:
        """One-line description for tables."""
        return f"{self.kind} on {self.shape} in {self.norm}"


class SeparableObjective(Objective):
    """``f(X) = sum_i f_i(X_i)`` over named :class:`LayerTerm` s.

    ``constants`` are the terms' constants: for a separable ``f``,
    ``grad_i f(X) = grad f_i(X_i)``, so Assumption 1 for layer ``i`` is a
    statement about ``f_i`` alone.  ``lower_bound`` and ``optimum`` are the
    sums of the terms' (``None`` if any is unknown).
    """

    separable = True
    hvp_exact = True

    def __init__(self, terms: Mapping[str, LayerTerm], name: str = "separable", source: str = ""):
        super().__init__()
        if not terms:
            raise ValueError("a separable objective needs at least one term")
        for k, t in terms.items():
            if not isinstance(t, LayerTerm):
                raise TypeError(f"layer {k!r}: expected a LayerTerm, got {type(t).__name__}")
        self.terms = dict(terms)
        self.name = name
        self.source = source
        self._set_layers({k: t.block for k, t in self.terms.items()})
        counts = {t.n_samples for t in self.terms.values() if t.n_samples is not None}
        if len(counts) > 1:
            raise ValueError(
                f"finite-sum terms must share one sample count, got {sorted(counts)}"
            )
        self.n_samples = counts.pop() if counts else None
        lbs = [t.lower_bound for t in self.terms.values()]
        self.lower_bound = None if any(v is None for v in lbs) else float(sum(lbs))
        opts = [t.optimum for t in self.terms.values()]
        self.optimum = None if any(v is None for v in opts) else float(sum(opts))

    @property
    def constants(self) -> dict[str, LayerConstants]:
        """``{layer: term constants}`` (separable: Assumption 1 per term)."""
        return {k: t.constants for k, t in self.terms.items()}

    def minimizer(self, xp=np, dtype=None) -> dict[str, Any] | None:
        """A minimiser when every term knows one, else ``None``."""
        if any(t.center is None for t in self.terms.values()):
            return None
        return to_namespace({k: t.center for k, t in self.terms.items()}, xp, dtype)

    def _check_domain(self, xp, X):
        for k, t in self.terms.items():
            t.check_domain(xp, X[k], k)

    def _value_and_grad(self, xp, X, batch):
        total = None
        grads = {}
        for k, t in self.terms.items():
            v, g = t.value_grad(xp, X[k], batch if t.n_samples is not None else None)
            total = v if total is None else total + v
            grads[k] = g
        return total, grads

    def _hvp(self, xp, X, V):
        return {k: t.hvp(xp, X[k], V[k]) for k, t in self.terms.items()}

    def sample_point(self, rng, scale: float = 1.0, xp=np, dtype=None):
        """Random point ``center + scale * N(0,1)/sqrt(fan_in)`` per layer (center 0 if unknown)."""
        pt = super().sample_point(rng, scale, np, None)
        for k, t in self.terms.items():
            if t.center is not None:
                pt[k] = pt[k] + t.center
        return to_namespace(pt, xp, dtype)

    def describe(self) -> dict[str, str]:
        """``{layer: term description}``."""
        return {k: t.describe() for k, t in self.terms.items()}

    def __repr__(self) -> str:
        return f"<SeparableObjective {self.name!r} " + ", ".join(
            f"{k}: {t.describe()}" for k, t in self.terms.items()) + ">"

