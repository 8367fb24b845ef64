"""The layer-wise smoothness study behind ``gluon-ref smoothness`` (docs/theory.md section 8, issue 11).

Three parts, each a function returning plain JSON-ready data:

* :func:`authors_part` -- the Gluon authors' published logs refitted: per layer
  (L0, L1, MSE_rel), the stepsize claim (1/L1 against the radius of the run)
  and the decomposition ``lhat = c G / t``;
* :func:`digits_part` -- the digits MLP and CNN: fits along unScion runs with
  minibatch and full-batch gradients, ``L0`` near convergence, the tuned radii
  (grid in full mode) against the predicted ``1/L1``, and the circularity
  slopes;
* :func:`synthetic_part` -- planted pairs and objectives with proved constants.

:func:`tables` turns the data into the printed tables, :func:`figures` into
PNG files.  Everything depends only on the seed and the mode.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Callable

import numpy as np

from gluon_ref.smoothness import (LOWER, MODELS, PLANTED_NORMS, RUNS, SYNTHETIC_OBJECTIVES, circularity,
                                  estimate_pair, fit_l0l1, fit_l0l1_exact, load_authors_logs,
                                  planted_pairs, refit, run, synthetic_run, tune)

__all__ = ["authors_part", "digits_part", "synthetic_part", "tables", "figures", "L0_SHARE_NEAR_ZERO"]

#: "L0 near 0": L0 is below this share of the envelope L0 + L1 G at the median late anchor
L0_SHARE_NEAR_ZERO = 0.1

Progress = Callable[[str], None]


def _f(x) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _fit_row(fit) -> dict:
    return {"L0": fit.L0, "L1": fit.L1, "mse_rel": _f(fit.mse_rel), "one_over_L1": 1.0 / fit.L1}


# -- the authors' logs -------------------------------------------------------------------

def authors_part(progress: Progress | None = None) -> dict:
    """Refit every published run; per layer and per group summaries (module docstring)."""
    data = load_authors_logs()
    out = {"runs": {}}
    for drop in (False, True):
        fits = refit(data, drop_first=drop)
        for name, layers in fits.items():
            entry = out["runs"].setdefault(name, {
                "model": RUNS[name].model, "optimizer": RUNS[name].optimizer,
                "gradients": RUNS[name].gradients, "norms": RUNS[name].norms,
                "file": RUNS[name].file, "measurements": len(data[name]),
                "radii": dict(RUNS[name].radii), "layers": {}, "groups": {}})
            key = "drop_first" if drop else "all"
            for idx, r in layers.items():
                row = entry["layers"].setdefault(str(idx), {"name": r.name, "group": r.group,
                                                            "radius": r.radius})
                row[key] = {**_fit_row(r.fit), "noise_factor": _f(r.noise_factor)}
            groups: dict[str, list] = {}
            for r in layers.values():
                groups.setdefault(r.group, []).append(r)
            for g, rs in groups.items():
                L1 = np.array([r.fit.L1 for r in rs])
                L0 = np.array([r.fit.L0 for r in rs])
                mse = np.array([r.fit.mse_rel for r in rs])
                c = np.array([r.noise_factor for r in rs])
                t = rs[0].radius
                med = float(np.median(L1))
                entry["groups"].setdefault(g, {})[key] = {
                    "layers": len(rs), "L1_min": float(L1.min()), "L1_median": med,
                    "L1_max": float(L1.max()), "L0_max": float(L0.max()),
                    "L0_above_0.01": int((L0 > 0.01).sum()),
                    "mse_rel_min": float(mse.min()), "mse_rel_max": float(mse.max()),
                    "radius": t, "one_over_L1": 1.0 / med,
                    "t_times_L1": _f(t * med) if t else None,
                    "noise_factor_median": _f(np.median(c)) if t else None,
                    "t_over_c": _f(t / np.median(c)) if t else None,
                }
        if progress:
            progress(f"authors' logs refitted ({'first measurement dropped' if drop else 'all'})")
    return out


# -- digits models -----------------------------------------------------------------------

def _trace_fits(trace, late: float = 0.5) -> dict:
    out = {}
    for layer in trace.layers:
        whole, tail = trace.fit(layer), trace.fit(layer, late)
        s = slice(int(math.floor(late * trace.k.size)), None)
        g_med = float(np.median(trace.gnorm[layer][s]))
        # both constants at their lower bound: every late estimate is below 1e-6 (L0 + L1 G),
        # the fit is degenerate and a share says nothing
        degenerate = tail.L0 <= LOWER and tail.L1 <= LOWER
        share = math.nan if degenerate else tail.L0 / (tail.L0 + tail.L1 * g_med)
        out[layer] = {"all": _fit_row(whole), "late": {**_fit_row(tail), "G_median": g_med,
                                                      "L0_share": _f(share),
                                                      "lhat_max": float(np.max(trace.lhat[layer][s]))},
                      "noise_factor_median": _f(np.nanmedian(trace.noise_factor(layer))),
                      "step_median": float(np.median(trace.step[layer])),
                      "lhat_over_G_first": _f(trace.lhat[layer][0] / trace.gnorm[layer][0]),
                      "lhat_over_G_last": _f(trace.lhat[layer][-1] / trace.gnorm[layer][-1])}
    return out


def _series(trace) -> dict:
    return {layer: {"k": trace.k.tolist(), "lhat": trace.lhat[layer].tolist(),
                    "gnorm": trace.gnorm[layer].tolist()} for layer in trace.layers}


def _circ_row(c) -> dict:
    return {"factors": list(c.factors), "radii": dict(c.radii), "steps": c.steps,
            "full_batch": c.full_batch, "kind": c.kind, "final_loss": list(c.final_loss),
            "layers": {n: {"radius": list(c.radius[n]), "one_over_L1": list(c.stepsizes[n]),
                           "L0": [fs[n].L0 for fs in c.fits],
                           "noise_factor": [_f(v) for v in c.noise_factor[n]],
                           "slope": _f(c.slope[n])} for n in c.slope}}


TUNE_GRID = {"digits_mlp": ([0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64],
                            [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4]),
             "digits_cnn": ([0.04, 0.08, 0.16, 0.32, 0.64, 1.28],
                            [0.25, 0.5, 1.0, 2.0, 4.0, 8.0])}


def digits_part(model: str, *, full: bool = False, seed: int = 0,
                progress: Progress | None = None) -> dict:
    """Fits, L0 near convergence, tuned radii against 1/L1, and circularity for one model."""
    spec = MODELS[model]
    say = progress or (lambda s: None)
    out = {"model": model, "description": spec.description, "seed": seed,
           "batch_size": spec.batch_size, "momentum_alpha": spec.momentum}
    if full:
        body, head = TUNE_GRID[model]
        tr = tune(model, body, head, seed=seed)
        radii = tr.best
        out["tuned"] = {"source": f"grid search, {len(body)} x {len(head)} radii, {tr.steps} steps",
                        "body": list(body), "head": list(head),
                        "final_loss": [[_f(v) for v in row] for row in tr.loss], "best": radii}
        say(f"{model}: radius grid searched")
    else:
        radii = dict(spec.radii)
        out["tuned"] = {"source": "the best pair of the --full grid (seed 0), stored as the "
                                  "model's default radii", "best": radii}
    out["radii"] = radii
    steps = spec.steps * (2 if full else 1)
    kinds = ("different", "same", "full") if (full or model == "digits_mlp") else ("different", "same")
    rec = run(model, radii, steps=steps, seed=seed, kinds=kinds)
    out["minibatch"] = {"steps": steps, "final_loss": rec.final_loss,
                        "kinds": {k: _trace_fits(t) for k, t in rec.traces.items()},
                        "series": _series(rec.traces["different"])}
    say(f"{model}: minibatch trajectory recorded ({', '.join(kinds)} pairings)")
    fb_steps = steps if (full or model == "digits_mlp") else 0
    if fb_steps:
        recf = run(model, radii, steps=fb_steps, seed=seed, full_batch=True)
        out["full_batch"] = {"steps": fb_steps, "final_loss": recf.final_loss,
                             "fits": _trace_fits(recf.traces["different"]),
                             "series": _series(recf.traces["different"])}
        say(f"{model}: full-batch trajectory recorded")
    groups = spec.layer_groups()
    fits = out["minibatch"]["kinds"]["different"]
    out["prediction"] = {layer: {"group": groups[layer], "tuned_radius": radii[groups[layer]],
                                 "one_over_L1": fits[layer]["all"]["one_over_L1"],
                                 "ratio": radii[groups[layer]] / fits[layer]["all"]["one_over_L1"]}
                         for layer in fits}
    c = circularity(model, radii, seed=seed, steps=steps)
    out["circularity"] = {"minibatch": _circ_row(c)}
    say(f"{model}: circularity (minibatch) done")
    if full or model == "digits_mlp":
        cf = circularity(model, radii, seed=seed, steps=steps, full_batch=True)
        out["circularity"]["full_batch"] = _circ_row(cf)
        say(f"{model}: circularity (full batch) done")
    return out


# -- synthetic ground truth ----------------------------------------------------------------

def synthetic_part(*, full: bool = False, seed: int = 0, progress: Progress | None = None) -> dict:
    """Planted pairs in four norms (exact and noisy) and envelope checks on proved-constant
    objectives."""
    rng = np.random.default_rng([seed, 11])
    planted = {}
    L0, L1 = 0.5, 2.0
    for norm in PLANTED_NORMS:
        P = planted_pairs(norm, L0, L1, 60, rng)
        est = [estimate_pair(norm, P.X[k], P.X_new[k], P.g[k], P.g_new[k]) for k in range(P.G.size)]
        y = np.array([e.lhat for e in est])
        G = np.array([e.gnorm for e in est])
        f = fit_l0l1_exact(y, G)
        planted[norm] = {"n": int(P.G.size), "max_rel_err_lhat": float(np.max(np.abs(y / P.lhat - 1))),
                         "max_rel_err_G": float(np.max(np.abs(G / P.G - 1))),
                         "L0": f.L0, "L1": f.L1, "planted": [L0, L1]}
    say = progress or (lambda s: None)
    say("planted pairs estimated and fitted")
    env = {}
    for name in SYNTHETIC_OBJECTIVES:
        checks = synthetic_run(name, seed=seed, steps=120 if full else 60)
        env[name] = [{"layer": c.layer, "norm": c.norm, "radius": c.radius, "L0_fit": c.fit.L0,
                      "L1_fit": c.fit.L1, "L0_proved": c.L0, "L1_proved": c.L1,
                      "ratio_min": c.ratio_min, "ratio_max": c.ratio_max,
                      "lhat_over_proved_max": c.lhat_ratio, "hinge": list(c.hinge)} for c in checks]
    say("synthetic objectives fitted against their proved constants")
    return {"planted": planted, "envelopes": env}


# -- tables --------------------------------------------------------------------------------

def _g(x, fmt=".3g") -> str:
    return "-" if x is None or (isinstance(x, float) and not math.isfinite(x)) else format(x, fmt)


def tables(res: dict) -> str:
    """The printed report: refit, stepsize claim, digits fits, circularity, synthetic checks."""
    lines = []
    A = res.get("authors")
    if A:
        lines.append("Refit of the Gluon authors' logs (" + A.get("source", "") + ")")
        head = (f"{'run':15s} {'group':10s} {'n':>3s} {'L1 min':>8s} {'L1 med':>8s} {'L1 max':>8s} "
                f"{'L0 max':>8s} {'#L0>.01':>7s} {'MSE_rel':>16s}  first")
        lines += [head, "-" * len(head)]
        for name, r in A["runs"].items():
            for g, v in r["groups"].items():
                for key in ("all", "drop_first"):
                    s = v[key]
                    if key == "drop_first" and not name.startswith("cnn"):
                        continue
                    lines.append(f"{name:15s} {g:10s} {s['layers']:3d} {s['L1_min']:8.4g} "
                                 f"{s['L1_median']:8.4g} {s['L1_max']:8.4g} {s['L0_max']:8.3g} "
                                 f"{s['L0_above_0.01']:7d} {s['mse_rel_min']:7.2g}-{s['mse_rel_max']:<8.2g}"
                                 f"  {'dropped' if key == 'drop_first' else 'kept'}")
        lines.append("")
        lines.append("Stepsize claim on the authors' runs: 1/L1 (median L1 of the group) against the "
                     "radius t the run used; c = median lhat t / G, so lhat = c G / t")
        head = (f"{'run':15s} {'group':10s} {'t':>7s} {'L1 med':>8s} {'1/L1':>8s} {'t*L1':>6s} "
                f"{'c med':>6s} {'t/c':>8s}")
        lines += [head, "-" * len(head)]
        for name, r in A["runs"].items():
            for g, v in r["groups"].items():
                s = v["drop_first" if name == "cnn_full_batch" else "all"]
                if s["radius"] is None:
                    continue
                lines.append(f"{name:15s} {g:10s} {s['radius']:7.4g} {s['L1_median']:8.4g} "
                             f"{s['one_over_L1']:8.4g} {_g(s['t_times_L1'], '6.3f')} "
                             f"{_g(s['noise_factor_median'], '6.3f')} {_g(s['t_over_c'], '8.4g')}")
        lines.append("(cnn_full_batch with the first measurement dropped, as the authors' notebook)")
        lines.append("")
    for model, D in res.get("digits", {}).items():
        lines.append(f"{model}: {D['description']}; seed {D['seed']}, radii {D['radii']} "
                     f"({D['tuned']['source']})")
        mb = D["minibatch"]
        head = (f"  {'pairing':10s} {'layer':6s} {'L0':>9s} {'L1':>9s} {'MSE_rel':>8s} {'1/L1':>8s} "
                f"{'c med':>6s} | late half: {'L0':>8s} {'L1':>8s} {'L0 share':>8s}")
        lines.append(f"  minibatch {D['batch_size']}, {mb['steps']} steps, final loss "
                     f"{mb['final_loss']:.4g}")
        lines += [head, "  " + "-" * (len(head) - 2)]
        blocks = list(mb["kinds"].items())
        if "full_batch" in D:
            blocks.append(("fullbatch", D["full_batch"]["fits"]))
        for kind, fits in blocks:
            for layer, v in fits.items():
                a, l = v["all"], v["late"]
                lines.append(f"  {kind:10s} {layer:6s} {a['L0']:9.3g} {a['L1']:9.3g} "
                             f"{_g(a['mse_rel'], '8.3g')} {a['one_over_L1']:8.3g} "
                             f"{_g(v['noise_factor_median'], '6.2f')} |            {l['L0']:8.3g} "
                             f"{l['L1']:8.3g} "
                             + (f"{_g(l['L0_share'], '8.2f')}" if l["L0_share"] is not None else
                                f"   - (every late lhat <= {l['lhat_max']:.1e}: both at the bound)"))
        if "full_batch" in D:
            lines.append(f"  (fullbatch: {D['full_batch']['steps']} full-batch steps without "
                         f"momentum, final loss {D['full_batch']['final_loss']:.3g})")
        lines.append("  stepsize claim: tuned radius against 1/L1 of the run at the tuned radii "
                     "(different minibatches)")
        for layer, p in D["prediction"].items():
            lines.append(f"    {layer:6s} group {p['group']:5s} tuned t = {p['tuned_radius']:<7.4g} "
                         f"1/L1 = {p['one_over_L1']:<9.4g} t*L1 = {p['ratio']:.3g}")
        for mode, c in D["circularity"].items():
            lines.append(f"  circularity ({mode}, {c['steps']} steps, radii x {c['factors']}): "
                         f"slope of log(1/L1) on log(t); 1 = returns the run's radius")
            for layer, v in c["layers"].items():
                lines.append(f"    {layer:6s} slope {_g(v['slope'], '6.3f')}   1/L1 = "
                             + " ".join(_g(x, '8.3g') for x in v["one_over_L1"])
                             + "   c = " + " ".join(_g(x, '5.2f') for x in v["noise_factor"]))
        lines.append("")
    S = res.get("synthetic")
    if S:
        lines.append("Planted pairs (lhat = 0.5 + 2 G exactly): estimator error and exact fit")
        for norm, p in S["planted"].items():
            lines.append(f"  {norm:14s} n={p['n']}  max rel err lhat {p['max_rel_err_lhat']:.1e}, "
                         f"G {p['max_rel_err_G']:.1e}; fit L0 = {p['L0']:.6g}, L1 = {p['L1']:.6g}")
        lines.append("Objectives with proved constants: fitted envelope / proved envelope over the "
                     "observed anchors, largest lhat / proved")
        for name, rows in S["envelopes"].items():
            lo = min(r["ratio_min"] for r in rows)
            hi = max(r["ratio_max"] for r in rows)
            lh = max(r["lhat_over_proved_max"] for r in rows)
            lines.append(f"  {name:11s} {len(rows):2d} layers: fit/proved in [{lo:.3f}, {hi:.3f}], "
                         f"max lhat/proved {lh:.4f}")
    return "\n".join(lines)


# -- figures -------------------------------------------------------------------------------

def figures(res: dict, folder) -> list[Path]:
    """Estimates against the fitted envelope (authors' runs and digits runs), circularity plots,
    the radius grids, saved into ``folder`` (a :class:`proofs_check.output.OutputFolder`) under
    ``figures/``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []

    def save(fig, name):
        written.append(folder.save_figure(fig, f"figures/{name}"))
        plt.close(fig)

    if "authors" in res:
        data = load_authors_logs()
        panels = [("nanogpt", 24), ("nanogpt", 72), ("cnn", 1), ("cnn_full_batch", 13)]
        fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 3.2), dpi=80)
        for ax, (name, idx) in zip(axes, panels):
            step, y, g = data[name].layer(idx)
            drop = name == "cnn_full_batch"
            f = fit_l0l1(y[1:] if drop else y, g[1:] if drop else g)
            ax.semilogy(step, y, "o", ms=3, label=r"$\hat L$")
            ax.semilogy(step, f.predict(g), "-", lw=1, label=f"L0={f.L0:.3g}, L1={f.L1:.3g}")
            ax.set_title(f"{name} [{RUNS[name].layer_name(idx)}]", fontsize=8)
            ax.set_xlabel("step" if name.startswith("nano") else "epoch")
            ax.legend(fontsize=6)
        fig.tight_layout()
        save(fig, "authors_fits.png")
    for model, D in res.get("digits", {}).items():
        runs = [("minibatch", D["minibatch"]["series"], D["minibatch"]["kinds"]["different"])]
        if "full_batch" in D:
            runs.append(("full batch", D["full_batch"]["series"], D["full_batch"]["fits"]))
        layers = list(runs[0][1])
        fig, axes = plt.subplots(len(runs), len(layers), figsize=(3.2 * len(layers), 2.8 * len(runs)),
                                 dpi=80, squeeze=False)
        for row, (label, series, fits) in zip(axes, runs):
            for ax, layer in zip(row, layers):
                sr, fr = series[layer], fits[layer]["all"]
                k, y, g = np.array(sr["k"]), np.array(sr["lhat"]), np.array(sr["gnorm"])
                ax.semilogy(k, y, ".", ms=2, label=r"$\hat L$")
                ax.semilogy(k, fr["L0"] + fr["L1"] * g, "-", lw=0.8,
                            label=f"L0={fr['L0']:.2g}, L1={fr['L1']:.3g}")
                ax.set_title(f"{model} {layer} ({label})", fontsize=7)
                ax.set_xlabel("iteration", fontsize=7)
                ax.legend(fontsize=6)
        fig.tight_layout()
        save(fig, f"{model}_estimates.png")
        for mode, c in D["circularity"].items():
            fig, ax = plt.subplots(figsize=(4.5, 3.5), dpi=80)
            for layer, v in c["layers"].items():
                t = np.array(v["radius"])
                s = np.array(v["one_over_L1"], dtype=float)
                ok = s < 1e5
                ax.loglog(t[ok], s[ok], "o-", ms=3, label=f"{layer} (slope {_g(v['slope'], '.2f')})")
            lo, hi = ax.get_xlim()
            ax.loglog([lo, hi], [lo, hi], "k--", lw=0.8, label="1/L1 = t")
            ax.set_xlabel("radius t of the measured run")
            ax.set_ylabel("fitted 1/L1")
            ax.set_title(f"{model}: circularity ({mode})", fontsize=8)
            ax.legend(fontsize=6)
            fig.tight_layout()
            save(fig, f"{model}_circularity_{mode}.png")
        if "final_loss" in D["tuned"]:
            L = np.array(D["tuned"]["final_loss"], dtype=float)
            fig, ax = plt.subplots(figsize=(4.5, 3.5), dpi=80)
            im = ax.imshow(np.log10(L), origin="lower", cmap="viridis")
            ax.set_xticks(range(len(D["tuned"]["head"])), [f"{h:g}" for h in D["tuned"]["head"]])
            ax.set_yticks(range(len(D["tuned"]["body"])), [f"{b:g}" for b in D["tuned"]["body"]])
            ax.set_xlabel("head radius")
            ax.set_ylabel("body radius")
            ax.set_title(f"{model}: log10 final training loss", fontsize=8)
            fig.colorbar(im)
            fig.tight_layout()
            save(fig, f"{model}_radius_grid.png")
    return written
