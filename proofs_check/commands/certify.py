"""``gluon-ref certify``: scalar-model certificates of Newton–Schulz schedules (docs/polar.md 2).

Without arguments it certifies every entry of the catalogue of shipped presets
(:mod:`gluon_ref.polar.catalogue`) at its shipped step count and prints one row per
entry: verdict (certified / sign flip at sigma/s > x / band [a, b] / matrix test),
the output band on ``[l, 1/safety]``, the final error, whether ``phi_T`` is monotone,
the largest intermediate value and the source.  Names may be catalogue keys or schedule
families (``gluon-ref certify muon polar_express --steps 8``); ``--coefficients`` certifies
any list.  ``--markdown`` prints the table as Markdown; ``--out DIR`` writes
``certify.json`` (every field) and one ``certify_<name>.png`` per certificate (a picture
of ``phi_T``, with ``--no-plots`` none) through the project's report folder
(:mod:`proofs_check.output`); ``--lmo`` adds the inexact-LMO quantities (dual gap delta
and ``||O||_2``) measured on matrix families in float64 and fused bf16.
Exit status 0; 1 with ``--fail-on-flip`` when some certificate finds a sign flip; 2 for
bad arguments.
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from proofs_check.commands.args import positive_int
from proofs_check.output import OutputError, OutputFolder, output_dir_arg

HELP = "certify Newton–Schulz schedules and shipped presets from the exact scalar model"


def _coefficients(text: str):
    try:
        polys = [tuple(float(v) for v in step.split(",")) for step in text.split(";")
                 if step.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"coefficients look like '3.4445,-4.775,2.0315;2,-1.5,0.5', got {text!r}") from None
    if not polys:
        raise argparse.ArgumentTypeError("empty coefficient list")
    return polys


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("names", nargs="*", metavar="NAME",
                   help="catalogue keys or schedule families (default: the whole catalogue)")
    p.add_argument("--coefficients", type=_coefficients, metavar="A,B,C;...",
                   help="certify this list (one odd polynomial per ';'-separated step)")
    p.add_argument("--steps", type=positive_int, help="number of steps (default: as shipped)")
    p.add_argument("--lo", type=float, default=1e-3, help="lower end l of the input interval "
                   "(default 1e-3)")
    p.add_argument("--hi", type=float, help="upper end (default 1/safety of the normalisation)")
    p.add_argument("--normalization", choices=("frobenius", "clamp", "none"), default="frobenius",
                   help="normalisation of a --coefficients list (default frobenius)")
    p.add_argument("--safety", type=float, default=1.0, help="safety factor of --coefficients")
    p.add_argument("--tolerance", type=float, default=1e-2,
                   help="final error below which the verdict is 'certified' (default 1e-2)")
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    p.add_argument("--out", type=output_dir_arg, metavar="DIR",
                   help="write certify.json and the phi_T figures certify_<name>.png to DIR")
    p.add_argument("--no-plots", action="store_true", help="with --out: no figures")
    p.add_argument("--lmo", action="store_true",
                   help="also measure delta and ||O||_2 on matrix families (float64, fused bf16)")
    p.add_argument("--fail-on-flip", action="store_true",
                   help="exit 1 when a certificate finds a sign flip")


def _entries(args):
    """``(label, thing, source)`` per requested entry; thing is a Preset or a Schedule."""
    from gluon_ref.polar import Schedule, available_schedules, get_schedule
    from gluon_ref.polar.catalogue import available_presets, get_preset

    if args.coefficients:
        return [("custom", Schedule(tuple(args.coefficients), "custom", args.normalization,
                                    1e-7, args.safety), "--coefficients")]
    names = args.names or available_presets()
    out = []
    for name in names:
        key = name.strip().lower()
        if key in available_presets():
            preset = get_preset(key)
            src = preset.sources[0]
            rev = src.revision[:7] if len(src.revision) == 40 else src.revision
            out.append((key, preset, f"{src.repository} {src.path}@{rev}"))
        elif key in available_schedules():
            sch = get_schedule(key, args.steps)
            out.append((key, sch, sch.source or "gluon_ref.polar.schedules"))
        else:
            raise ValueError(f"unknown name {name!r}; catalogue keys: "
                             f"{', '.join(available_presets())}; schedule families: "
                             f"{', '.join(available_schedules())}")
    return out


def _certify(thing, args):
    from gluon_ref.polar.catalogue import Preset, certify_preset
    from gluon_ref.polar.certify import certify

    if isinstance(thing, Preset):
        if args.hi is not None and thing.singular_value_map:
            return certify(thing.schedule(args.steps), args.lo, args.hi, name=thing.key,
                           tolerance=args.tolerance, monotone_claimed=thing.monotone_claimed)
        return certify_preset(thing, args.steps, args.lo, tolerance=args.tolerance)
    return certify(thing, args.lo, args.hi, tolerance=args.tolerance)


def _fmt(v, spec=".4f"):
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, spec)


def _row(label, cert, source):
    r = cert.as_row()
    if cert.kind == "matrix test":
        return {"name": label, "steps": r["steps"], "verdict": cert.verdict, "band": "-",
                "error": _fmt(r["worst_error"], ".3g"), "monotone": "-", "peak": _fmt(r["max_norm"], ".3f"),
                "tail": "-", "source": source}
    tail = (f"[{r['tail_image'][0]:.3f}, {r['tail_image'][1]:.3f}]"
            if all(math.isfinite(v) for v in r["tail_image"]) else "diverges")
    return {"name": label, "steps": r["steps"],
            "verdict": cert.verdict,
            "band": f"[{r['band_lo']:.4f}, {r['band_hi']:.4f}]",
            "error": _fmt(r["final_error"], ".3g"),
            "monotone": "yes" if r["monotone"] else f"no ({r['critical_points']} crit.)",
            "peak": _fmt(r["peak"], ".3f"), "tail": tail, "source": source}


_COLS = ("name", "steps", "verdict", "error", "monotone", "peak", "tail", "source")
_HEAD = {"name": "preset", "steps": "T", "verdict": "verdict",
         "band": "phi_T([l, 1/nu])", "error": "sup|1-phi_T|", "monotone": "monotone",
         "peak": "peak", "tail": "then last poly x50", "source": "source"}


def _print_table(rows, markdown: bool) -> None:
    if markdown:
        print("| " + " | ".join(_HEAD[c].replace("|", "\\|") for c in _COLS) + " |")
        print("|" + "|".join("---" for _ in _COLS) + "|")
        for r in rows:
            print("| " + " | ".join(str(r[c]).replace("|", "\\|") for c in _COLS) + " |")
        return
    cols = [c for c in _COLS if c != "source"]
    widths = {c: max(len(_HEAD[c]), *(len(str(r[c])) for r in rows)) for c in cols}
    print("  ".join(_HEAD[c].ljust(widths[c]) for c in cols))
    print("  ".join("-" * widths[c] for c in cols))
    for r in rows:
        print("  ".join(str(r[c]).ljust(widths[c]) for c in cols))


def _lmo_rows(label, thing, args):
    """delta and ||O||_2 of the entry on matrix families, float64 and fused bf16."""
    import numpy as np

    from gluon_ref.polar.bridge import lmo_quality
    from gluon_ref.polar.catalogue import Preset
    from gluon_ref.polar.matrices import test_matrix

    orth = thing.orthogonalizer(args.steps) if isinstance(thing, Preset) else thing
    emulable = not isinstance(thing, Preset) or thing.singular_value_map
    rows = []
    for fam in ("gaussian", "logspace1e2", "heavytail", "lowrank"):
        g = test_matrix(fam, (96, 48), np.random.default_rng(0))
        for emulate in ((None, "bfloat16-fused") if emulable else (None,)):
            if emulate:
                o = np.asarray(orth(g.astype(np.float32), emulate=emulate), dtype=np.float64)
            else:
                o = np.asarray(orth(g), dtype=np.float64)
            q = lmo_quality(g, o)
            rows.append({"name": label, "family": fam, "precision": emulate or "float64",
                         "delta": q.delta, "norm2": q.rho,
                         "threshold": q.descent_threshold, "descent": q.guarantees_descent})
    return rows


def _plot(label, cert, folder: OutputFolder) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from gluon_ref.polar.scalar_model import compose

    lo, hi = cert.interval
    xs = np.geomspace(lo, hi, 4000)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.semilogx(xs, compose(cert.polynomials, xs), lw=1.2, label=r"$\phi_T$")
    ax.axhline(1.0, color="k", lw=0.6)
    ax.axhline(0.0, color="0.5", lw=0.6)
    ax.axhspan(*cert.band, color="C1", alpha=0.12, label="band")
    for j, (a, b) in enumerate(cert.flip_set):
        ax.axvspan(a, b, color="C3", alpha=0.15, label="sign flip" if j == 0 else None)
    ax.set_xlabel(r"$\sigma/s$")
    ax.set_title(f"{label}: {cert.verdict}", fontsize=8)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    path = str(folder.save_figure(fig, f"certify_{label}.png", dpi=110))
    plt.close(fig)
    return path


def run(args: argparse.Namespace) -> int:
    folder = None
    try:
        if args.out is not None:  # checked before the work, not after it
            folder = OutputFolder.prepare(args.out, command="certify")
        entries = _entries(args)
        certs = [(label, _certify(thing, args), source, thing) for label, thing, source in entries]
    except (ValueError, OutputError) as exc:
        print(f"gluon-ref certify: {exc}", file=sys.stderr)
        return 2
    rows = [_row(label, c, source) for label, c, source, _ in certs]
    _print_table(rows, args.markdown)
    lmo = []
    if args.lmo:
        for label, _, _, thing in certs:
            lmo += _lmo_rows(label, thing, args)
        print()
        print(f"{'preset':24s} {'family':12s} {'precision':15s} {'delta':>8s} {'||O||_2':>8s} "
              f"{'1-rho^2/2':>9s}  descent guaranteed")
        for r in lmo:
            print(f"{r['name']:24s} {r['family']:12s} {r['precision']:15s} {r['delta']:8.4f} "
                  f"{r['norm2']:8.4f} {r['threshold']:9.4f}  {'yes' if r['descent'] else 'no'}")
    if folder is not None:
        payload = {"interval_lo": args.lo, "tolerance": args.tolerance,
                   "certificates": [dict(c.as_row(), source=source)
                                    for _, c, source, _ in certs], "lmo": lmo}
        written = [str(folder.write_text("certify.json",
                                         json.dumps(payload, indent=1, default=float)))]
        if not args.no_plots:
            written += [_plot(label, c, folder) for label, c, _, _ in certs
                        if c.kind != "matrix test"]
        print(f"wrote {len(written)} files: " + ", ".join(written[:3])
              + (", ..." if len(written) > 3 else ""))
        print(folder.finish())
    flips = [label for label, c, _, _ in certs if c.kind == "sign flip"]
    return 1 if (args.fail_on_flip and flips) else 0
