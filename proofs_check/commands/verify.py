"""``gluon-ref verify``: run every claim and write the verification report (the main job)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from proofs_check.commands.args import seed_arg
from proofs_check.output import OutputError, OutputFolder, output_dir_arg

HELP = "run every claim (symbolic + numeric) and write Markdown/JSON/PNG reports"


def add_arguments(p: argparse.ArgumentParser) -> None:
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="small sweeps, about a minute (default)")
    mode.add_argument("--full", action="store_true", help="larger sweeps (several minutes)")
    p.add_argument("--only", metavar="PATTERN", help="run claims whose id matches PATTERN "
                   "(glob, or a substring)")
    p.add_argument("--seed", type=seed_arg, default=0, help="random seed, an integer >= 0 (default 0)")
    p.add_argument("--out", type=output_dir_arg, default=Path("gluon-ref-report"),
                   help="output folder (default ./gluon-ref-report)")
    p.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    p.add_argument("--list", action="store_true", help="list the claims and exit")


def run(args: argparse.Namespace) -> int:
    from proofs_check.claims import CheckContext, all_claims
    from proofs_check.report import terminal_table, write_report
    from proofs_check.runner import exit_status, progress_bar, run_claims, select

    try:
        claims = select(all_claims(), args.only)
    except ValueError as exc:
        print(f"gluon-ref verify: {exc}", file=sys.stderr)
        return 2
    if args.list:
        for c in claims:
            print(f"{c.id:40s} {c.status:13s} {c.source}")
        return 0
    # the folder is checked and created before any claim runs: a bad --out costs a second, not the run
    try:
        folder = OutputFolder.prepare(args.out, command="verify",
                                      subdirs=() if args.no_figures else ("figures",))
    except OutputError as exc:
        print(f"gluon-ref verify: {exc}", file=sys.stderr)
        return 2
    mode = "full" if args.full else "quick"
    ctx = CheckContext(seed=args.seed, full=args.full)
    t0 = time.perf_counter()
    show = progress_bar() if sys.stderr.isatty() else _plain_progress
    results = run_claims(claims, ctx, progress=show)
    print(terminal_table(results))
    written = write_report(results, folder, seed=args.seed, mode=mode,
                           figures=not args.no_figures)["_written"]
    status = exit_status(results)
    print(f"report written to {args.out}/ (report.md, report.json"
          f"{', report.html, figures/' if not args.no_figures else ''}) in "
          f"{time.perf_counter() - t0:.1f} s; "
          f"exit status {status}")
    print(written)
    for r in results:
        if r.error:
            print(f"  error in {r.claim.id}: {r.error}", file=sys.stderr)
    return status


def _plain_progress(i: int, n: int, claim_id: str, seconds: float) -> None:
    print(f"[{i}/{n}] {claim_id} ({seconds:.1f} s)", file=sys.stderr, flush=True)
