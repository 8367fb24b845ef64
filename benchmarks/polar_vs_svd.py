"""Newton–Schulz-type iterations versus the exact SVD polar factor: wall-time ratios.

Usage::

    python benchmarks/polar_vs_svd.py                      # small default shapes
    python benchmarks/polar_vs_svd.py --shapes 1024x1024,4096x1024 --repeats 5

For every backend (NumPy always; CuPy too when it imports and sees a GPU), shape, dtype
and method, the method and ``polar_exact`` (thin SVD, docs/polar.md section 1) run
*interleaved* on the same input — one NS call, one SVD call, repeated — after one
warm-up call each, and the best (minimum) times are compared: on a shared machine other
load only ever adds time.  The table prints the ratio
t_method / t_svd (below 1: the iteration is faster), the achieved GFLOP/s of the
iteration by docs/polar.md section 3's counts (quintic step 4p^2 q + 2p^3, cubic 4p^2 q;
p = min(m, n), q = max(m, n)), and the spectral error ||Q - UV^T||_2 measured in
float64 so a fast but inaccurate method is visible as such.

docs/polar.md section 3 notes that no published GPU timing of NS versus SVD at fixed
shapes was found; this script is the suite's measurement.  Timings depend on the
BLAS/LAPACK build and on other load on the machine: compare ratios, and only
within one run.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from gluon_ref.backend import to_numpy  # noqa: E402
from gluon_ref.polar import get_schedule, polar_errors, polar_exact  # noqa: E402
from gluon_ref.polar.metrics import polar_reference  # noqa: E402


def _backends():
    out = [("numpy", np, lambda: None)]
    try:
        import cupy

        if cupy.cuda.runtime.getDeviceCount() > 0:
            out.append(("cupy", cupy, lambda: cupy.cuda.Device().synchronize()))
    except Exception:  # no CuPy, no driver or no device
        pass
    return out


def _flops(schedule, m, n):
    """docs/polar.md section 3: a degree-(2K+1) step costs 4 p^2 q (Gram and B X) + 2 (K-1) p^3 (powers)."""
    p, q = min(m, n), max(m, n)
    total = 0
    for poly in schedule.polynomials:
        k = len(poly) - 1
        total += 4 * p * p * q + 2 * (k - 1) * p**3 if k >= 1 else p * q
    return total


def _time_pair(f, g, sync, repeats):
    f(); sync(); g(); sync()                       # warm-up
    tf, tg = [], []
    for _ in range(repeats):
        t0 = time.perf_counter(); f(); sync(); tf.append(time.perf_counter() - t0)
        t0 = time.perf_counter(); g(); sync(); tg.append(time.perf_counter() - t0)
    return min(tf), min(tg)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shapes", default="256x256,512x128",
                    help="comma list of m x n (default 256x256,512x128)")
    ap.add_argument("--methods", default="muon,polar_express,you5,cubic",
                    help="schedule names at their default steps (default muon,polar_express,you5,cubic)")
    ap.add_argument("--dtypes", default="float32,float64")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    shapes = [tuple(int(v) for v in s.lower().split("x")) for s in args.shapes.split(",")]
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    rng = np.random.default_rng(args.seed)
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}; "
          f"numpy {np.__version__}; best of {args.repeats} interleaved runs")
    head = (f"{'backend':8s} {'shape':11s} {'dtype':8s} {'method':14s} {'T':>3s} "
            f"{'t_NS ms':>9s} {'t_SVD ms':>9s} {'NS/SVD':>7s} {'GFLOP/s':>8s} {'|Q-UV|_2':>9s}")
    print(head)
    print("-" * len(head))
    for bname, xp, sync in _backends():
        for m, n in shapes:
            g64 = rng.standard_normal((m, n))
            for dt in args.dtypes.split(","):
                g = xp.asarray(g64.astype(dt))
                ref = polar_reference(g64.astype(dt).astype(np.float64))
                for name in methods:
                    sch = get_schedule(name)
                    t_ns, t_svd = _time_pair(lambda: sch(g), lambda: polar_exact(g), sync,
                                             args.repeats)
                    err = polar_errors(to_numpy(sch(g)), reference=ref).spectral
                    gf = _flops(sch, m, n) / t_ns / 1e9
                    print(f"{bname:8s} {f'{m}x{n}':11s} {dt:8s} {name:14s} {sch.steps:3d} "
                          f"{t_ns * 1e3:9.3f} {t_svd * 1e3:9.3f} {t_ns / t_svd:7.3f} {gf:8.2f} "
                          f"{err:9.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
