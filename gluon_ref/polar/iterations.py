"""Odd-polynomial Newton–Schulz iterations (POLAR.md sections 2-4).

One mechanism serves every method: a *schedule* of odd-polynomial coefficient
triples ``(a_t, b_t, c_t)`` applied as

    X <- a_t X + b_t (X X^T) X + c_t (X X^T)^2 X

to ``X_0 = G / s``, where the scale ``s`` follows a *normalization* convention.
In exact arithmetic ``X_k = U phi_k(Sigma / s) V^T`` with
``phi_k = p_k o ... o p_1`` (the scalar model, POLAR.md section 2).
"""

from __future__ import annotations

from typing import Any, Sequence

from ..backend import check_finite, check_float_array

__all__ = ["newton_schulz", "normalize_input", "MUON_QUINTIC"]

#: Keller Jordan's Muon quintic (POLAR.md section 6); also torch.optim.Muon's
#: default ``ns_coefficients``.
MUON_QUINTIC = (3.4445, -4.7750, 2.0315)


def normalize_input(g: Any, *, normalization: str = "frobenius", eps: float = 1e-7,
                    safety: float = 1.0):
    """Return ``(X_0, s)`` with ``X_0 = G / s`` (POLAR.md section 4).

    * ``"frobenius"``: ``s = safety * ||G||_F + eps`` (Keller Jordan's Muon with
      safety 1; Polar Express with safety 1.01);
    * ``"clamp"``: ``s = max(||G||_F, eps)`` (torch.optim.Muon);
    * ``"none"``: ``s = 1`` (the caller guarantees ``||G||_2 <= 1``).

    Batched over leading dimensions: one scale per matrix.
    """
    xp = check_float_array(g, "g")
    if safety <= 0 or not eps >= 0:
        raise ValueError(f"need safety > 0 and eps >= 0, got safety={safety}, eps={eps}")
    if normalization == "none":
        return g, xp.ones(g.shape[:-2] + (1, 1), dtype=g.dtype)
    fro = xp.linalg.matrix_norm(g, ord="fro", keepdims=True)
    if normalization == "frobenius":
        s = safety * fro + eps
    elif normalization == "clamp":
        s = xp.maximum(fro, xp.asarray(eps, dtype=g.dtype))
    else:
        raise ValueError(
            f"unknown normalization {normalization!r}; valid: 'frobenius', 'clamp', 'none'"
        )
    return g / s, s


def newton_schulz(g: Any, coefficients: Sequence[float] | Sequence[Sequence[float]] = MUON_QUINTIC,
                  steps: int | None = 5, *, normalization: str = "frobenius",
                  eps: float = 1e-7, safety: float = 1.0):
    """Approximate polar factor of ``g`` (shape ``(..., m, n)``) by an odd-polynomial schedule.

    ``coefficients`` is either one triple ``(a, b, c)`` repeated ``steps``
    times (Muon's convention, ``ns_coefficients`` / ``ns_steps`` in
    torch.optim.Muon) or a sequence of triples, one per step (then ``steps``
    must be ``None`` or equal to its length).  Cubic steps use ``c = 0``.

    Each step is evaluated in the Muon form ``A = X X^T``, ``B = b A + c A^2``,
    ``X <- a X + B X`` with the Gram matrix on the smaller side: tall inputs are
    transposed first and back at the end (POLAR.md section 3).  This changes
    the cost only, never the result.
    """
    xp = check_float_array(g, "g")
    if g.ndim < 2:
        raise ValueError(f"newton_schulz needs ndim >= 2 (..., m, n), got shape {tuple(g.shape)}")
    check_finite(g, "g")
    schedule = _as_schedule(coefficients, steps)
    x, _ = normalize_input(g, normalization=normalization, eps=eps, safety=safety)
    tall = g.shape[-2] > g.shape[-1]
    if tall:
        x = xp.matrix_transpose(x)
    for a, b, c in schedule:
        gram = x @ xp.matrix_transpose(x)
        poly = b * gram + c * (gram @ gram) if c != 0 else b * gram
        x = a * x + poly @ x
    return xp.matrix_transpose(x) if tall else x


def _as_schedule(coefficients, steps):
    coeffs = list(coefficients)
    if not coeffs:
        raise ValueError("coefficients must not be empty")
    if all(isinstance(c, (int, float)) for c in coeffs):
        if len(coeffs) not in (2, 3):
            raise ValueError(f"a coefficient triple needs 2 or 3 numbers, got {coeffs}")
        if steps is None or int(steps) != steps or steps < 0:
            raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
        triple = tuple(float(c) for c in coeffs) + (0.0,) * (3 - len(coeffs))
        return [triple] * int(steps)
    schedule = []
    for t, c in enumerate(coeffs):
        c = tuple(float(v) for v in c)
        if len(c) not in (2, 3):
            raise ValueError(f"step {t}: a coefficient triple needs 2 or 3 numbers, got {c}")
        schedule.append(c + (0.0,) * (3 - len(c)))
    if steps is not None and steps != len(schedule):
        raise ValueError(f"steps={steps} disagrees with a schedule of {len(schedule)} triples")
    return schedule
