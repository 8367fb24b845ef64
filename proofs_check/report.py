"""Report writers: terminal table, Markdown, JSON, PNG figures and a self-contained HTML page.

The JSON holds only quantities that depend on the seed (no timings, no
dates), so two runs with the same seed and the same software produce
identical files.  The curves checks return for their figures (:class:`Series`) are
drawn, not stored in the JSON.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from typing import Sequence

from .claims import ClaimResult
from .output import OutputFolder

__all__ = ["summary_rows", "terminal_table", "to_json", "markdown", "write_figures",
           "html_page", "write_report"]

_SCHEMA = "gluon-ref/verify-report/1"


def _f(x: float) -> float | None:
    """JSON-safe float: NaN and inf become null."""
    return float(x) if isinstance(x, (int, float)) and math.isfinite(x) else None


def _fmt(x: float) -> str:
    return "-" if x is None or not math.isfinite(x) else f"{x:.2e}"


def _ratio(x: float) -> str:
    return "-" if x is None or not math.isfinite(x) else f"{x:.3f}"


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
            "distinct": r.n_distinct,
            "dropped": len(r.dropped),
            "violations": n_viol,
            "hyp_broken": n_broken,
            "worst_slack": r.worst_slack,
            "tightness": r.max_tightness,
            "attainment": r.attainment,
            "verdict": r.verdict,
        })
    return rows


def terminal_table(results: Sequence[ClaimResult]) -> str:
    rows = summary_rows(results)
    wid = max([len(r["id"]) for r in rows] + [5])
    head = (f"{'claim':{wid}s}  {'status':13s} {'symbolic':8s} {'N':>5s} {'dist':>5s} {'drop':>4s} "
            f"{'viol':>5s} {'hyp!':>4s} {'worst slack':>11s} {'meas/bound':>10s} {'attain':>6s}  verdict")
    lines = [head, "-" * len(head)]
    for r in rows:
        mark = {"claim": "", "negative control": " (control)"}.get(r["kind"], f" ({r['kind']})")
        lines.append(
            f"{r['id']:{wid}s}  {r['status']:13s} {r['symbolic']:8s} {r['n']:5d} {r['distinct']:5d} "
            f"{r['dropped']:4d} {r['violations']:5d} {r['hyp_broken']:4d} {_fmt(r['worst_slack']):>11s} "
            f"{_fmt(r['tightness']):>10s} {_ratio(r['attainment']):>6s}  {r['verdict']}{mark}")
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
            "hypothesis": c.hypothesis,
            "breaks": c.breaks or None,
            "expect": c.expect,
            "must_hold": c.must_hold,
            "tags": list(c.tags),
            "verdict": r.verdict,
            "error": r.error or None,
            "symbolic": None if r.symbolic is None else {"ok": r.symbolic.ok,
                                                         "detail": r.symbolic.detail},
            "numeric": {
                "instances": len(r.instances),
                "distinct": row["distinct"],
                "dropped": [{"label": d.label, "reason": d.reason} for d in r.dropped],
                "violations": row["violations"],
                "hypothesis_broken": row["hyp_broken"],
                "worst_slack": _f(r.worst_slack),
                "max_tightness": _f(r.max_tightness),
                "attainment": _f(r.attainment),
                "measurements": [
                    {"label": i.label, "lhs": _f(i.lhs), "rhs": _f(i.rhs), "relation": i.relation,
                     "tol": _f(i.tol), "slack": _f(i.slack), "satisfied": i.satisfied,
                     "hypothesis_held": i.hypothesis_held, "note": i.note or None,
                     "kind": i.kind}
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


def markdown(results: Sequence[ClaimResult], *, seed: int, mode: str) -> str:
    """The Markdown report: a summary table, then each claim's statement, source and verdict."""
    rows = summary_rows(results)
    out = ["# gluon-ref verification report\n",
           f"Mode `{mode}`, seed {seed}. Verdicts: *holds* (every instance satisfied), "
           "*fails* (a violation under a held hypothesis, a failed symbolic proof, or a "
           "measured break of a hypothesis the claim proves: theorem or implementation "
           "failure), *hypothesis broken* (violations only where an empirical hypothesis was "
           "measured not to hold), *not checked* (no instance measured: no evidence), "
           "*flagged* (a negative control found a violation where the hypothesis it names "
           "was measured broken), *missed* (a negative control found none: a defect of the "
           "check), *error* (an exception, or a control violated for another reason than the "
           "one it names), *reproduced* / *not reproduced* (an empirical claim: a paper's "
           "observation measured on data; neither fails the run). N counts instances, distinct those with distinct measured pairs, "
           "dropped the planned instances that could not be measured; attainment is measured/bound "
           "on the claim's extremal instance (required >= 0.99; blank where the bound is loose by "
           "design, as the statement says).\n",
           "| claim | source | status | symbolic | N | distinct | dropped | violations "
           "| hyp. broken | worst slack | measured/bound | attainment | verdict |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r, row in zip(results, rows):
        ctl = {"violated": " (negative control)", "empirical": " (empirical)"}.get(r.claim.expect, "")
        out.append(f"| `{row['id']}` | {r.claim.source} | {row['status']} | {row['symbolic']} "
                   f"| {row['n']} | {row['distinct']} | {row['dropped']} | {row['violations']} "
                   f"| {row['hyp_broken']} "
                   f"| {_fmt(row['worst_slack'])} | {_fmt(row['tightness'])} "
                   f"| {_ratio(row['attainment'])} "
                   f"| **{row['verdict']}**{ctl} |")
    out.append("\n## Statements\n")
    for r in results:
        c = r.claim
        out.append(f"### `{c.id}`: {r.verdict}\n")
        out.append(f"{c.statement}\n")
        out.append(f"$$ {c.latex} $$\n")
        out.append(f"- Source: {c.source} ({c.status})")
        if c.hypotheses:
            out.append(f"- Hypotheses ({c.hypothesis}): {'; '.join(c.hypotheses)}")
        if c.breaks:
            out.append(f"- Negative control; breaks: {c.breaks}")
        if r.dropped:
            reasons: dict[str, int] = {}
            for d in r.dropped:
                reasons[d.reason] = reasons.get(d.reason, 0) + 1
            out.append(f"- Dropped {len(r.dropped)}: "
                       + "; ".join(f"{n} x {why}" for why, n in reasons.items()))
        if r.symbolic is not None:
            out.append(f"- Symbolic: {'proved' if r.symbolic.ok else 'FAILED'}: {r.symbolic.detail}")
        if r.error:
            out.append(f"- Error: `{r.error}`")
        out.append("")
    return "\n".join(out) + "\n"


def _title(r: ClaimResult) -> str:
    """The claim's id and, wrapped, the start of its statement (the figure states the claim)."""
    import textwrap

    text = r.claim.statement if len(r.claim.statement) <= 150 else r.claim.statement[:147] + "..."
    return r.claim.id + "\n" + "\n".join(textwrap.wrap(text, 90)[:2])


_STYLE = {"measured": dict(ls="-", lw=1.2), "bound": dict(ls="--", lw=1.0)}


def _draw_series(ax, series) -> None:
    log = next((s.log for s in series if s.log), "")
    last = None
    for s in series:
        kw = {"color": s.colour} if s.colour else {}
        if s.style == "marks":
            ax.plot(s.x, s.y, "x", ms=6, mew=1.5, label=s.label, **kw)
        elif s.style == "level":
            ax.axhline(s.y[0], color=s.colour or "k", lw=0.8, ls=":", label=s.label)
        else:
            if s.style == "bound" and not s.colour and last is not None:
                kw = {"color": last}
            (line,) = ax.plot(s.x, s.y, label=s.label, **_STYLE[s.style], **kw)
            last = line.get_color() if s.style == "measured" else None
    if "x" in log:
        ax.set_xscale("log")
    if "y" in log:
        ax.set_yscale("log")
    first = next((s for s in series if s.xlabel or s.ylabel), series[0])
    ax.set_xlabel(first.xlabel or "x")
    ax.set_ylabel(first.ylabel or "y")


def _draw_instances(ax, r: ClaimResult) -> bool:
    """Default picture: inequalities as measured against bound (y = x is equality), identities
    as error / allowance (1 = the allowance is used up)."""
    ineq = [i for i in r.instances if i.kind == "bound" and i.relation in ("<=", ">=")
            and math.isfinite(i.lhs) and math.isfinite(i.rhs)]
    ident = [i for i in r.instances if i.relation == "==" and math.isfinite(i.lhs)
             and math.isfinite(i.rhs)]
    if len(ineq) >= len(ident) and ineq:
        for ok, colour, name in ((True, "C0", "satisfied"), (False, "C3", "violated")):
            pts = [i for i in ineq if i.satisfied == ok]
            if pts:
                ax.scatter([i.rhs for i in pts], [i.lhs for i in pts], s=10, c=colour,
                           label=f"{name} ({len(pts)})")
        vals = [abs(v) for i in ineq for v in (i.lhs, i.rhs) if v != 0]
        if vals:
            lo, hi = min(vals), max(vals)
            ax.plot([lo, hi], [lo, hi], "k--", lw=0.8, label="measured = bound")
            if hi / max(lo, 1e-300) > 100 and all(v > 0 for i in ineq for v in (i.lhs, i.rhs)):
                ax.set_xscale("log")
                ax.set_yscale("log")
        ax.set_xlabel("bound (right side)")
        ax.set_ylabel("measured (left side)")
        return True
    if ident:
        ratio = [max(abs(i.lhs - i.rhs) / i.tol, 1e-6) if i.tol > 0 else
                 (1e-6 if i.lhs == i.rhs else 1e6) for i in ident]
        ax.scatter(range(len(ratio)), ratio, s=10, c=["C0" if i.satisfied else "C3" for i in ident])
        ax.axhline(1.0, color="k", lw=0.8, ls="--", label="allowance (derived rounding bound)")
        ax.set_yscale("log")
        ax.set_xlabel("instance")
        ax.set_ylabel("|measured - expected| / allowance")
        return True
    return False


def write_figures(results: Sequence[ClaimResult], out: OutputFolder, subdir: str = "figures"
                  ) -> dict[str, Path]:
    """One figure per claim that the claim's family draws: the curves its check returns
    (Theorem 1 quantity and bound against K, Theorem 2 running minima and fitted slopes of the
    schedule and each control, phi_T with the Muon band and the exact image, the per-step
    conclusion along non-separable runs), else measured against bound or error against
    allowance; plus an overview of tightness and attainment, saved atomically under
    ``out/subdir``.  Returns ``claim id -> file``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written: dict[str, Path] = {}
    for r in results:
        fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=80)
        drawn = True
        if r.series:
            _draw_series(ax, r.series)
        else:
            drawn = _draw_instances(ax, r)
        att = [i for i in r.instances if i.kind == "attainment"]
        if drawn and att:
            ax.plot([], [], " ", label=f"attainment: measured/bound = {r.attainment:.4f}")
        if not drawn:
            plt.close(fig)
            continue
        # the title as figure text: an axes title makes matplotlib measure every tick label
        fig.text(0.01, 0.99, _title(r), fontsize=7.5, va="top", ha="left")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=6.5, loc="best")
        ax.grid(True, which="major", lw=0.3, alpha=0.5)
        fig.subplots_adjust(left=0.13, right=0.97, top=0.86, bottom=0.12)  # fixed: tight_layout is slow
        written[r.claim.id] = out.save_figure(fig, f"{subdir}/{r.claim.id.replace('/', '_')}.png")
        plt.close(fig)
    ratios = [(r.claim.id, r.max_tightness, r.attainment) for r in results
              if r.claim.expect == "holds" and (math.isfinite(r.max_tightness)
                                                or math.isfinite(r.attainment))]
    if ratios:
        fig, ax = plt.subplots(figsize=(7, max(3.0, 0.17 * len(ratios))), dpi=90)
        y = np.arange(len(ratios))
        ax.barh(y, [max(t, 1e-16) if math.isfinite(t) else 0 for _, t, _ in ratios], height=0.4,
                label="largest measured/bound over the instances")
        ax.scatter([a for _, _, a in ratios if math.isfinite(a)],
                   [k for k, (_, _, a) in enumerate(ratios) if math.isfinite(a)], c="C3", s=12,
                   zorder=3, label="attainment instance (required >= 0.99)")
        ax.set_yticks(y, [k for k, _, _ in ratios], fontsize=6)
        ax.set_xscale("log")
        ax.axvline(1.0, color="k", lw=0.8)
        ax.set_xlabel("measured / bound (1 = the bound is attained)")
        ax.set_title("How tight is each bound?", fontsize=9)
        ax.legend(fontsize=7)
        fig.tight_layout()
        written["tightness"] = out.save_figure(fig, f"{subdir}/tightness.png")
        plt.close(fig)
    return written


_VERDICT_COLOUR = {"holds": "#2e7d32", "flagged": "#1565c0", "hypothesis broken": "#ef6c00",
                   "fails": "#c62828", "missed": "#c62828", "error": "#c62828",
                   "not checked": "#c62828"}


def html_page(results: Sequence[ClaimResult], figures: dict[str, Path], *, seed: int,
              mode: str) -> str:
    """One self-contained page: the summary table with a verdict filter, then every claim with
    its statement, source, hypotheses, measurement summary and figure (inlined PNG)."""
    import base64
    import html

    def esc(x) -> str:
        return html.escape(str(x))

    def img(p: Path) -> str:
        data = base64.b64encode(p.read_bytes()).decode("ascii")
        return f'<img alt="figure" src="data:image/png;base64,{data}">'

    rows = summary_rows(results)
    verdicts = sorted({r["verdict"] for r in rows})
    counts = ", ".join(f"{sum(r['verdict'] == v for r in rows)} {v}" for v in verdicts)
    out = ["<!DOCTYPE html><html><head><meta charset='utf-8'><title>gluon-ref verification report"
           "</title><style>body{font-family:sans-serif;margin:1.5em;max-width:1100px}"
           "table{border-collapse:collapse;font-size:12px;width:100%}td.src{max-width:24em}td,th{border:1px solid #ccc;"
           "padding:2px 6px}th{background:#eee;position:sticky;top:0}td.v{font-weight:bold}"
           "section{border-top:1px solid #ddd;margin-top:1.2em}img{max-width:100%}"
           "code{background:#f4f4f4}.src{color:#555;font-size:12px}</style></head><body>",
           f"<h1>gluon-ref verification report</h1><p>Mode <code>{esc(mode)}</code>, seed {seed}: "
           f"{len(rows)} claims: {esc(counts)}.</p>",
           "<p>Verdicts: <i>holds</i>, <i>fails</i> (a violation where the hypothesis held, a "
           "failed symbolic proof, or a broken proved hypothesis), <i>hypothesis broken</i> "
           "(empirical hypothesis measured broken), <i>not checked</i> (no instance), "
           "<i>flagged</i> (a control found the violation its named hypothesis causes), "
           "<i>missed</i>, <i>error</i>. Attainment: measured/bound on the extremal instance.</p>",
           "<p>Show verdict: <select id='vf' onchange='filt()'><option value=''>all</option>"
           + "".join(f"<option>{esc(v)}</option>" for v in verdicts) + "</select> "
           + (f"<a href='#fig-tightness'>tightness overview</a>" if "tightness" in figures else "")
           + "</p>",
           "<table id='t'><tr><th>claim</th><th>status</th><th>symbolic</th><th>N</th>"
           "<th>distinct</th><th>dropped</th><th>viol.</th><th>hyp. broken</th>"
           "<th>meas/bound</th><th>attain</th><th>verdict</th><th>source</th></tr>"]
    for r, row in zip(results, rows):
        colour = _VERDICT_COLOUR.get(row["verdict"], "#000")
        ctl = {"violated": " (control)", "empirical": " (empirical)"}.get(r.claim.expect, "")
        out.append(
            f"<tr data-v='{esc(row['verdict'])}'><td><a href='#{esc(row['id'])}'>{esc(row['id'])}</a>"
            f"</td><td>{esc(row['status'])}</td><td>{esc(row['symbolic'])}</td><td>{row['n']}</td>"
            f"<td>{row['distinct']}</td><td>{row['dropped']}</td><td>{row['violations']}</td>"
            f"<td>{row['hyp_broken']}</td><td>{_fmt(row['tightness'])}</td>"
            f"<td>{_ratio(row['attainment'])}</td><td class='v' style='color:{colour}'>"
            f"{esc(row['verdict'])}{ctl}</td><td class='src'>{esc(r.claim.source)}</td></tr>")
    out.append("</table>")
    if "tightness" in figures:
        out.append(f"<section id='fig-tightness'><h2>Tightness overview</h2>{img(figures['tightness'])}"
                   "</section>")
    for r, row in zip(results, rows):
        c = r.claim
        parts = [f"<section id='{esc(c.id)}' data-v='{esc(r.verdict)}'><h3>{esc(c.id)}: "
                 f"<span style='color:{_VERDICT_COLOUR.get(r.verdict, '#000')}'>{esc(r.verdict)}"
                 f"</span></h3><p>{esc(c.statement)}</p><p><code>{esc(c.latex)}</code></p>",
                 f"<p class='src'>Source: {esc(c.source)} ({esc(c.status)})</p>"]
        if c.hypotheses:
            parts.append(f"<p>Hypotheses ({esc(c.hypothesis)}): {esc('; '.join(c.hypotheses))}</p>")
        if c.breaks:
            parts.append(f"<p>Negative control; breaks: <b>{esc(c.breaks)}</b></p>")
        parts.append(f"<p>N = {row['n']} ({row['distinct']} distinct), dropped {row['dropped']}, "
                     f"violations {row['violations']}, hypothesis broken {row['hyp_broken']}, "
                     f"worst slack {_fmt(row['worst_slack'])}, measured/bound "
                     f"{_fmt(row['tightness'])}, attainment {_ratio(row['attainment'])}.</p>")
        if r.dropped:
            reasons: dict[str, int] = {}
            for d in r.dropped:
                reasons[d.reason] = reasons.get(d.reason, 0) + 1
            parts.append("<p>Dropped: " + esc("; ".join(f"{n} x {w}" for w, n in reasons.items()))
                         + "</p>")
        if r.symbolic is not None:
            parts.append(f"<p>Symbolic: {'proved' if r.symbolic.ok else 'FAILED'}: "
                         f"{esc(r.symbolic.detail)}</p>")
        if r.error:
            parts.append(f"<p style='color:#c62828'>Error: {esc(r.error)}</p>")
        if c.id in figures:
            parts.append(img(figures[c.id]))
        parts.append("<p><a href='#t'>back to the table</a></p></section>")
        out.append("".join(parts))
    out.append("<script>function filt(){var v=document.getElementById('vf').value;"
               "document.querySelectorAll('[data-v]').forEach(function(e){e.style.display="
               "(!v||e.getAttribute('data-v')==v)?'':'none';});}</script></body></html>")
    return "\n".join(out) + "\n"


def write_report(results: Sequence[ClaimResult], out: OutputFolder | Path, *, seed: int, mode: str,
                 figures: bool = True) -> dict:
    """Write report.json, report.md and (optionally) figures/ and the self-contained
    report.html into ``out`` as one set.

    ``out`` is an :class:`~proofs_check.output.OutputFolder` prepared before the
    claims ran (a path is prepared here).  Files of an earlier report that this
    one does not rewrite are removed; nothing else in the folder is touched.
    The sentence saying so is stored in the returned dict under ``"_written"``
    (not part of the JSON file).
    """
    if not isinstance(out, OutputFolder):
        out = OutputFolder.prepare(out, command="verify", subdirs=("figures",) if figures else ())
    data = to_json(results, seed=seed, mode=mode)
    out.write_text("report.json", json.dumps(data, indent=1, sort_keys=True) + "\n")
    out.write_text("report.md", markdown(results, seed=seed, mode=mode))
    if figures:
        written = write_figures(results, out)
        out.write_text("report.html", html_page(results, written, seed=seed, mode=mode))
    return {**data, "_written": out.finish()}
