"""Report writers: terminal table, Markdown, JSON and PNG figures.

The JSON holds only quantities that depend on the seed (no timings, no
dates), so two runs with the same seed and the same software produce
identical files.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Sequence

from .claims import ClaimResult

__all__ = ["summary_rows", "terminal_table", "to_json", "write_markdown", "write_figures",
           "write_report"]

_SCHEMA = "gluon-ref/verify-report/1"


def _f(x: float) -> float | None:
    """JSON-safe float: NaN and inf become null."""
    return float(x) if isinstance(x, (int, float)) and math.isfinite(x) else None


def _fmt(x: float) -> str:
    return "-" if x is None or not math.isfinite(x) else f"{x:.2e}"


def summary_rows(results: Sequence[ClaimResult]) -> list[dict]:
    rows = []
    for r in results:
        n_broken = sum(not i.hypothesis_held for i in r.instances)
        n_viol = sum(not i.satisfied for i in r.instances)
        rows.append({
            "id": r.claim.id,
            "status": r.claim.status,
            "kind": {"violated": "negative control", "empirical": "empirical"}.get(r.claim.expect,
                                                                                  "claim"),
            "symbolic": "-" if r.symbolic is None else ("proved" if r.symbolic.ok else "FAILED"),
            "n": len(r.instances),
            "violations": n_viol,
            "hyp_broken": n_broken,
            "worst_slack": r.worst_slack,
            "tightness": r.max_tightness,
            "verdict": r.verdict,
        })
    return rows


def terminal_table(results: Sequence[ClaimResult]) -> str:
    rows = summary_rows(results)
    wid = max([len(r["id"]) for r in rows] + [5])
    head = (f"{'claim':{wid}s}  {'status':13s} {'symbolic':8s} {'N':>5s} {'viol':>5s} "
            f"{'hyp!':>4s} {'worst slack':>11s} {'meas/bound':>10s}  verdict")
    lines = [head, "-" * len(head)]
    for r in rows:
        mark = {"claim": "", "negative control": " (control)"}.get(r["kind"], f" ({r['kind']})")
        lines.append(
            f"{r['id']:{wid}s}  {r['status']:13s} {r['symbolic']:8s} {r['n']:5d} "
            f"{r['violations']:5d} {r['hyp_broken']:4d} {_fmt(r['worst_slack']):>11s} "
            f"{_fmt(r['tightness']):>10s}  {r['verdict']}{mark}")
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    lines.append("-" * len(head))
    lines.append(f"{len(rows)} claims: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
    return "\n".join(lines)


def to_json(results: Sequence[ClaimResult], *, seed: int, mode: str) -> dict:
    claims = []
    for r, row in zip(results, summary_rows(results)):
        c = r.claim
        claims.append({
            "id": c.id,
            "statement": c.statement,
            "latex": c.latex,
            "source": c.source,
            "status": c.status,
            "hypotheses": list(c.hypotheses),
            "expect": c.expect,
            "must_hold": c.must_hold,
            "tags": list(c.tags),
            "verdict": r.verdict,
            "error": r.error or None,
            "symbolic": None if r.symbolic is None else {"ok": r.symbolic.ok,
                                                         "detail": r.symbolic.detail},
            "numeric": {
                "instances": len(r.instances),
                "violations": row["violations"],
                "hypothesis_broken": row["hyp_broken"],
                "worst_slack": _f(r.worst_slack),
                "max_tightness": _f(r.max_tightness),
                "measurements": [
                    {"label": i.label, "lhs": _f(i.lhs), "rhs": _f(i.rhs), "relation": i.relation,
                     "tol": _f(i.tol), "slack": _f(i.slack), "satisfied": i.satisfied,
                     "hypothesis_held": i.hypothesis_held, "note": i.note or None}
                    for i in r.instances
                ],
            },
        })
    verdicts = [r.verdict for r in results]
    return {
        "schema": _SCHEMA,
        "seed": seed,
        "mode": mode,
        "summary": {v: verdicts.count(v) for v in sorted(set(verdicts))},
        "claims": claims,
    }


def write_markdown(results: Sequence[ClaimResult], path: Path, *, seed: int, mode: str) -> None:
    rows = summary_rows(results)
    out = ["# gluon-ref verification report\n",
           f"Mode `{mode}`, seed {seed}. Verdicts: *holds* (every instance satisfied), "
           "*fails* (a violation under a held hypothesis: theorem or implementation failure), "
           "*hypothesis broken* (violations only where the proof's hypothesis was measured "
           "not to hold), *flagged* (a negative control found its violation), *missed* "
           "(a negative control found none: a defect of the check), *reproduced* / *not "
           "reproduced* (an empirical claim of a paper measured on data; neither fails the "
           "run), *error*.\n",
           "| claim | source | status | symbolic | N | violations | hyp. broken | worst slack "
           "| measured/bound | verdict |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for r, row in zip(results, rows):
        ctl = {"violated": " (negative control)", "empirical": " (empirical)"}.get(r.claim.expect, "")
        out.append(f"| `{row['id']}` | {r.claim.source} | {row['status']} | {row['symbolic']} "
                   f"| {row['n']} | {row['violations']} | {row['hyp_broken']} "
                   f"| {_fmt(row['worst_slack'])} | {_fmt(row['tightness'])} "
                   f"| **{row['verdict']}**{ctl} |")
    out.append("\n## Statements\n")
    for r in results:
        c = r.claim
        out.append(f"### `{c.id}`: {r.verdict}\n")
        out.append(f"{c.statement}\n")
        out.append(f"$$ {c.latex} $$\n")
        out.append(f"- Source: {c.source} ({c.status})")
        if c.hypotheses:
            out.append(f"- Hypotheses: {'; '.join(c.hypotheses)}")
        if r.symbolic is not None:
            out.append(f"- Symbolic: {'proved' if r.symbolic.ok else 'FAILED'}: {r.symbolic.detail}")
        if r.error:
            out.append(f"- Error: `{r.error}`")
        out.append("")
    path.write_text("\n".join(out) + "\n")


def write_figures(results: Sequence[ClaimResult], folder: Path) -> list[Path]:
    """Measured side against bound for every inequality claim with >= 3 instances,
    plus one overview of the tightness ratios."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    ratios = []
    for r in results:
        pts = [(i.lhs, i.rhs, i.satisfied) for i in r.instances
               if i.relation in ("<=", ">=") and math.isfinite(i.lhs) and math.isfinite(i.rhs)]
        if r.claim.expect == "holds" and math.isfinite(r.max_tightness):
            ratios.append((r.claim.id, r.max_tightness))
        if len(pts) < 3:
            continue
        fig, ax = plt.subplots(figsize=(4, 3.2), dpi=80)
        ok = [(a, b) for a, b, s in pts if s]
        bad = [(a, b) for a, b, s in pts if not s]
        if ok:
            ax.scatter([b for _, b in ok], [a for a, _ in ok], s=8, label="satisfied")
        if bad:
            ax.scatter([b for _, b in bad], [a for a, _ in bad], s=8, c="red", label="violated")
        vals = [abs(v) for a, b, _ in pts for v in (a, b) if v != 0]
        if vals:
            lo, hi = min(vals), max(vals)
            ax.plot([lo, hi], [lo, hi], "k--", lw=0.8, label="measured = bound")
            if hi / max(lo, 1e-300) > 100 and all(v > 0 for a, b, _ in pts for v in (a, b)):
                ax.set_xscale("log")
                ax.set_yscale("log")
        ax.set_xlabel("bound (rhs)")
        ax.set_ylabel("measured (lhs)")
        ax.set_title(r.claim.id, fontsize=8)
        ax.legend(fontsize=6)
        fig.tight_layout()
        p = folder / f"{r.claim.id.replace('/', '_')}.png"
        fig.savefig(p)
        plt.close(fig)
        written.append(p)
    if ratios:
        fig, ax = plt.subplots(figsize=(6, max(2.5, 0.18 * len(ratios))), dpi=80)
        ax.barh([k for k, _ in ratios], [max(v, 1e-16) for _, v in ratios])
        ax.set_xscale("log")
        ax.axvline(1.0, color="k", lw=0.8)
        ax.set_xlabel("max measured/bound (1 = tight)")
        ax.tick_params(axis="y", labelsize=6)
        fig.tight_layout()
        p = folder / "tightness.png"
        fig.savefig(p)
        plt.close(fig)
        written.append(p)
    return written


def write_report(results: Sequence[ClaimResult], out: Path, *, seed: int, mode: str,
                 figures: bool = True) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    data = to_json(results, seed=seed, mode=mode)
    (out / "report.json").write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    write_markdown(results, out / "report.md", seed=seed, mode=mode)
    if figures:
        write_figures(results, out / "figures")
    return data
