"""``gluon-ref bench``: speed and memory of the polar methods, side by side (issue 14).

See :mod:`proofs_check.bench` for what is measured and how it is timed.
Prints the tables and, with ``--out FILE``, writes the JSON.
"""

from __future__ import annotations

import argparse
import sys

from proofs_check.bench import (
    DEFAULT_SHAPES,
    FULL_SHAPES,
    BenchConfig,
    format_report,
    run_bench,
    write_json,
)
from proofs_check.commands.args import positive_int
from proofs_check.commands.polar import _csv, _shape
from proofs_check.output import OutputError, prepare_output_file

HELP = "benchmark the polar methods: ratios to their FLOP floor, to the SVD, Gram vs standard"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--full", action="store_true",
                   help="add 4096x4096 and the issue's stacks (72 of 768x768, 24 of 768x3072)")
    p.add_argument("--shapes", type=lambda t: [_shape(s) for s in _csv("shape")(t)], default=None,
                   help="comma list of m x n (default "
                        + ",".join(f"{m}x{n}" for m, n in DEFAULT_SHAPES) + ")")
    p.add_argument("--stacks", type=lambda t: [_stack(s) for s in _csv("stack")(t)], default=None,
                   help="comma list of k x m x n stacks, looped vs batched (default 72x192x192,"
                        "24x192x768; --full: 72x768x768,24x768x3072)")
    p.add_argument("--methods", type=_csv("method"), default=["muon", "polar_express"],
                   help="schedule names at their default steps (default muon,polar_express)")
    p.add_argument("--repeats", type=positive_int, default=3, help="interleaved rounds after a warm-up "
                   "round, best kept (default 3)")
    p.add_argument("--backend", choices=("numpy", "cupy", "array_api_strict"), default="numpy",
                   help="numpy (default); cupy: the current GPU, wall clock after a device sync, "
                        "FLOPs without half-cost symmetric products; array_api_strict: the GPU "
                        "code path on the host (a check, not a timing)")
    p.add_argument("--dtype", choices=("float32", "float16"), default="float32",
                   help="input dtype (default float32; float16 for GPUs)")
    p.add_argument("--timer", choices=("cpu", "wall"), default="cpu",
                   help="cpu: process CPU time with BLAS pinned to one thread (default); "
                        "wall: wall clock with the BLAS's own threads")
    p.add_argument("--no-verify", action="store_true",
                   help="skip timing gluon-ref verify --quick serial vs --jobs 2")
    p.add_argument("--verify-repeats", type=positive_int, default=1,
                   help="interleaved rounds of the verify timing, best kept (default 1)")
    p.add_argument("--out", default=None, help="write the JSON here")


def _stack(text: str):
    try:
        k, m, n = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"stack must look like 72x192x192, got {text!r}") from None
    if min(k, m, n) < 1:
        raise argparse.ArgumentTypeError(f"stack must be positive, got {text!r}")
    return (k, m, n)


def run(args: argparse.Namespace) -> int:
    if args.out:  # checked before the benchmark runs, not after minutes of timing
        try:
            prepare_output_file(args.out)
        except OutputError as exc:
            print(f"gluon-ref bench: {exc}", file=sys.stderr)
            return 2
    shapes = args.shapes or (FULL_SHAPES if args.full else DEFAULT_SHAPES)
    stacks = args.stacks or (((72, 768, 768), (24, 768, 3072)) if args.full else BenchConfig.stacks)
    from proofs_check.bench import Backend

    cfg = BenchConfig(backend=Backend.named(args.backend), dtype=args.dtype, shapes=shapes, methods=args.methods, stacks=stacks,
                      repeats=max(1, args.repeats), timer=args.timer,
                      verify_repeats=0 if args.no_verify else max(1, args.verify_repeats))
    data = run_bench(cfg, progress=lambda msg: print(msg, file=sys.stderr, flush=True))
    for line in format_report(data):
        print(line)
    if args.out:
        write_json(data, args.out)
        print(f"wrote {args.out}")
    return 0
