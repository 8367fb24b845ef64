"""``gluon-ref equivalence``: every preset against the generic Gluon step (the equivalence table)."""

from __future__ import annotations

import argparse

from proofs_check.equivalence import CASES, build_table, format_table
from proofs_check.commands.args import positive_int, seed_arg

HELP = "equivalence table: each preset vs the generic Gluon step with its norms and stepsizes"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=seed_arg, default=0, help="problem seed (default 0)")
    p.add_argument("--steps", type=positive_int, default=20, help="steps per trajectory (default 20)")
    p.add_argument("--dtype", choices=["float64", "float32"], default="float64",
                   help="float64 (bound 1e-12) or float32 (bound scaled by eps)")
    p.add_argument("--rows", nargs="+", metavar="ROW", choices=[c.name for c in CASES],
                   help="only these rows")


def run(args: argparse.Namespace) -> int:
    if args.steps < 1:
        raise SystemExit("--steps must be >= 1")
    rows = build_table(seed=args.seed, steps=args.steps, dtype=args.dtype, names=args.rows)
    print(format_table(rows, args.steps, args.dtype))
    return 0 if all(r.ok for r in rows) else 1
