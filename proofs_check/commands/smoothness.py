"""``gluon-ref smoothness``: layer-wise smoothness along trajectories (docs/theory.md section 8).

Refits the Gluon authors' published logs, runs the digits MLP and CNN
experiments (fits with minibatch and full-batch gradients, tuned radii against
the predicted ``1/L1``, the circularity test) and the synthetic ground truth,
prints the tables, and writes ``smoothness.json`` and figures.  Quick by
default; ``--full`` adds the radius grids, longer runs and the CNN's
full-batch runs.  ``--jobs N`` / ``--dask-scheduler ADDRESS`` run the four
parts as separate work units (the same smoothness.json as a serial run).
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from pathlib import Path

from proofs_check.executors import add_executor_arguments, executor_from_args, map_ordered
from proofs_check.output import OutputError, OutputFolder, output_dir_arg

HELP = "layer-wise (L0, L1) estimates and fits: authors' logs, digits models, circularity"

PARTS = ("authors", "digits_mlp", "digits_cnn", "synthetic")


def add_arguments(p: argparse.ArgumentParser) -> None:
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="default radii, short runs (default)")
    mode.add_argument("--full", action="store_true", help="radius grids and longer runs (minutes)")
    p.add_argument("--only", metavar="PARTS", help=f"comma-separated subset of {','.join(PARTS)}")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--out", type=output_dir_arg, default=Path("gluon-ref-smoothness"),
                   help="output folder (default ./gluon-ref-smoothness)")
    p.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    add_executor_arguments(p)


def _progress(n_stages: int):
    start = time.perf_counter()
    done = [0]
    tty = sys.stderr.isatty()

    def say(msg: str) -> None:
        done[0] += 1
        i = min(done[0], n_stages)
        width = 28
        bar = "#" * int(width * i / n_stages) + "." * (width - int(width * i / n_stages))
        line = f"[{bar}] {time.perf_counter() - start:6.1f}s {msg[:60]:60s}"
        sys.stderr.write(("\r" if tty else "") + line + ("" if tty else "\n"))
        sys.stderr.flush()

    return say


def run(args: argparse.Namespace) -> int:
    from gluon_ref.smoothness.threads import single_threaded

    with single_threaded():
        return _run(args)


def _part(part: str, full: bool, seed: int, progress=None) -> dict:
    """One independent part of the study (a work unit for ``--jobs``/``--dask-scheduler``),
    on one BLAS thread as in the serial run."""
    from gluon_ref.smoothness.authors import SOURCE
    from gluon_ref.smoothness.threads import single_threaded
    from proofs_check import smoothness_study as study

    with single_threaded():
        if part == "authors":
            return {"source": SOURCE, **study.authors_part(progress)}
        if part == "synthetic":
            return study.synthetic_part(full=full, seed=seed, progress=progress)
        return study.digits_part(part, full=full, seed=seed, progress=progress)


def _run(args: argparse.Namespace) -> int:
    from proofs_check import smoothness_study as study

    parts = PARTS if not args.only else tuple(s.strip() for s in args.only.split(","))
    bad = [s for s in parts if s not in PARTS]
    if bad:
        print(f"gluon-ref smoothness: unknown parts {bad}; choose from {', '.join(PARTS)}",
              file=sys.stderr)
        return 2
    full = bool(args.full)
    try:  # checked before the runs, not after them
        folder = OutputFolder.prepare(args.out, command="smoothness", subdirs=("figures",))
    except OutputError as exc:
        print(f"gluon-ref smoothness: {exc}", file=sys.stderr)
        return 2
    # stages reported: 2 for the authors, 3-7 per model, 2 for the synthetic part
    n_stages = (2 * ("authors" in parts) + 2 * ("synthetic" in parts)
                + sum(5 if full else (4 if m == "digits_mlp" else 2)
                      for m in parts if m.startswith("digits")))
    t0 = time.perf_counter()
    res: dict = {"schema": "gluon-ref/smoothness/1", "seed": args.seed,
                 "mode": "full" if full else "quick"}
    order = [p for p in PARTS if p in parts]
    try:
        with executor_from_args(args) as executor:
            if executor is None:
                say = _progress(max(n_stages, 1))
                outs = [_part(p, full, args.seed, say) for p in order]
            else:   # one work unit per part; the same JSON as the serial run
                say = _progress(len(order))
                outs = map_ordered(functools.partial(_part, full=full, seed=args.seed), order,
                                   executor, lambda i, _out: say(f"{order[i]} done"))
    except (RuntimeError, OSError) as exc:   # no Dask installed, scheduler unreachable
        print(f"gluon-ref smoothness: {exc}", file=sys.stderr)
        return 2
    for part, out in zip(order, outs):
        if part.startswith("digits"):
            res.setdefault("digits", {})[part] = out
        else:
            res[part] = out
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    print(study.tables(res))
    folder.write_text("smoothness.json", json.dumps(res, indent=1, sort_keys=True) + "\n")
    written = [] if args.no_figures else study.figures(res, folder)
    print(f"written to {args.out}/ (smoothness.json{', ' + str(len(written)) + ' figures' if written else ''})"
          f" in {time.perf_counter() - t0:.1f} s")
    print(folder.finish())
    return 0
