"""The inexact-LMO bridge: what an approximate orthogonalizer costs the Gluon theory.

The theory (docs/theory.md sections 2 and 5) assumes the exact maximiser ``s(G) = U V^T`` of
``<G, S>`` over the spectral unit ball, with ``<G, s(G)> = ||G||_*`` and ``||s(G)||_2 = 1``.
An approximation ``O`` (a Newton–Schulz output) is measured by the two numbers the
inexact-LMO analyses use:

* the relative dual gap ``delta = (||G||_* - <G, O>) / ||G||_*`` (0 for the exact LMO;
  above 1 when ``<G, O> < 0``, a sign flip);
* ``rho = ||O||`` in the layer's norm (spectral by default): how far outside the unit
  ball the step goes.

:func:`gluon_ref.bounds.inexact_decrease` turns them into the one-step guarantee
``t (1 - delta) g - (L0 + L1 g) t^2 rho^2 / 2`` (derivation there); with Theorem 1's
radius descent is guaranteed iff ``delta < 1 - rho^2 / 2``.

For an odd-polynomial schedule both numbers follow from the scalar model
(docs/polar.md section 2): with ``x_i = sigma_i / s`` and ``phi = phi_T``,
``<G, O> = sum_i sigma_i phi(x_i)`` and ``||O||_2 = max_i |phi(x_i)|``, so
``delta = 1 - sum_i sigma_i phi(x_i) / sum_i sigma_i`` (:func:`predicted_lmo_quality`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ..backend import check_finite, check_float_array
from .scalar_model import compose

__all__ = ["LMOQuality", "lmo_quality", "predicted_lmo_quality"]


@dataclass(frozen=True)
class LMOQuality:
    """``delta`` (relative dual gap), ``rho`` (``||O||``), ``inner = <G, O>``, ``dual = ||G||_*``."""

    delta: float
    rho: float
    inner: float
    dual: float

    @property
    def descent_threshold(self) -> float:
        """``1 - rho^2 / 2``: Theorem 1's radius guarantees descent iff ``delta`` is below it."""
        return 1.0 - self.rho**2 / 2

    @property
    def guarantees_descent(self) -> bool:
        return self.delta < self.descent_threshold


def lmo_quality(g: Any, o: Any, norm: Any = None) -> LMOQuality:
    """Measure an approximate maximiser ``O`` of ``<G, S>`` over the unit ball (module docstring).

    ``norm`` is a :class:`gluon_ref.norms.Norm` (its ``dual_norm`` and ``norm``);
    default: the spectral norm (dual: nuclear), computed with the input's
    namespace.  ``O`` follows the *maximiser* sign (a Newton–Schulz output,
    ``-lmo(G)`` in the paper's convention).  Raises ``ValueError`` for a zero
    ``G`` (no dual gap is defined) or mismatched shapes.
    """
    xp = check_float_array(g, "g")
    check_float_array(o, "o")
    if tuple(g.shape) != tuple(o.shape):
        raise ValueError(f"g and o must have the same shape, got {tuple(g.shape)} and "
                         f"{tuple(o.shape)}")
    check_finite(g, "g")
    check_finite(o, "o")
    if norm is None:
        dual = float(xp.linalg.matrix_norm(g, ord="nuc"))
        rho = float(xp.linalg.matrix_norm(o, ord=2))
    else:
        dual = float(norm.dual_norm(g))
        rho = float(norm.norm(o))
    if dual == 0.0:
        raise ValueError("g is zero: the dual gap is undefined")
    inner = float(xp.sum(g * o))
    return LMOQuality(delta=1.0 - inner / dual, rho=rho, inner=inner, dual=dual)


def predicted_lmo_quality(polynomials: Sequence[Sequence[float]], sigma: Any,
                          scale: float) -> LMOQuality:
    """Scalar-model ``delta`` and ``rho`` of a schedule on singular values ``sigma`` and scale ``s``.

    ``phi_i = phi_T(sigma_i / s)``; ``<G, O> = sum sigma_i phi_i``,
    ``||G||_* = sum sigma_i``, ``||O||_2 = max |phi_i|`` (module docstring).
    """
    sigma = np.asarray(sigma, dtype=np.float64)
    if sigma.ndim != 1 or sigma.size == 0 or np.any(sigma < 0) or not np.all(np.isfinite(sigma)):
        raise ValueError("sigma must be a non-empty 1-D array of finite singular values >= 0")
    if not scale > 0:
        raise ValueError(f"scale must be > 0, got {scale}")
    dual = float(np.sum(sigma))
    if dual == 0.0:
        raise ValueError("all singular values are zero: the dual gap is undefined")
    phi = np.asarray(compose(polynomials, sigma / float(scale)))
    inner = float(np.sum(sigma * phi))
    return LMOQuality(delta=1.0 - inner / dual, rho=float(np.max(np.abs(phi))), inner=inner,
                      dual=dual)
