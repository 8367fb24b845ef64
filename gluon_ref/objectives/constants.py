"""Records of proved smoothness constants: per-layer (Assumption 1) and box (segment form).

:class:`LayerConstants` holds the constants of Assumption 1 (docs/theory.md section
4) that a separable objective proves for one layer; :class:`LocalConstants`
holds the block Lipschitz bounds a non-separable objective proves on a box
around an anchor; :func:`gronwall_constants` turns Hessian-form constants into
constants restricted to steps of bounded length (``valid_within``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np

__all__ = ["LayerConstants", "LocalConstants", "gronwall_constants"]


@dataclass(frozen=True)
class LayerConstants:
    """Constants of Assumption 1 for one layer, with the region where they are proved.

    ``||grad_i f(X) - grad_i f(Y)||_(i)* <= (L0 + L1 ||grad_i f(X)||_(i)*) ||X_i - Y_i||_(i)``
    for all ``X, Y`` with ``||X_i - Y_i||_(i) <= valid_within`` (``valid_within = inf``:
    Assumption 1 exactly as in docs/theory.md section 4).  Lemma D (section 5)
    then holds for every step whose blocks have length ``<= valid_within``.

    ``hessian`` holds the constants of the local (Hessian) form
    ``||H_ii(Z)[D]||_* <= (L0h + L1h ||grad_i f(Z)||_*) ||D||`` for all ``Z``
    when it differs from ``(L0, L1)``; the restricted form follows from it by
    Gronwall's inequality (see :func:`gronwall_constants`).

    ``tightness`` is a proved lower bound on ``best constant / claimed``
    (1.0 = exactly tight, ``2/pi`` for SDP-relaxation bounds), ``note`` says
    where the derivation is.
    """

    L0: float
    L1: float = 0.0
    valid_within: float = math.inf
    hessian: tuple[float, float] | None = None
    tightness: float = 1.0
    note: str = ""

    def __post_init__(self):
        for name in ("L0", "L1"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                raise ValueError(f"constant {name} must be finite and >= 0, got {v}")
        if not (self.valid_within > 0):
            raise ValueError(f"valid_within must be > 0, got {self.valid_within}")


def gronwall_constants(L0h: float, L1h: float, valid_within: float) -> tuple[float, float]:
    """Assumption 1 constants for steps of length ``<= valid_within``, from the Hessian form.

    If ``||H(Z)[D]||_* <= (L0h + L1h ||grad f(Z)||_*) ||D||`` for all ``Z``,
    then along ``Z_t = X + t D/||D||``, ``u(t) = ||grad f(Z_t)||_*`` satisfies
    ``u' <= L0h + L1h u``, so ``L0h + L1h u(t) <= (L0h + L1h g) e^{L1h t}`` and

        ||grad f(Y) - grad f(X)||_* <= (L0h + L1h g) (e^{L1h r} - 1)/L1h
                                    =  (L0h + L1h g) k(r) r,   k(r) = (e^{L1h r}-1)/(L1h r)

    with ``r = ||Y - X||`` (Zhang et al., arXiv 1905.11881, Lemma A.2; Chen et
    al., arXiv 2303.02854).  ``k`` increases, so for ``r <= valid_within`` the pair
    ``(k(valid_within) L0h, k(valid_within) L1h)`` is valid.  Generic fallback; the
    objectives here use sharper closed forms where they have them.
    """
    if L1h == 0 or valid_within == 0:
        return L0h, L1h
    if not math.isfinite(valid_within):
        raise ValueError("the Gronwall constants need a finite valid_within when L1 > 0")
    u = L1h * valid_within
    k = math.expm1(u) / u
    return L0h * k, L1h * k


@dataclass(frozen=True)
class LocalConstants:
    """Block Lipschitz bounds of the gradient on a box around an anchor.

    For every ``Y`` with ``||Y_j - X_j||_(j) <= box_radius[j]`` for all ``j``:

        ||grad_i f(Y) - grad_i f(X)||_(i)* <= sum_j h[i, j] ||Y_j - X_j||_(j)     (*)

    which follows from ``||H_ij(Z)[D_j]||_(i)* <= h[i, j] ||D_j||_(j)`` for all
    ``Z`` in the (convex) box and ``grad f(Y) - grad f(X) = int_0^1 H(Z_t)[D] dt``.
    Consequences used by the tests (docs/theory.md section 4 caveat: the segment
    form is what the proofs need):

    * one-layer steps (only block ``i`` moves): Assumption 1 along the segment
      with ``L0_i = h[i, i]``, ``L1_i = 0``;
    * Lemma D on the box with ``L0_i = h_ii + sum_{j != i} s_ij w_ij``
      (:meth:`descent`), ``s_ij = (h_ij + h_ji)/2``, ``w_ij = sqrt(h_ii/h_jj)``:
      from ``<D, H(Z) D> <= sum_ij h_ij a_i a_j`` (``a_i = ||D_i||``) and
      ``2 a_i a_j <= w_ij a_i^2 + a_j^2 / w_ij`` (``w_ji = 1/w_ij``).  This
      weighting inflates every diagonal entry by the same relative amount
      ``sum_j s_ij / sqrt(h_ii h_jj)`` and, unlike ``w = 1``, does not change
      when one layer's norm is rescaled (``w = 1`` if ``h_ii`` or ``h_jj`` is 0).
    """

    names: tuple[str, ...]
    h: np.ndarray
    box_radius: Mapping[str, float]
    note: str = ""

    def descent(self) -> dict[str, float]:
        """Lemma D constants on the box (class docstring, weighted ``2ab`` bound)."""
        h = self.h
        p = len(self.names)
        out = {}
        for i, n in enumerate(self.names):
            total = float(h[i, i])
            for j in range(p):
                if j == i:
                    continue
                s = (h[i, j] + h[j, i]) / 2
                w = math.sqrt(h[i, i] / h[j, j]) if h[i, i] > 0 and h[j, j] > 0 else 1.0
                total += s * w
            out[n] = total
        return out

    def gradient_bound(self, step_norms: Mapping[str, float]) -> dict[str, float]:
        """Right side of (*) for given ``||Y_j - X_j||_(j)``."""
        a = np.array([float(step_norms[n]) for n in self.names])
        return {n: float(self.h[i] @ a) for i, n in enumerate(self.names)}
