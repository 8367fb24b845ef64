"""The trajectory estimator of layer-wise smoothness (docs/theory.md section 8, Eq. 10 of Gluon).

For a layer ``i`` and consecutive iterates ``X = X^k``, ``X' = X^{k+1}`` with
gradients ``g = grad_i f_xi(X)`` and ``g' = grad_i f_xi'(X')``:

    lhat = ||g' - g||_(i)* / ||X'_i - X_i||_(i)        (Eq. 10)
    G    = ||g'||_(i)*                                  (the anchor: the newer iterate)

and the model is ``lhat ~ L0 + L1 G`` (:mod:`.fit`).  Which gradients are
compared is the caller's choice (:mod:`.recorder`): *different* minibatches
(the authors' setting, ``xi != xi'``), the *same* minibatch at both iterates
(``xi = xi'``, removes the sampling noise from the difference) or *full*
batch.

The decomposition behind docs/theory.md section 8's circularity caveat is exact:

    lhat = c G / ||X'_i - X_i||,     c = ||g' - g||_* / ||g'||_*      (:attr:`PairEstimate.noise_factor`)

so along a run with constant step length ``t`` a fitted slope is about
``c / t``; ``c -> sqrt(2)`` when ``g`` and ``g'`` are dominated by independent
noise of equal size (``g' - g`` then has the law of ``sqrt(2) g`` for Gaussian
noise, in any norm).

Dual norms are exact by default (:meth:`gluon_ref.norms.Norm.dual_norm`).
``orthogonalizer=...`` computes them as the authors did, ``<g, s(g)>`` with
``s`` the norm's maximiser built from an approximate polar factor (e.g.
``"muon"``, Keller Jordan's 5-step quintic): that is ``-<g, lmo(g)>`` for the
norm with that orthogonalizer, and it only changes spectral-family norms.
Primal norms are always exact (the authors' ``torch.linalg.norm(ord=2)``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from ..backend import namespace
from ..norms import Norm, get_norm

__all__ = ["PairEstimate", "dual_norm", "estimate_pair", "estimate_layers"]


@dataclass(frozen=True)
class PairEstimate:
    """One layer, one pair of iterates: ``lhat = diff / step`` and the anchor ``gnorm``.

    ``step = ||X'_i - X_i||``, ``diff = ||g' - g||_*``, ``gnorm = ||g'||_*``.
    """

    lhat: float
    gnorm: float
    step: float
    diff: float

    @property
    def noise_factor(self) -> float:
        """``c = diff / gnorm`` (nan when ``gnorm = 0``), so ``lhat = c gnorm / step``."""
        return self.diff / self.gnorm if self.gnorm > 0 else math.nan


def _norm(norm: Norm | str) -> Norm:
    return norm if isinstance(norm, Norm) else get_norm(norm)


def dual_norm(norm: Norm | str, g: Any, orthogonalizer: str | Callable | None = None) -> float:
    """``||g||_*`` exactly, or ``<g, s(g)> = -<g, lmo(g)>`` with ``orthogonalizer`` in spectral norms.

    With an approximate polar factor ``Q ~ U V^T`` the value is ``<g, Q> / c``
    for the norm's scale ``c`` (``||.|| = c ||.||_2``), which is what the
    authors logged; for a Newton-Schulz ``Q = U p(Sigma / s) V^T`` (``s`` the
    pre-scaling) it equals ``sum_i sigma_i p(sigma_i / s) / c``, below the exact
    ``sum_i sigma_i / c`` wherever ``p < 1``.
    """
    n = _norm(norm)
    if orthogonalizer is None or not n.geometry.orthogonalizable:
        return float(n.dual_norm(g))
    xp = namespace(g)
    d = n.with_orthogonalizer(orthogonalizer).lmo(g)
    return float(-xp.sum(g * d))


def estimate_pair(norm: Norm | str, x_old: Any, x_new: Any, g_old: Any, g_new: Any,
                  orthogonalizer: str | Callable | None = None, layer: str = "") -> PairEstimate:
    """Eq. 10 for one layer (module docstring).  ``x_*``/``g_*`` are arrays of the layer's shape.

    A zero step (``X'_i = X_i``) raises ``ValueError`` naming the layer: the
    ratio is undefined, not infinite or zero.
    """
    n = _norm(norm)
    where = f" of layer {layer!r}" if layer else ""
    shapes = {tuple(a.shape) for a in (x_old, x_new, g_old, g_new)}
    if len(shapes) != 1:
        raise ValueError(f"iterates and gradients{where} must share one shape, got {sorted(shapes)}")
    step = float(n.norm(x_new - x_old))
    if not step > 0:
        raise ValueError(f"the step{where} has zero length: lhat = ||g' - g||_* / ||X' - X|| is "
                         f"undefined (did the optimizer skip this layer?)")
    diff = dual_norm(n, g_new - g_old, orthogonalizer)
    gnorm = dual_norm(n, g_new, orthogonalizer)
    return PairEstimate(diff / step, gnorm, step, diff)


def estimate_layers(norms: Mapping[str, Norm | str], X_old: Mapping[str, Any], X_new: Mapping[str, Any],
                    G_old: Mapping[str, Any], G_new: Mapping[str, Any],
                    orthogonalizer: str | Callable | None = None) -> dict[str, PairEstimate]:
    """:func:`estimate_pair` for every layer named in ``norms`` (missing layers raise ``KeyError``
    naming them)."""
    out = {}
    for name, norm in norms.items():
        missing = [w for w, d in (("X_old", X_old), ("X_new", X_new), ("G_old", G_old),
                                  ("G_new", G_new)) if name not in d]
        if missing:
            raise KeyError(f"layer {name!r} is missing from {', '.join(missing)}")
        out[name] = estimate_pair(norm, X_old[name], X_new[name], G_old[name], G_new[name],
                                  orthogonalizer, name)
    return out
