"""The equivalence table: every preset against the generic Gluon step (docs/theory.md sections 3, 9, 11).

Each row runs two *independent* trajectories from the same start on the same
random layered problem with the same sample stream:

* the preset, written in its own ecosystem's form (:mod:`gluon_ref.optim`);
* :class:`gluon_ref.optim.Gluon` configured **here, explicitly**, with
  catalogue norms, a momentum convention and stepsize policies: the claimed
  correspondence, stated next to the table and not taken from the preset.

Each trajectory computes its own gradients at its own iterates, so any
disagreement compounds.  The row reports the largest relative iterate
difference ``max_k max_i max|X_i^pre - X_i^gen| / max|X_i^gen|`` over
``steps`` steps.  Rows with ``expect = "equal"`` must stay within ``tol``
(1e-12 in float64); negative controls (``expect = "differ"``) must exceed
``differ_floor`` (1e-6), which shows the comparison can fail.

The problem (:func:`layered_problem`) is a coupled, non-separable quadratic
on arbitrary tensor shapes:

    f(X) = sum_i 1/2 ||D_i * (X_i - C_i)||_F^2 + 1/2 (sum_i <U_i, X_i>)^2

with a stochastic oracle ``grad f_xi(X) = (1 + 0.1 xi) grad f(X) + 0.05 N_xi``
(one scalar ``xi`` and one noise array per step, the same at any point, so
Gluon-MVR's two same-sample gradients are meaningful).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from gluon_ref.backend import to_numpy
from gluon_ref.optim import (
    LAMB,
    LARS,
    Adam,
    Gluon,
    GluonMVR,
    Muon,
    NormalizedGD,
    NorMuonCode,
    NorMuonPaper,
    Scion,
    Shampoo,
    SignSGD,
    TrustRatio,
    gluon_config,
)
from gluon_ref.optim.momentum import mvr, nesterov, scion
from gluon_ref.polar import MUON_QUINTIC, newton_schulz, polar_exact

__all__ = ["LayeredProblem", "layered_problem", "EquivalenceRow", "CASES", "run_pair",
           "run_case", "build_table", "format_table", "SHAPES"]

SHAPES: dict[str, dict[str, tuple[int, ...]]] = {
    "matrices": {"w_tall": (7, 4), "w_square": (5, 5), "w_wide": (3, 8)},
    "rect": {"w_tall": (7, 4), "w_wide": (3, 8), "w_tall2": (6, 3)},
    "wide": {"w_a": (4, 6), "w_b": (5, 5), "w_c": (3, 8)},
    "llm": {"tok_embed": (11, 6), "h0.attn": (6, 6), "h0.mlp_in": (12, 6),
            "h0.mlp_in.bias": (12,), "h0.mlp_out": (6, 12), "lm_head": (11, 6)},
    "cnn": {"conv1.weight": (8, 3, 3, 3), "conv1.bias": (8,), "conv2.weight": (6, 8, 3, 3),
            "conv2.bias": (6,), "head.weight": (10, 6)},
    "mixed": {"w1": (6, 4), "b1": (6,), "w2": (3, 6), "k": (4, 2, 3, 3)},
}


@dataclass
class LayeredProblem:
    """Coupled quadratic with a stochastic oracle (module docstring)."""

    x0: dict[str, Any]
    c: dict[str, Any]
    d2: dict[str, Any]
    u: dict[str, Any]
    noise: list[dict[str, Any]]
    xi: list[float]
    xp: Any

    def full_grad(self, x: Mapping[str, Any]) -> dict[str, Any]:
        xp = self.xp
        s = sum(xp.sum(self.u[n] * x[n]) for n in x)
        return {n: self.d2[n] * (x[n] - self.c[n]) + s * self.u[n] for n in x}

    def grad(self, x: Mapping[str, Any], k: int) -> dict[str, Any]:
        """``grad f_{xi^k}(x)``: sample ``k`` at any point ``x``."""
        g = self.full_grad(x)
        return {n: (1.0 + 0.1 * self.xi[k]) * g[n] + 0.05 * self.noise[k][n] for n in x}


def layered_problem(shapes: Mapping[str, tuple[int, ...]], seed: int, steps: int,
                    xp=np, dtype="float64") -> LayeredProblem:
    """A random :class:`LayeredProblem` on ``shapes`` (numbers from ``numpy.random.default_rng(seed)``)."""
    rng = np.random.default_rng(seed)
    total = sum(math.prod(s) for s in shapes.values())
    dt = getattr(xp, dtype)

    def arr(a):
        return xp.asarray(np.asarray(a, dtype=np.float64), dtype=dt)

    x0 = {n: arr(0.5 * rng.standard_normal(s)) for n, s in shapes.items()}
    c = {n: arr(rng.standard_normal(s)) for n, s in shapes.items()}
    d2 = {n: arr(rng.uniform(0.5, 1.5, size=s) ** 2) for n, s in shapes.items()}
    u = {n: arr(rng.standard_normal(s) / math.sqrt(total)) for n, s in shapes.items()}
    noise = [{n: arr(rng.standard_normal(s)) for n, s in shapes.items()} for _ in range(steps + 1)]
    xi = [float(v) for v in rng.standard_normal(steps + 1)]
    return LayeredProblem(x0, c, d2, u, noise, xi, xp)


def _rel_diff(a: Mapping[str, Any], b: Mapping[str, Any]) -> float:
    worst = 0.0
    for n in b:
        an, bn = to_numpy(a[n]).astype(np.float64), to_numpy(b[n]).astype(np.float64)
        scale = max(float(np.max(np.abs(bn))), np.finfo(np.float64).tiny)
        worst = max(worst, float(np.max(np.abs(an - bn))) / scale)
    return worst


def _kappa(g) -> float:
    """Condition number sigma_max / sigma_min of a 2-D gradient (inf if singular)."""
    s = np.linalg.svd(to_numpy(g).astype(np.float64), compute_uv=False)
    return float(s[0] / s[-1]) if s[-1] > 0 else float("inf")


def run_pair(preset, config_fn: Callable[[Mapping[str, Any]], Any], shapes, *, seed: int = 0,
             steps: int = 20, xp=np, dtype="float64", needs_prev: bool = False,
             stats: dict | None = None) -> float:
    """Largest relative iterate difference between ``preset`` and ``Gluon(config_fn(x0))``.

    If ``stats`` is a dict, ``stats["kappa_max"]`` receives the largest
    condition number of a 2-D gradient seen on the preset's trajectory.
    """
    prob = layered_problem(shapes, seed, steps, xp=xp, dtype=dtype)
    generic = Gluon(config_fn(prob.x0))
    runs = []
    kappa = 1.0
    for which, opt in enumerate((preset, generic)):
        x, state, prev_x, traj = dict(prob.x0), opt.init(prob.x0), None, []
        for k in range(steps):
            g = prob.grad(x, k)
            if stats is not None and which == 0:
                kappa = max([kappa] + [_kappa(v) for v in g.values() if v.ndim == 2])
            extra = {}
            if needs_prev and k > 0:
                extra["grads_prev"] = prob.grad(prev_x, k)
            prev_x = x
            x, state = opt.step(x, g, state, **extra)
            traj.append(x)
        runs.append(traj)
    if stats is not None:
        stats["kappa_max"] = kappa
    return max(_rel_diff(a, b) for a, b in zip(*runs))


# -- the rows -------------------------------------------------------------------------------

def _ns_clamp(coeffs=MUON_QUINTIC, steps=5, eps=1e-7):
    def orth(g):
        return newton_schulz(g, coeffs, steps, normalization="clamp", eps=eps)
    return orth


@dataclass(frozen=True)
class Case:
    name: str
    preset: str
    generic: str
    shapes: str
    expect: str  # "equal" or "differ"
    make_preset: Callable[[], Any]
    make_config: Callable[[Mapping[str, Any]], Any]
    needs_prev: bool = False
    source: str = ""
    #: "fixed": the 1e-12 bound; "kappa2": max(1e-12, max(m, n) eps kappa_max^2), the
    #: first-order (Weyl) rounding bound of inverse roots of Gram matrices (Shampoo)
    bound: str = "fixed"


def _sqrt_max(n, s):
    return math.sqrt(max(s[0], s[1]))


_LR = 0.02
_MU = 0.95
_WD = 0.1
#: the LLM role -> norm assignment of Scion / unScion (docs/theory.md 9)
_LLM_NORMS = {"hidden": "rms_to_rms", "embedding": "sign", "output": "sign", "bias": "rms"}


def _muon():
    return Muon(lr=_LR, weight_decay=_WD, momentum=_MU)


def _muon_scg(norm, orthogonalizer=None):
    """Muon's claimed generic form: ``norm``, nesterov(mu), SCG with gamma = lr*wd, rho = 1/wd."""
    return lambda x: gluon_config(x, norms=norm, orthogonalizer=orthogonalizer,
                                  momentum=nesterov(_MU), stepsizes=_LR * _WD,
                                  constraint_radii=1.0 / _WD)


def _normuon_paper():
    return NorMuonPaper(lr=_LR, weight_decay=_WD, orthogonalizer=polar_exact)


def _normuon_paper_scg(x):
    return gluon_config(x, norms="spectral", momentum=scion(0.05), stepsizes=_LR * _WD,
                        constraint_radii=lambda n, s: 0.2 * math.sqrt(s[1]) / _WD)


def _shampoo_no_accumulation():
    return Shampoo(lr=0.05, decay=0.0, eps=0.0)


def _spectral_descent(x):
    return gluon_config(x, norms="spectral", stepsizes=0.05)


CASES: list[Case] = [
    Case("muon", "Muon(lr=.02, wd=.1, mu=.95, nesterov, NS5 clamp)",
         "muon_spectral[NS clamp]; nesterov(.95); SCG gamma=lr*wd, rho=1/wd", "matrices", "equal",
         _muon, _muon_scg("muon_spectral", _ns_clamp()), source="docs/theory.md 3, 11.7"),
    Case("muon_match_rms", "Muon(adjust='match_rms_adamw', nesterov=False, wd=0, exact)",
         "spectral[exact]; scion(alpha=.05); t=0.2*lr*sqrt(max(m,n))", "matrices", "equal",
         lambda: Muon(lr=_LR, weight_decay=0.0, momentum=_MU, nesterov=False,
                      adjust_lr_fn="match_rms_adamw", orthogonalizer=polar_exact),
         lambda x: gluon_config(x, norms="spectral", momentum=scion(1 - _MU),
                                stepsizes=lambda n, s: 0.2 * _LR * _sqrt_max(n, s)),
         source="docs/theory.md 11.7 (Moonlight rule)"),
    Case("scion_llm", "Scion(SCG, llm, alpha=.1, exact)",
         "rms_to_rms|sign|rms by role; scion(.1); SCG gamma=lr, rho=scale", "llm", "equal",
         lambda: Scion(constrained=True, assignment="llm", orthogonalizer=polar_exact),
         lambda x: gluon_config(
             x, norms=_LLM_NORMS, momentum=scion(0.1), stepsizes=3.6e-4,
             constraint_radii={"hidden": 50.0, "embedding": 3000.0, "output": 3000.0, "bias": 50.0}),
         source="docs/theory.md 3, 9"),
    Case("unscion_llm", "Scion(uSCG, llm, alpha=.1, exact)",
         "rms_to_rms|sign|rms by role; scion(.1); t=lr*scale", "llm", "equal",
         lambda: Scion(constrained=False, assignment="llm", orthogonalizer=polar_exact),
         lambda x: gluon_config(
             x, norms=_LLM_NORMS, momentum=scion(0.1),
             stepsizes={"hidden": 3.6e-4 * 50, "embedding": 3.6e-4 * 3000,
                        "output": 3.6e-4 * 3000, "bias": 3.6e-4 * 50}),
         source="docs/theory.md 9"),
    Case("scion_cnn", "Scion(SCG, cnn, lr=.01, exact)",
         "spectral_conv|rms|sign by role; scion(.1); SCG gamma=lr, rho=8|8|128", "cnn", "equal",
         lambda: Scion(lr=0.01, constrained=True, assignment="cnn", orthogonalizer=polar_exact),
         lambda x: gluon_config(
             x, norms={"conv": "spectral_conv", "bias": "rms", "output": "sign"},
             momentum=scion(0.1), stepsizes=0.01,
             constraint_radii={"conv": 8.0, "bias": 8.0, "output": 128.0}),
         source="docs/theory.md 9; docs/norms.md 2c"),
    Case("unscion_cnn", "Scion(uSCG, cnn, lr=.01, exact)",
         "spectral_conv|rms|sign by role; scion(.1); t=lr*(.5|.5|50)", "cnn", "equal",
         lambda: Scion(lr=0.01, constrained=False, assignment="cnn", orthogonalizer=polar_exact),
         lambda x: gluon_config(
             x, norms={"conv": "spectral_conv", "bias": "rms", "output": "sign"},
             momentum=scion(0.1), stepsizes={"conv": 0.005, "bias": 0.005, "output": 0.5}),
         source="docs/theory.md 9"),
    Case("normalized_gd", "NormalizedGD(lr=.05, momentum=.9)",
         "frobenius; scion(alpha=.1); t=lr", "mixed", "equal",
         lambda: NormalizedGD(lr=0.05, momentum=0.9),
         lambda x: gluon_config(x, norms="frobenius", momentum=scion(0.1), stepsizes=0.05),
         source="docs/theory.md 9"),
    Case("sign_sgd", "SignSGD(lr=.01, momentum=.9)",
         "linf; scion(alpha=.1); t=lr", "mixed", "equal",
         lambda: SignSGD(lr=0.01, momentum=0.9),
         lambda x: gluon_config(x, norms="linf", momentum=scion(0.1), stepsizes=0.01),
         source="docs/theory.md 9"),
    Case("lars", "LARS(lr=1, mu=0, wd=0, eta_tr=.02)",
         "frobenius; none; t=lr*eta_tr*||X||_F", "mixed", "equal",
         lambda: LARS(lr=1.0, momentum=0.0, weight_decay=0.0, trust_coefficient=0.02),
         lambda x: gluon_config(x, norms="frobenius", stepsizes=TrustRatio(1.0, trust=0.02)),
         source="docs/theory.md 11.1"),
    Case("lamb", "LAMB(lr=.02, betas=0, eps=0, wd=0)",
         "linf; none; t: ||step||_F = lr*||X||_F", "mixed", "equal",
         lambda: LAMB(lr=0.02, betas=(0.0, 0.0), eps=0.0, weight_decay=0.0),
         lambda x: gluon_config(x, norms="linf", stepsizes=TrustRatio(0.02)),
         source="docs/theory.md 11.2"),
    Case("adam_sign", "Adam(lr=.01, betas=0, eps=0)", "linf; none; t=lr", "mixed", "equal",
         lambda: Adam(lr=0.01, betas=(0.0, 0.0), eps=0.0),
         lambda x: gluon_config(x, norms="linf", stepsizes=0.01),
         source="docs/theory.md 11.4"),
    Case("shampoo_rect", "Shampoo(lr=.05, decay=0, eps=0) via eigh, m != n",
         "spectral[exact]; none; t=lr", "rect", "equal",
         _shampoo_no_accumulation, _spectral_descent, source="docs/theory.md 11.4", bound="kappa2"),
    Case("shampoo_square", "Shampoo(lr=.05, decay=0, eps=0) via eigh, incl. square",
         "spectral[exact]; none; t=lr", "matrices", "equal",
         _shampoo_no_accumulation, _spectral_descent, source="docs/theory.md 11.4", bound="kappa2"),
    Case("normuon_paper", "NorMuonPaper(lr=.02, wd=.1, exact), m<=n",
         "spectral[exact]; scion(alpha=.05); SCG gamma=lr*wd, rho=0.2*sqrt(n)/wd", "wide", "equal",
         _normuon_paper, _normuon_paper_scg, source="docs/theory.md 11.3 (paper form uncertain)"),
    Case("normuon_code", "NorMuonCode(lr=.02, wd=.1, exact), m<=n",
         "muon_spectral[exact]; nesterov(.95); SCG gamma=lr*wd, rho=1/wd", "wide", "equal",
         lambda: NorMuonCode(lr=_LR, weight_decay=_WD, orthogonalizer=polar_exact),
         _muon_scg("muon_spectral"), source="docs/theory.md 11.3"),
    Case("gluon_mvr", "GluonMVR(rms_to_rms|sign|rms, a=.2) [uncertain template; shares the "
                      "library LMO, so checks momentum and stepsizes only]",
         "same norms; mvr(a=.2); t=lr", "llm", "equal",
         lambda: GluonMVR(norms=_LLM_NORMS, lr=0.02, a=0.2),
         lambda x: gluon_config(x, norms=_LLM_NORMS, momentum=mvr(0.2), stepsizes=0.02),
         needs_prev=True, source="docs/theory.md 10 (template, uncertain)"),
    # negative controls: the comparison must be able to fail
    Case("ctrl_muon_vs_rms", "Muon(original, NS5 clamp)",
         "rms_to_rms[NS clamp] instead of muon_spectral", "matrices", "differ",
         _muon, _muon_scg("rms_to_rms", _ns_clamp()),
         source="docs/theory.md 9 note (sqrt(m/n) vs max(1, sqrt(m/n)))"),
    Case("ctrl_muon_ns_vs_exact", "Muon(original, NS5 clamp)",
         "muon_spectral[exact SVD]", "matrices", "differ",
         _muon, _muon_scg("muon_spectral"),
         source="docs/polar.md (NS5 is not the polar factor)"),
    Case("ctrl_adam_accum", "Adam(lr=.01, betas=(.9,.999), eps=1e-8)", "linf; none; t=lr",
         "mixed", "differ",
         lambda: Adam(lr=0.01),
         lambda x: gluon_config(x, norms="linf", stepsizes=0.01), source="docs/theory.md 11.4"),
    Case("ctrl_shampoo_accum", "Shampoo(lr=.05, decay=1, eps=0)", "spectral[exact]; t=lr",
         "matrices", "differ",
         lambda: Shampoo(lr=0.05, decay=1.0, eps=0.0), _spectral_descent, source="docs/theory.md 11.4"),
    Case("ctrl_normuon_tall", "NorMuonPaper(exact), tall layers",
         "spectral[exact]; SCG rho=0.2*sqrt(n)/wd", "matrices", "differ",
         _normuon_paper, _normuon_paper_scg, source="docs/theory.md 11.3"),
]


@dataclass(frozen=True)
class EquivalenceRow:
    name: str
    preset: str
    generic: str
    shapes: str
    expect: str
    rel_diff: float
    tol: float
    ok: bool
    source: str
    kappa_max: float = float("nan")


def run_case(case: Case, *, seed: int, steps: int, xp=np, dtype: str = "float64",
             tol: float = 1e-12) -> tuple[float, float, float]:
    """``(rel_diff, bound, kappa_max)`` of one case: :func:`run_pair` and the case's bound.

    ``bound`` is ``tol``, or for ``case.bound == "kappa2"`` ``max(tol, max(m, n) eps
    kappa_max^2)`` (eps of ``dtype``); ``kappa_max`` is NaN for the other cases.
    """
    stats: dict = {}
    diff = run_pair(case.make_preset(), case.make_config, SHAPES[case.shapes], seed=seed,
                    steps=steps, xp=xp, dtype=dtype, needs_prev=case.needs_prev,
                    stats=stats if case.bound == "kappa2" else None)
    kappa = stats.get("kappa_max", float("nan"))
    if case.bound != "kappa2":
        return diff, tol, kappa
    eps = float(np.finfo(np.dtype(dtype)).eps)
    dim = max(max(s) for s in SHAPES[case.shapes].values())
    return diff, max(tol, dim * eps * kappa ** 2), kappa


def build_table(*, seed: int = 0, steps: int = 20, xp=np, dtype: str = "float64",
                tol: float | None = None, differ_floor: float = 1e-6,
                names: list[str] | None = None) -> list[EquivalenceRow]:
    """Run every case (or ``names``); ``tol`` defaults to 1e-12 in float64 (scaled by eps otherwise)."""
    eps = float(np.finfo(np.dtype(dtype)).eps)
    if tol is None:
        tol = 1e-12 * eps / float(np.finfo(np.float64).eps)
    rows = []
    for case in CASES:
        if names is not None and case.name not in names:
            continue
        diff, bound, kappa = run_case(case, seed=seed, steps=steps, xp=xp, dtype=dtype, tol=tol)
        ok = diff <= bound if case.expect == "equal" else diff > differ_floor
        rows.append(EquivalenceRow(case.name, case.preset, case.generic, case.shapes, case.expect,
                                   diff, bound if case.expect == "equal" else differ_floor, ok,
                                   case.source, kappa))
    return rows


def format_table(rows: list[EquivalenceRow], steps: int, dtype: str) -> str:
    head = (f"{'row':21s} {'expect':6s} {'max rel diff':>12s} {'bound':>9s}  ok   "
            f"{'preset (own form)':60s} generic Gluon configuration")
    lines = [f"Preset vs generic Gluon step: max_k max_i max|X_pre - X_gen| / max|X_gen| over "
             f"{steps} steps, {dtype}, independent trajectories on a coupled layered quadratic",
             head, "-" * len(head)]
    for r in rows:
        rel = ">" if r.expect == "differ" else "<="
        extra = f" [kappa_max {r.kappa_max:.1e}]" if math.isfinite(r.kappa_max) else ""
        lines.append(f"{r.name:21s} {r.expect:6s} {r.rel_diff:12.2e} {rel}{r.tol:8.1e}  "
                     f"{'yes' if r.ok else 'NO ':3s}  {r.preset:60s} {r.generic}{extra}")
    n_ok = sum(r.ok for r in rows)
    if any(math.isfinite(r.kappa_max) for r in rows):
        lines.append("Shampoo rows: bound max(1e-12, max(m,n) eps kappa_max^2), the first-order rounding "
                     "bound of inverse roots of Gram matrices; kappa_max = largest gradient condition number")
    lines.append(f"{n_ok}/{len(rows)} rows as expected (equal rows within the bound, "
                 f"negative controls above it)")
    return "\n".join(lines)
