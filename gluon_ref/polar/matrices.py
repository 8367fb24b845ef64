"""Test-matrix families for comparing Newton–Schulz with the exact SVD (docs/polar.md section 2).

Randomness comes only from an explicit ``numpy.random.Generator`` or seed
(DESIGN.md); the matrices are float64 NumPy arrays — callers move them to
another namespace with ``xp.asarray``.  Which method wins depends almost
entirely on the lower end of the *effective* interval ``[sigma_min/s,
sigma_max/s]``, so the families span it:

=================  =============================================================
family             construction
=================  =============================================================
``gaussian``       iid N(0, 1/n) entries (normalised sigma about 1/sqrt(p) at most)
``logspace1e2``    ``U diag(sigma) V^T``, Haar ``U, V``, sigma log-spaced in [1e-2, 1]
``logspace1e6``    the same with condition number 1e6
``logspace1e12``   the same with condition number 1e12
``lowrank``        rank ``max(1, p/8)`` Gaussian product plus Gaussian noise of
                   relative Frobenius size 1e-3 (numerically full rank)
``rankdef``        exact rank ``max(1, p/2)`` (Gaussian product): zero singular values
``heavytail``      gradient-like: a rank-4 Gaussian product plus Student-t (3 d.o.f.)
                   noise, so a few dominant directions over a heavy-tailed bulk
=================  =============================================================
"""

from __future__ import annotations

import numpy as np

__all__ = ["MATRIX_FAMILIES", "test_matrix", "with_spectrum", "haar_orthonormal"]

MATRIX_FAMILIES = ("gaussian", "logspace1e2", "logspace1e6", "logspace1e12", "lowrank",
                   "rankdef", "heavytail")


def _rng(rng) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        raise ValueError("pass a seed or a numpy.random.Generator (no hidden randomness)")
    if isinstance(rng, (int, np.integer)):
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be an int seed or numpy.random.Generator, got {type(rng).__name__}")


def haar_orthonormal(m: int, k: int, rng) -> np.ndarray:
    """An ``m x k`` matrix with orthonormal columns, Haar-distributed (QR with sign fix)."""
    if not 0 < k <= m:
        raise ValueError(f"need 0 < k <= m, got m={m}, k={k}")
    z = _rng(rng).standard_normal((m, k))
    q, r = np.linalg.qr(z)
    return q * np.sign(np.where(np.diag(r) == 0, 1.0, np.diag(r)))[None, :]


def with_spectrum(sigma, shape: tuple[int, int], rng) -> np.ndarray:
    """``U diag(sigma) V^T`` with Haar ``U`` (m x p) and ``V`` (n x p), ``p = len(sigma)``."""
    m, n = int(shape[0]), int(shape[1])
    sigma = np.asarray(sigma, dtype=np.float64)
    p = sigma.shape[0]
    if p > min(m, n):
        raise ValueError(f"{p} singular values do not fit a {m}x{n} matrix")
    gen = _rng(rng)
    return (haar_orthonormal(m, p, gen) * sigma[None, :]) @ haar_orthonormal(n, p, gen).T


def test_matrix(family: str, shape: tuple[int, int] = (128, 64), rng=0) -> np.ndarray:
    """One float64 matrix of ``family`` (see the module table) with ``shape = (m, n)``."""
    m, n = int(shape[0]), int(shape[1])
    if m < 1 or n < 1:
        raise ValueError(f"shape must be positive, got {shape}")
    gen = _rng(rng)
    p = min(m, n)
    if family == "gaussian":
        return gen.standard_normal((m, n)) / np.sqrt(n)
    if family.startswith("logspace"):
        try:
            kappa = float(family[len("logspace"):])
        except ValueError:
            raise ValueError(f"unknown family {family!r}") from None
        return with_spectrum(np.logspace(0.0, -np.log10(kappa), p), (m, n), gen)
    if family == "lowrank":
        r = max(1, p // 8)
        sig = gen.standard_normal((m, r)) @ gen.standard_normal((r, n))
        noise = gen.standard_normal((m, n))
        return sig / np.linalg.norm(sig) + 1e-3 * noise / np.linalg.norm(noise)
    if family == "rankdef":
        r = max(1, p // 2)
        return gen.standard_normal((m, r)) @ gen.standard_normal((r, n)) / np.sqrt(n)
    if family == "heavytail":
        r = min(4, p)
        sig = gen.standard_normal((m, r)) @ gen.standard_normal((r, n))
        return sig / np.sqrt(r * n) + 0.3 * gen.standard_t(3.0, size=(m, n)) / np.sqrt(n)
    raise ValueError(f"unknown matrix family {family!r}; valid: {', '.join(MATRIX_FAMILIES)}")


test_matrix.__test__ = False  # not a pytest test despite its name
