"""Shampoo for matrices (Gupta, Koren and Singer, arXiv 1802.09568), with eigendecompositions.

Per 2-D parameter ``W`` with gradient ``G``:

    L <- decay L + G G^T        R <- decay R + G^T G        (L, R start at 0)
    W <- W - lr (L + eps I)^(-1/4) G (R + eps I)^(-1/4)

``decay = 1`` is the original running sum (with ``eps I`` playing the role of
``L_0 = eps I``); ``decay = 0`` switches accumulation off.  Inverse fourth
roots come from ``eigh``: ``A^(-1/4) = Q diag(lambda^(-1/4)) Q^T``, with
eigenvalues at or below ``max(m, n) * eps_machine * tr(A)`` (the rounding floor
of a Gram matrix) treated as zero (a pseudo-inverse root), so rank-deficient
and non-square gradients work with ``eps = 0``.

**LMO special case** (docs/theory.md section 11.4, arXiv 2409.20325): with
``decay = 0`` and ``eps = 0``, ``(G G^T)^(-1/4) G (G^T G)^(-1/4) = U V^T``, so
Shampoo is spectral descent, the Gluon step with the spectral norm and radius
``lr`` (:meth:`Shampoo.as_gluon`, only for that case).  The code here never
calls a polar routine: the identity is tested, not built in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from ..backend import namespace
from .base import OptState, Optimizer
from .gluon import GluonConfig, gluon_config
from .layers import check_hyper

__all__ = ["Shampoo", "ShampooState", "inverse_root"]


@dataclass(frozen=True)
class ShampooState(OptState):
    """Shampoo's statistics per layer: ``left`` is ``L`` (m x m), ``right`` is ``R`` (n x n)."""

    left: Mapping[str, Any] = field(default_factory=dict)
    right: Mapping[str, Any] = field(default_factory=dict)


def inverse_root(a, p: int, eps: float = 0.0):
    """``(A + eps I)^(-1/p)`` of a symmetric PSD matrix via ``eigh`` (pseudo-inverse below the floor)."""
    xp = namespace(a)
    if a.dtype == getattr(xp, "float16", None):
        # no float16 eigh in LAPACK/cuSOLVER: factorise in float32, return float16
        return xp.astype(inverse_root(xp.astype(a, xp.float32), p, eps), a.dtype)
    n = a.shape[0]
    if eps:
        a = a + eps * xp.eye(n, dtype=a.dtype)
    a = 0.5 * (a + xp.matrix_transpose(a))
    w, q = xp.linalg.eigh(a)
    floor = n * float(xp.finfo(a.dtype).eps) * float(xp.sum(xp.abs(w)))
    keep = w > floor
    safe = xp.where(keep, w, xp.ones_like(w))
    wp = xp.where(keep, safe ** (-1.0 / p), xp.zeros_like(w))
    return (q * wp[None, :]) @ xp.matrix_transpose(q)


@dataclass(frozen=True)
class Shampoo(Optimizer):
    """Matrix Shampoo (module docstring); 2-D parameters only.

    ``lr=1e-3, decay=1.0`` (running sum), ``eps=1e-4``.
    """

    lr: float = 1e-3
    decay: float = 1.0
    eps: float = 1e-4
    name: str = "shampoo"
    state_type = ShampooState

    def __post_init__(self):
        check_hyper("lr", self.lr)
        check_hyper("decay", self.decay, high=1.0)
        check_hyper("eps", self.eps)

    def _check_layers(self, named):
        for n, x in named.items():
            if x.ndim != 2:
                raise ValueError(f"Shampoo here supports 2-D parameters only; layer {n!r} has "
                                 f"shape {tuple(x.shape)}")

    def _update(self, params, grads, state):
        ls, rs = state.left, state.right
        new_p, new_l, new_r = {}, {}, {}
        for name, w in params.items():
            xp = namespace(w)
            g = grads[name]
            gl = g @ xp.matrix_transpose(g)
            gr = xp.matrix_transpose(g) @ g
            if not (bool(xp.all(xp.isfinite(gl))) and bool(xp.all(xp.isfinite(gr)))):
                # G G^T squares the gradient's scale; eigh would fail with a raw LinAlgError
                raise OverflowError(
                    f"Shampoo's statistics G G^T and G^T G overflow {g.dtype} for layer {name!r} "
                    f"(max |g| = {float(xp.max(xp.abs(g))):.3g}); rescale the loss or use a wider dtype")
            left = self.decay * ls[name] + gl if name in ls else gl
            right = self.decay * rs[name] + gr if name in rs else gr
            pre = inverse_root(left, 4, self.eps) @ g @ inverse_root(right, 4, self.eps)
            new_p[name] = w - self.lr * pre
            new_l[name], new_r[name] = left, right
        return new_p, state.advance(left=new_l, right=new_r)

    def as_gluon(self, params) -> GluonConfig:
        """Spectral descent with radius lr: valid only for decay = 0 and eps = 0."""
        if self.decay != 0 or self.eps != 0:
            raise ValueError("Shampoo is a Gluon (spectral) step only with decay=0 and eps=0 "
                             "(docs/theory.md 11.4)")
        return gluon_config(params, norms="spectral", stepsizes=self.lr)
