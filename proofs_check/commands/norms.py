"""``gluon-ref norms``: the catalogue with its LMO identities measured on random gradients."""

from __future__ import annotations

import argparse

import numpy as np

from gluon_ref.norms import available_norms, get_norm
from proofs_check.lmo_checks import example_shape, measure_lmo
from proofs_check.commands.args import positive_int, seed_arg

HELP = "table of every norm with its measured LMO identities (docs/norms.md section 6)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=seed_arg, default=0, help="random seed (default 0)")
    p.add_argument("--trials", type=positive_int, default=5, help="random gradients per norm (default 5)")
    p.add_argument("--dtype", choices=["float64", "float32"], default="float64")


def run(args: argparse.Namespace) -> int:
    rng = np.random.default_rng(args.seed)
    dtype = np.dtype(args.dtype)
    tol = 1e3 * float(np.finfo(dtype).eps)
    header = (f"{'norm':20s} {'shape':14s} {'lmo factor':>10s} {'value err':>10s} "
              f"{'|lmo|-1':>10s} {'homog.':>10s} {'odd':>10s} {'opt slack':>10s} "
              f"{'dual-dual':>10s}  ok")
    print(f"LMO identities, worst over {args.trials} Gaussian gradients, {dtype}, "
          f"200 feasible points each; ok = every error <= {tol:.1e} and slack >= -{tol:.1e}")
    print(header)
    print("-" * len(header))
    failures = 0
    for name in available_norms():
        norm = get_norm(name)
        shape = example_shape(norm)
        ms = [measure_lmo(norm, rng.standard_normal(shape).astype(dtype), rng)
              for _ in range(args.trials)]
        worst = {f: max(getattr(m, f) for m in ms)
                 for f in ("value_error", "sphere_error", "homogeneity", "oddness", "dual_of_dual")}
        slack = min(m.optimality_slack for m in ms)
        ok = all(v <= tol for v in worst.values()) and slack >= -tol
        failures += not ok
        print(f"{name:20s} {str(shape):14s} {norm.lmo_factor(shape):10.4g} "
              f"{worst['value_error']:10.2e} {worst['sphere_error']:10.2e} "
              f"{worst['homogeneity']:10.2e} {worst['oddness']:10.2e} {slack:10.2e} "
              f"{worst['dual_of_dual']:10.2e}  {'yes' if ok else 'NO'}")
    print(f"{len(available_norms()) - failures}/{len(available_norms())} norms pass")
    return 1 if failures else 0
