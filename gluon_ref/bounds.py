"""Right-hand sides of the Gluon theorems as pure functions of constants and histories.

Everything here is scalar arithmetic on per-layer quantities (Python floats or
1-D NumPy arrays indexed by layer): dual gradient norms ``g_i``, constants
``L0_i, L1_i`` and the initial gap ``Delta0 = f(X^0) - inf f``.  Formulas and
proofs are in docs/theory.md sections 5 and 6; the symbolic checks live in
``proofs_check.claims.theory``.

Constraints: ``L0_i >= 0``, ``L1_i >= 0`` and ``L0_i + L1_i g_i > 0`` wherever
a stepsize is formed; forms that divide by ``L1_i`` need ``L1_i > 0``.
Violations raise ``ValueError``.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

__all__ = [
    "optimal_stepsizes",
    "guaranteed_decrease",
    "one_step_upper_bound",
    "descent_lemma_rhs",
    "theorem1_quantities",
    "theorem1_iterations",
    "theorem1_rate",
    "theorem1_rate_simple",
    "theorem1_l0_zero_rate",
    "theorem1_l1_zero_rate",
    "theorem1_max_form_iterations",
    "theorem2_schedule",
    "inexact_decrease",
    "inexact_descent_threshold",
    "inexact_optimal_stepsizes",
]


def _arr(x, name: str, positive: bool = False) -> np.ndarray:
    a = np.atleast_1d(np.asarray(x, dtype=np.float64))
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite, got {a}")
    if np.any(a < 0) or (positive and np.any(a == 0)):
        raise ValueError(f"{name} must be {'> 0' if positive else '>= 0'}, got {a}")
    return a


def optimal_stepsizes(g: Sequence[float], L0: Sequence[float], L1: Sequence[float]) -> np.ndarray:
    """Theorem 1's adaptive radius ``t_i* = g_i / (L0_i + L1_i g_i)`` (docs/theory.md section 5).

    It maximises the bracket ``t g_i - (L0_i + L1_i g_i) t^2 / 2`` of the
    one-step decrease.  A layer with ``g_i = 0`` gets ``t_i* = 0``.
    """
    g, L0, L1 = _arr(g, "g"), _arr(L0, "L0"), _arr(L1, "L1")
    den = L0 + L1 * g
    if np.any((den == 0) & (g > 0)):
        raise ValueError("L0_i + L1_i g_i must be > 0 where g_i > 0")
    return np.where(g > 0, g / np.where(den > 0, den, 1.0), 0.0)


def guaranteed_decrease(g, L0, L1) -> float:
    """``sum_i g_i^2 / (2 (L0_i + L1_i g_i))``: the decrease the optimal stepsizes guarantee
    (docs/theory.md section 5)."""
    g, L0, L1 = _arr(g, "g"), _arr(L0, "L0"), _arr(L1, "L1")
    den = L0 + L1 * g
    return float(np.sum(np.where(g > 0, g**2 / (2 * np.where(den > 0, den, 1.0)), 0.0)))


def one_step_upper_bound(f_k: float, g, t, L0, L1) -> float:
    """Upper bound on ``f(X^{k+1})`` for the LMO step with radii ``t``:
    ``f(X^k) - sum_i [t_i g_i - (L0_i + L1_i g_i) t_i^2 / 2]`` (docs/theory.md section 5)."""
    g, t, L0, L1 = _arr(g, "g"), _arr(t, "t"), _arr(L0, "L0"), _arr(L1, "L1")
    return float(f_k - np.sum(t * g - (L0 + L1 * g) * t**2 / 2))


def descent_lemma_rhs(f_x: float, inner: float, g, step_norms, L0, L1) -> float:
    """Lemma D: ``f(X) + <grad f(X), Y - X> + sum_i (L0_i + L1_i g_i)/2 ||Y_i - X_i||^2``
    with ``g_i = ||grad_i f(X)||_*`` and ``inner = <grad f(X), Y - X>`` (docs/theory.md section 5)."""
    g, d, L0, L1 = _arr(g, "g"), _arr(step_norms, "step_norms"), _arr(L0, "L0"), _arr(L1, "L1")
    return float(f_x + inner + np.sum((L0 + L1 * g) / 2 * d**2))


def _a_and_m_bar(L0, L1) -> tuple[float, float]:
    """``A = sum_i L0_i / L1_i^2`` and ``m_bar = (1/p) sum_j 1/L1_j``; needs ``L1_i > 0``."""
    L0, L1 = _arr(L0, "L0"), _arr(L1, "L1", positive=True)
    return float(np.sum(L0 / L1**2)), float(np.mean(1.0 / L1))


def theorem1_quantities(g, L0, L1) -> dict[str, float]:
    """``m_bar = (1/p) sum_j 1/L1_j``, ``A = sum_i L0_i / L1_i^2``, ``S = sum_i g_i / L1_i``,
    ``D = sum_i g_i^2 / (L0_i + L1_i g_i)`` (docs/theory.md section 6); needs ``L1_i > 0``."""
    A, m_bar = _a_and_m_bar(L0, L1)
    g = _arr(g, "g")
    return {
        "m_bar": m_bar,
        "A": A,
        "S": float(np.sum(g / _arr(L1, "L1"))),
        "D": 2 * guaranteed_decrease(g, L0, L1),
    }


def theorem1_iterations(delta0: float, eps: float, L0, L1) -> float:
    """Iteration count of Theorem 1: ``K >= 2 Delta0 A / (eps^2 m_bar^2) + 2 Delta0 / (eps m_bar)``
    guarantees ``min_k sum_i ((1/L1_i)/m_bar) ||grad_i f(X^k)||_* <= eps`` (docs/theory.md section 6,
    Theorem 4.1 of arXiv 2505.13416 as reported)."""
    if not (eps > 0 and delta0 >= 0):
        raise ValueError(f"need eps > 0 and Delta0 >= 0, got eps={eps}, Delta0={delta0}")
    A, m = _a_and_m_bar(L0, L1)
    return 2 * delta0 * A / (eps**2 * m**2) + 2 * delta0 / (eps * m)


def theorem1_rate(delta0: float, K: int, L0, L1) -> float:
    """Rate form: ``min_{k<K} S_k <= Delta0/K + sqrt((Delta0/K)^2 + 2 A Delta0 / K)``
    (docs/theory.md section 6), the positive root of ``K S^2 = 2 Delta0 (A + S)``."""
    if K < 1 or delta0 < 0:
        raise ValueError(f"need K >= 1 and Delta0 >= 0, got K={K}, Delta0={delta0}")
    A = _a_and_m_bar(L0, L1)[0]
    r = delta0 / K
    return r + math.sqrt(r * r + 2 * A * r)


def theorem1_rate_simple(delta0: float, K: int, L0, L1) -> float:
    """The looser ``2 Delta0/K + sqrt(2 A Delta0 / K)`` (docs/theory.md section 6)."""
    A = _a_and_m_bar(L0, L1)[0]
    return 2 * delta0 / K + math.sqrt(2 * A * delta0 / K)


def theorem1_l0_zero_rate(delta0: float, K: int) -> float:
    """L0 = 0: ``min_k sum_i g_i / L1_i <= 2 Delta0 / K`` with ``t_i = 1/L1_i`` (docs/theory.md 6)."""
    return 2 * delta0 / K


def theorem1_l1_zero_rate(delta0: float, K: int) -> float:
    """L1 = 0: ``min_k sum_i g_i^2 / L0_i <= 2 Delta0 / K`` with ``t_i = g_i / L0_i`` (docs/theory.md 6;
    the paper's exact corollary wording is uncertain, the inequality is proved there)."""
    return 2 * delta0 / K


def theorem1_max_form_iterations(delta0: float, eps: float, L0, L1) -> float:
    """Max form: ``K >= 2 Delta0 sum_i L0_i / eps^2 + 2 Delta0 L1_max / eps`` gives
    ``min_k sum_i ||grad_i f(X^k)||_* <= eps`` (docs/theory.md section 6; reported as part of an
    appendix theorem whose other parts are uncertain)."""
    L0, L1 = _arr(L0, "L0"), _arr(L1, "L1")
    return 2 * delta0 * float(np.sum(L0)) / eps**2 + 2 * delta0 * float(np.max(L1)) / eps


def theorem2_schedule(k: int, t: Sequence[float]) -> tuple[np.ndarray, float]:
    """Theorem 2's schedule: radii ``t_i (k+1)^(-3/4)`` and momentum ``beta_k = 1 - (k+1)^(-1/2)``
    (docs/theory.md section 7; Theorem 4.3 of arXiv 2505.13416 as reported; the constants t_i are
    uncertain, the form suggests t_i proportional to 1/L1_i)."""
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    return _arr(t, "t") * (k + 1) ** -0.75, 1.0 - (k + 1) ** -0.5


# --------------------------------------------------------------------------- inexact LMO
# Derivation (docs/theory.md notation, sections 1, 2 and 5).  Algorithm 2 with an *inexact*
# maximiser: X_i^{k+1} = X_i^k - t_i O_i, where O_i approximates s(grad_i f(X^k)) (a
# Newton–Schulz output, say).  Measure it by two numbers per layer:
#
#   delta_i = (g_i - <grad_i f(X^k), O_i>) / g_i   (relative dual gap; 0 for an exact LMO)
#   rho_i   = ||O_i||_(i)                           (1 for an exact LMO; NS can exceed it)
#
# so <grad_i f, O_i> = (1 - delta_i) g_i ("multiplicative LMO error").  Lemma D with
# Y_i - X_i = -t_i O_i gives
#
#   f(X^{k+1}) <= f(X^k) - sum_i [ t_i (1 - delta_i) g_i - (L0_i + L1_i g_i) t_i^2 rho_i^2 / 2 ].
#
# * With Theorem 1's radii t_i* = g_i / (L0_i + L1_i g_i) the bracket is
#   g_i^2 / (L0_i + L1_i g_i) * (1 - delta_i - rho_i^2 / 2): descent is guaranteed iff
#   delta_i < 1 - rho_i^2 / 2 (delta_i < 1/2 when ||O_i|| = 1).  With
#   c = min_i (1 - delta_i - rho_i^2/2) > 0 along the run, step 1 of Theorem 1's proof becomes
#   sum_k D_k <= Delta0 / c instead of 2 Delta0: every iteration count scales by 1/(2c).
# * The radius maximising the bracket is t_i = (1 - delta_i) g_i / ((L0_i + L1_i g_i) rho_i^2),
#   with decrease (1 - delta_i)^2 g_i^2 / (2 (L0_i + L1_i g_i) rho_i^2): any delta_i < 1
#   (positive alignment) still gives descent for small enough radii; delta_i > 1 (a sign
#   flip, <grad f, O> < 0) gives none.
# The exact LMO (delta = 0, rho = 1) recovers section 5.  Checked symbolically and on runs
# in proofs_check.claims.presets.

def inexact_decrease(g, t, L0, L1, delta, rho) -> float:
    """Guaranteed decrease ``sum_i [t_i (1 - delta_i) g_i - (L0_i + L1_i g_i) t_i^2 rho_i^2 / 2]``
    of one step with an inexact LMO (derivation in the comment above; docs/theory.md section 5 with
    ``<grad_i f, O_i> = (1 - delta_i) g_i`` and ``||O_i|| = rho_i``)."""
    g, t, L0, L1 = _arr(g, "g"), _arr(t, "t"), _arr(L0, "L0"), _arr(L1, "L1")
    delta = np.atleast_1d(np.asarray(delta, dtype=np.float64))
    rho = _arr(rho, "rho")
    if not np.all(np.isfinite(delta)):
        raise ValueError(f"delta must be finite, got {delta}")
    return float(np.sum(t * (1 - delta) * g - (L0 + L1 * g) * t**2 * rho**2 / 2))


def inexact_descent_threshold(rho) -> np.ndarray:
    """``1 - rho_i^2 / 2``: with Theorem 1's radii ``t_i*`` descent is guaranteed iff
    ``delta_i`` is below it (``1/2`` for ``||O_i|| = 1``); derivation above."""
    return 1.0 - _arr(rho, "rho") ** 2 / 2


def inexact_optimal_stepsizes(g, L0, L1, delta, rho) -> np.ndarray:
    """``t_i = (1 - delta_i) g_i / ((L0_i + L1_i g_i) rho_i^2)`` (0 where ``delta_i >= 1``):
    the radius maximising the inexact bracket; derivation above."""
    g, L0, L1, rho = _arr(g, "g"), _arr(L0, "L0"), _arr(L1, "L1"), _arr(rho, "rho", positive=True)
    delta = np.atleast_1d(np.asarray(delta, dtype=np.float64))
    den = (L0 + L1 * g) * rho**2
    if np.any((den == 0) & (g > 0)):
        raise ValueError("L0_i + L1_i g_i must be > 0 where g_i > 0")
    return np.where((g > 0) & (delta < 1), (1 - delta) * g / np.where(den > 0, den, 1.0), 0.0)
