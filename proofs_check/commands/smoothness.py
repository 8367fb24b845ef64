"""``gluon-ref smoothness``: layer-wise smoothness along trajectories (docs/theory.md section 8).

Refits the Gluon authors' published logs, runs the digits MLP and CNN
experiments (fits with minibatch and full-batch gradients, tuned radii against
the predicted ``1/L1``, the circularity test) and the synthetic ground truth,
prints the tables, and writes ``smoothness.json`` and figures.  Quick by
default; ``--full`` adds the radius grids, longer runs and the CNN's
full-batch runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

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


def _run(args: argparse.Namespace) -> int:
    from proofs_check import smoothness_study as study
    from gluon_ref.smoothness.authors import SOURCE

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
    say = _progress(max(n_stages, 1))
    t0 = time.perf_counter()
    res: dict = {"schema": "gluon-ref/smoothness/1", "seed": args.seed,
                 "mode": "full" if full else "quick"}
    if "authors" in parts:
        res["authors"] = {"source": SOURCE, **study.authors_part(say)}
    for model in ("digits_mlp", "digits_cnn"):
        if model in parts:
            res.setdefault("digits", {})[model] = study.digits_part(model, full=full, seed=args.seed,
                                                                    progress=say)
    if "synthetic" in parts:
        res["synthetic"] = study.synthetic_part(full=full, seed=args.seed, progress=say)
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    print(study.tables(res))
    folder.write_text("smoothness.json", json.dumps(res, indent=1, sort_keys=True) + "\n")
    written = [] if args.no_figures else study.figures(res, folder)
    print(f"written to {args.out}/ (smoothness.json{', ' + str(len(written)) + ' figures' if written else ''})"
          f" in {time.perf_counter() - t0:.1f} s")
    print(folder.finish())
    return 0
