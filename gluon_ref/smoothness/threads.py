"""One BLAS thread while the smoothness code runs.

The estimator, the fits and the digits runs multiply small matrices (64 x 64,
at most 8 x 72 by 128 x 64 patches) and call L-BFGS-B thousands of times;
there BLAS threads only add synchronisation, and on a shared 2-core machine
they cost an order of magnitude (measured: a 300-step digits MLP run 1.5 s
single-threaded against 15-30 s with two OpenBLAS threads; the 73 NanoGPT
refits 1 s against 14 s).
"""

from __future__ import annotations

import contextlib

__all__ = ["single_threaded"]


@contextlib.contextmanager
def single_threaded():
    """Limit BLAS/OpenMP pools to one thread inside the block (no-op without threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
        yield
        return
    with threadpool_limits(1):
        yield
