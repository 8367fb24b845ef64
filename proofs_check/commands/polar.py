"""``gluon-ref polar``: Newton–Schulz-type methods against the exact SVD (docs/polar.md).

Prints one row per matrix family x dtype x method x steps (see
:mod:`proofs_check.polar_compare` for every column), and with ``--out DIR``
writes ``polar.json`` (config, machine, rows, error-versus-steps sweep) and
two figures: ``polar_error_vs_steps.png`` (measured markers over the scalar
model's lines) and ``polar_polynomials.png`` (each method's first polynomial
and its composed map ``phi_T`` on [0, 1.3]).  Exit status 1 only when the
scalar model and a float64 run disagree by more than 1e-10 (a defect of the
suite); methods that do not converge are results, not failures.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time

import numpy as np

from gluon_ref.polar import NORMALIZATIONS, available_schedules, get_schedule
from gluon_ref.polar.matrices import MATRIX_FAMILIES
from proofs_check.polar_compare import (
    DEFAULT_METHODS,
    DTYPES,
    CompareConfig,
    convergence_tol,
    machine_description,
    rows_as_dicts,
    run_comparison,
    run_sweep,
    sweep_as_dicts,
)
from proofs_check.output import OutputError, OutputFolder, output_dir_arg
from proofs_check.commands.args import nonneg_int, positive_int, seed_arg

HELP = "Newton–Schulz / Polar Express versus the exact SVD polar factor (docs/polar.md)"

#: float64 runs must match the scalar model this closely (docs/polar.md section 2: ~1e-14)
MODEL_TOL_FLOAT64 = 1e-10


def _csv(kind, valid=None):
    def parse(text: str):
        items = [t.strip() for t in text.split(",") if t.strip()]
        if not items:
            raise argparse.ArgumentTypeError(f"empty {kind} list")
        if valid is not None:
            bad = [t for t in items if t not in valid]
            if bad:
                raise argparse.ArgumentTypeError(
                    f"unknown {kind} {', '.join(bad)}; valid: {', '.join(valid)}")
        return items
    return parse


def _shape(text: str):
    try:
        m, n = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"shape must look like 128x64, got {text!r}") from None
    if m < 1 or n < 1:
        raise argparse.ArgumentTypeError(f"shape must be positive, got {text!r}")
    return (m, n)


def _steps(text: str):
    try:
        vals = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"steps must be integers like 5,10, got {text!r}") from None
    if not vals or min(vals) < 0:
        raise argparse.ArgumentTypeError(f"steps must be non-negative integers, got {text!r}")
    return vals


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--shape", type=_shape, default=(128, 64), help="m x n (default 128x64)")
    p.add_argument("--families", type=_csv("family", MATRIX_FAMILIES),
                   default=list(MATRIX_FAMILIES),
                   help=f"comma list from {', '.join(MATRIX_FAMILIES)} (default all)")
    p.add_argument("--methods", type=_csv("method", available_schedules()),
                   default=list(DEFAULT_METHODS),
                   help=f"comma list from {', '.join(available_schedules())} "
                        f"(default {','.join(DEFAULT_METHODS)})")
    p.add_argument("--steps", type=_steps, default=None,
                   help="comma list of step counts for every method (default: each method's own)")
    p.add_argument("--dtypes", type=_csv("dtype", DTYPES), default=list(DTYPES),
                   help="comma list from float64, float32, float16, bfloat16 (emulated) "
                        "(default all four)")
    p.add_argument("--normalization", choices=NORMALIZATIONS, default=None,
                   help="override every method's normalisation (default: each method's own)")
    p.add_argument("--seed", type=seed_arg, default=0, help="random seed (default 0)")
    p.add_argument("--repeats", type=positive_int, default=3, help="timing repeats after one warm-up, minimum kept (default 3)")
    p.add_argument("--sweep-steps", type=nonneg_int, default=16,
                   help="error-versus-steps sweep over 0..N-1 steps in float64 (default 16; 0 = off)")
    p.add_argument("--out", type=output_dir_arg, default=None,
                   help="directory for polar.json and the PNG figures")
    p.add_argument("--no-plots", action="store_true", help="with --out: skip the figures")


def _fmt(v, spec=".2e"):
    return "nan" if v is None or not math.isfinite(v) else format(v, spec)


def format_table(rows) -> list[str]:
    """The printed table, one line per row (times in milliseconds)."""
    head = (f"{'family':13s} {'method':14s} {'T':>3s} {'dtype':8s} {'interval [lo, hi]':19s} "
            f"{'|Q-UV|_2':>9s} {'model':>9s} {'F/sqrt(r)':>9s} {'orth':>9s} {'leak':>8s} "
            f"{'out min':>8s} {'out max':>8s} {'t ms':>7s} {'svd ms':>7s} {'ratio':>6s}  status")
    lines = [head, "-" * len(head)]
    for r in rows:
        interval = ("-" if r.method == "svd" else
                    f"[{_fmt(r.interval_lo, '.1e')}, {_fmt(r.interval_hi, '.2f')}]")
        model = "-" if r.method == "svd" else _fmt(r.pred_err2)
        lines.append(
            f"{r.family:13s} {r.method:14s} {r.steps:3d} {r.dtype:8s} {interval:19s} "
            f"{_fmt(r.err2):>9s} {model:>9s} {_fmt(r.errF_rms):>9s} {_fmt(r.orth):>9s} "
            f"{_fmt(r.leakage, '.1e'):>8s} "
            f"{_fmt(r.out_min, '.4f'):>8s} {_fmt(r.out_max, '.4f'):>8s} "
            f"{_fmt(r.time_s * 1e3, '.3f'):>7s} {_fmt(r.time_svd_s * 1e3, '.3f'):>7s} "
            f"{_fmt(r.time_ratio, '.2f'):>6s}  {r.status}")
    return lines


def _plots(folder: OutputFolder, cfg, sweep) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    fams = list(dict.fromkeys(p.family for p in sweep))
    if fams:
        fig, axes = plt.subplots(1, len(fams), figsize=(4.2 * len(fams), 3.6), squeeze=False)
        for ax, fam in zip(axes[0], fams):
            for i, method in enumerate(cfg.methods):
                pts = [p for p in sweep if p.family == fam and p.method == method]
                ks = [p.steps for p in pts]
                color = f"C{i}"
                ax.semilogy(ks, [max(p.pred_err2, 1e-17) for p in pts], "-", color=color,
                            label=method)
                ax.semilogy(ks, [max(p.err2, 1e-17) if math.isfinite(p.err2) else np.nan
                                 for p in pts], "o", color=color, ms=3)
            ax.set_title(f"{fam}, {cfg.shape[0]}x{cfg.shape[1]}, float64", fontsize=9)
            ax.set_xlabel("steps T")
            ax.set_ylim(1e-17, 10)
            ax.grid(True, which="major", alpha=0.3)
        axes[0][0].set_ylabel("||Q - UV^T||_2")
        fig.suptitle("markers: measured; lines: scalar model", fontsize=9)
        axes[0][-1].legend(fontsize=7)
        fig.tight_layout()
        path = str(folder.save_figure(fig, "polar_error_vs_steps.png", dpi=110))
        plt.close(fig)
        paths.append(path)

    x = np.linspace(0.0, 1.3, 1301)
    xlog = np.logspace(-4, np.log10(1.3), 2000)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for i, method in enumerate(cfg.methods):
        sch = get_schedule(method)
        with np.errstate(over="ignore", invalid="ignore"):
            axes[0].plot(x, sch.take(1).phi(x), color=f"C{i}", label=method)
            axes[1].plot(x, sch.phi(x), color=f"C{i}", lw=0.9, label=f"{method} (T={sch.steps})")
            axes[2].semilogx(xlog, sch.phi(xlog), color=f"C{i}", label=f"{method} (T={sch.steps})")
    titles = ("first polynomial p_1 on [0, 1.3]", "composed phi_T on [0, 1.3]",
              "composed phi_T, log scale: the small singular values")
    for ax, title, grid in zip(axes, titles, (x, x, xlog)):
        ax.plot(grid, grid, "k:", lw=0.8)
        ax.axhline(1.0, color="k", lw=0.6)
        ax.set_xlim(grid[0] if grid is xlog else 0.0, 1.3)
        ax.set_ylim(-0.3, 1.6)
        ax.set_xlabel("normalised singular value x = sigma / s")
        ax.set_title(title, fontsize=10)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    path = str(folder.save_figure(fig, "polar_polynomials.png", dpi=110))
    plt.close(fig)
    paths.append(path)
    return paths


def run(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    folder = None
    if args.out is not None:  # checked before the measurements, not after them
        try:
            folder = OutputFolder.prepare(args.out, command="polar")
        except OutputError as exc:
            print(f"gluon-ref polar: {exc}", file=sys.stderr)
            return 2
    cfg = CompareConfig(shape=tuple(args.shape), families=args.families, methods=args.methods,
                        steps=args.steps, dtypes=args.dtypes, seed=args.seed,
                        repeats=max(1, args.repeats), sweep_steps=max(0, args.sweep_steps),
                        normalization=args.normalization)
    rows = run_comparison(cfg)
    mach = machine_description()
    print(f"Exact polar factor U_r V_r^T (thin SVD) versus odd-polynomial iterations; "
          f"shape {cfg.shape[0]}x{cfg.shape[1]}, seed {cfg.seed}; {mach['machine']}, "
          f"{mach['cpu_count']} CPUs, numpy {mach['numpy']}; bfloat16 is emulated "
          f"(float32 rounded to bf16 after every operation).")
    print("Errors in float64 against U_r V_r^T of the input cast to each dtype; 'model' is the "
          "scalar-model prediction of |Q-UV|_2; 'interval' is [sigma_min/s, sigma_max/s]; "
          "'orth' is |Q'Q-I|_2 on the range; 'leak' is |Q| on the null spaces; "
          "converged means |Q-UV|_2 <= sqrt(eps) (bf16: 2^-4); times are the best of "
          f"{cfg.repeats} runs after a warm-up.")
    for line in format_table(rows):
        print(line)
    bad = [r for r in rows if r.dtype == "float64" and r.method != "svd"
           and math.isfinite(r.model_gap) and r.model_gap > MODEL_TOL_FLOAT64]
    sweep = run_sweep(cfg) if cfg.sweep_steps > 0 else []
    bad += [p for p in sweep if math.isfinite(p.err2) and abs(p.err2 - p.pred_err2) > MODEL_TOL_FLOAT64]
    if folder is not None:
        payload = {
            "config": {"shape": list(cfg.shape), "families": list(cfg.families),
                       "methods": list(cfg.methods), "steps": cfg.steps, "dtypes": list(cfg.dtypes),
                       "seed": cfg.seed, "repeats": cfg.repeats, "sweep_steps": cfg.sweep_steps,
                       "normalization": cfg.normalization,
                       "convergence_tol": {d: convergence_tol(d) for d in cfg.dtypes}},
            "machine": mach,
            "rows": rows_as_dicts(rows),
            "sweep": sweep_as_dicts(sweep),
        }
        written = [str(folder.write_text("polar.json", json.dumps(payload, indent=1)))]
        if not args.no_plots:
            written += _plots(folder, cfg, sweep)
        print("wrote " + ", ".join(written))
        print(folder.finish())
    print(f"{len(rows)} rows, {len(sweep)} sweep points in {time.perf_counter() - t0:.1f} s; "
          f"{len(bad)} float64 runs disagree with the scalar model by more than "
          f"{MODEL_TOL_FLOAT64:g}")
    return 1 if bad else 0
