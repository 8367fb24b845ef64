"""Rounding allowances of the numeric checks, derived from the dtype, operation counts,
dimensions and condition numbers (issue 10.7).  No check sets an absolute tolerance by hand.

Model (Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., SIAM 2002):

* a computation of ``n`` floating-point operations whose exact terms have absolute sum
  ``M`` is within ``gamma(n) M`` of the exact value, ``gamma(n) = n u / (1 - n u)`` with
  unit roundoff ``u = eps/2`` (Lemma 3.1; sums and inner products, eq. 3.5);
* Horner evaluation of ``p(x) = sum_j c_j x^j`` of degree ``d`` errs by at most
  ``gamma(2d) sum_j |c_j| |x|^j`` (eq. 5.3);
* LAPACK's SVD is backward stable: the computed singular values are within
  ``p(m, n) eps sigma_1`` of the exact ones, with ``p(m, n) = max(m, n)`` here (Demmel,
  *Applied Numerical Linear Algebra*, section 5.4: "a modest function of m and n"), and
  the polar factor ``U V^T`` of the computed SVD is within ``p(m, n) eps kappa`` of the
  exact one, ``kappa = sigma_1 / sigma_r`` (perturbation bound of the polar factor,
  ``||dQ|| <= 2 ||dA|| / (sigma_r + sigma_r')``, R.-C. Li, SIAM J. Matrix Anal. Appl. 1995);
* a value quoted with ``k`` decimals is exact to half a unit in its last digit.

Each claim that uses an allowance says which formula in its instance label, note or
docstring.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

__all__ = ["EPS", "gamma", "block_dims", "svd_identity", "svd_reference", "difference",
           "horner", "composition", "remez_system", "quoted", "function_values"]

EPS = float(np.finfo(np.float64).eps)


def gamma(n: int, eps: float = EPS) -> float:
    """``gamma_n = n u / (1 - n u)``, ``u = eps/2``: relative rounding of ``n`` operations."""
    nu = n * eps / 2
    if nu >= 1:
        raise ValueError(f"gamma_n undefined for n = {n} (n u >= 1)")
    return nu / (1 - nu)


def block_dims(shape: Sequence[int]) -> tuple[int, int]:
    """The matrix view ``(m, n) = (shape[0], prod(shape[1:]))`` of a block (vectors: n = 1)."""
    m = int(shape[0])
    return m, max(1, math.prod(shape) // m)


def svd_identity(shape: Sequence[int]) -> float:
    """Relative allowance of an identity evaluated through an SVD and inner products on a
    block of matrix view ``(m, n)``, rank ``r = min(m, n)``: the inner products over ``m n``
    entries give ``gamma(m n)``; ``r`` singular values, each within ``max(m, n) eps sigma_1``
    (backward stability), give ``r max(m, n) eps`` relative to ``sigma_1 <= ||g||_*``."""
    m, n = block_dims(shape)
    return gamma(m * n) + min(m, n) * max(m, n) * EPS


def svd_reference(shape: Sequence[int], kappa: float) -> float:
    """Error of the reference polar factor ``U V^T`` from a float64 SVD of a matrix with
    condition number ``kappa``: ``max(m, n) eps kappa`` (see the module docstring)."""
    m, n = block_dims(shape)
    return max(m, n) * EPS * kappa


def difference(old, new, equivalence: float = 1.0) -> float:
    """Relative rounding of a step measured as ``new - old``: the subtraction errs entrywise by
    ``eps max(|old|, |new|)``, so ``||E||_F <= eps (||old||_F + ||new||_F)`` against
    ``||new - old||_F`` (cancellation when the step is small against the iterate).  For a norm
    other than Frobenius multiply by its equivalence ratio ``max N(Z)/||Z||_F * max ||Z||_F/N(Z)``
    (at most ``sqrt(size)`` for every catalogue norm), passed as ``equivalence``."""
    old, new = np.asarray(old, dtype=float), np.asarray(new, dtype=float)
    step = float(np.linalg.norm(new - old))
    if step == 0:  # no step measured: nothing is relative to it (the right side is 0 too)
        return 0.0
    return equivalence * EPS * (float(np.linalg.norm(old)) + float(np.linalg.norm(new))) / step


def horner(poly: Sequence[float], x: float, inner: int = 1) -> float:
    """Rounding bound of one odd-polynomial step ``p(x) = sum_j c_j x^(2j+1)`` evaluated by
    Horner in ``x^2`` (degree ``d = 2J+1``): ``gamma(2d + inner) sum_j |c_j| |x|^(2j+1)``;
    ``inner`` adds the length of the inner products when the step is a matrix polynomial
    (Gram matrix of side ``inner``: each product adds ``gamma(inner)``, eq. 3.5)."""
    d = 2 * len(poly) - 1
    ax = abs(float(x))
    return gamma(2 * d + inner) * sum(abs(c) * ax ** (2 * j + 1) for j, c in enumerate(poly))


def composition(schedule: Sequence[Sequence[float]], x: float, inner: int = 1) -> float:
    """First-order forward error bound of ``phi_T(x) = p_T(...p_1(x))`` computed step by step:
    ``e_0 = 0``, ``e_t = |p_t'(y_{t-1})| e_{t-1} + horner(p_t, y_{t-1}, inner)`` with ``y_t``
    the exact iterates (each step's rounding is carried forward by the later steps' slopes)."""
    y, e = float(x), 0.0
    for poly in schedule:
        slope = sum((2 * j + 1) * c * y ** (2 * j) for j, c in enumerate(poly))
        e = abs(slope) * e + horner(poly, y, inner)
        y = sum(c * y ** (2 * j + 1) for j, c in enumerate(poly))
    return e


def remez_system(points: Sequence[float], n_coefficients: int) -> float:
    """Relative allowance of a Remez solve (odd coefficients and level ``E`` from the
    alternation conditions ``p(x_j) + (-1)^j E = 1`` at ``points``): ``eps kappa(V)`` times
    the size of the system, with ``V`` the odd Vandermonde matrix with the alternating
    column (a backward-stable solve of ``V z = 1`` is accurate to ``size eps kappa``)."""
    x = np.asarray(points, dtype=float)
    cols = [x ** (2 * j + 1) for j in range(n_coefficients)] + [(-1.0) ** np.arange(len(x))]
    v = np.stack(cols, axis=1)
    return len(x) * EPS * float(np.linalg.cond(v))


def quoted(decimals: int) -> float:
    """Half a unit in the last digit of a value quoted with ``decimals`` decimals."""
    return 0.5 * 10.0 ** (-decimals)


def function_values(obj, scale: float) -> float:
    """Absolute rounding of one objective value along a run: ``f`` is a sum over
    ``N = n_params max(1, n_samples)`` products (every parameter enters once per sample), so
    ``|fl(f) - f| <= gamma(N) sum|terms|``.  The terms' absolute sum does not vanish with
    ``f`` (residuals ``A X - b`` and ``log cosh`` are formed from O(1) intermediates), so it is
    bounded by the run's scale ``scale = |f(X^0)| + |inf f|`` (a descent run never exceeds
    its start): ``gamma(N) scale``.  Differences of ``f`` below twice this are not
    measurable and are dropped, not checked."""
    n_params = sum(math.prod(spec.shape) for spec in obj.layers.values())
    n = n_params * max(1, obj.n_samples or 1)
    return gamma(n) * abs(float(scale))
