"""Claims about the Gluon step, its special cases and related optimizers (docs/theory.md 2-3, 5, 9-11).

Each numeric check runs the library's optimizers (:mod:`gluon_ref.optim`) on
small random problems and measures the identity or inequality; expected values
come from the theory, never from the code under test.  Tolerances are
multiples of float64 eps scaled by the sizes involved.  Quick mode runs all of
these claims in a few seconds.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import sympy as sp

from gluon_ref.norms import get_norm
from gluon_ref.optim import (
    LAMB,
    Cosine,
    Gluon,
    Momentum,
    NorMuonPaper,
    Sophia,
    Theorem1Adaptive,
    gluon_config,
    uba_factor,
)
from gluon_ref.optim.momentum import scion as scion_momentum
from gluon_ref.polar import polar_exact
from proofs_check.equivalence import CASES, SHAPES, run_case
from proofs_check.tolerances import difference, gamma, svd_identity

from .base import CheckContext, Claim, Instance, SymbolicResult, attained, claim

EPS = float(np.finfo(np.float64).eps)
_CASES = {c.name: c for c in CASES}

_NORM_SHAPES = {
    "frobenius": (6, 4), "rms": (7,), "linf": (5, 3), "spectral": (6, 4), "rms_to_rms": (4, 7),
    "muon_spectral": (7, 3), "sign": (5, 6), "colnorm": (6, 4), "rownorm": (4, 6),
    "spectral_conv": (6, 3, 2, 2), "nuclear": (5, 4), "l1": (8,),
}


def _tol(shape) -> float:
    """Relative allowance of one step's identities on a block: an SVD-based LMO and inner
    products, ``gamma(m n) + min(m, n) max(m, n) eps`` (:func:`proofs_check.tolerances.svd_identity`)."""
    return svd_identity(shape)


def _steps_tol(shapes, steps: int) -> float:
    """Two implementations of the same iteration, each step within one step's rounding of the
    other: ``steps * max_block svd_identity`` (errors add; an LMO step does not amplify them
    beyond first order on well-separated spectra)."""
    return steps * max(_tol(s) for s in shapes)


def _one_step(norm_name, shape, rng, t, orthogonalizer=None):
    x = rng.standard_normal(shape)
    g = rng.standard_normal(shape)
    cfg = gluon_config({"x": x}, norms=norm_name, stepsizes=t, orthogonalizer=orthogonalizer)
    opt = Gluon(cfg)
    new, _ = opt.step({"x": x}, {"x": g}, opt.init({"x": x}))
    return x, g, new["x"] - x, cfg.layers["x"].norm, new["x"]


def _case_numeric(*names: str, seeds_quick: int = 1, seeds_full: int = 4):
    def check(ctx: CheckContext) -> list[Instance]:
        inst = []
        for name in names:
            case = _CASES[name]
            for s in range(seeds_full if ctx.full else seeds_quick):
                tol0 = _steps_tol(SHAPES[case.shapes].values(), 20)
                diff, tol, kappa = run_case(case, seed=ctx.seed * 1000 + s, steps=20, tol=tol0)
                inst.append(Instance(f"{name} seed {s}: max rel iterate difference over 20 steps",
                                     diff, 0.0, "==", tol,
                                     note=(f"kappa_max = {kappa:.2e}" if case.bound == "kappa2" else "")))
        return inst
    return check


def _theorem1_run(ctx: CheckContext, shrink_L0: float, salt: str, l1_max: float = 2.0,
                  steps: int | None = None) -> list[Instance]:
    """Separable quadratic f = sum_i w_i/2 ||X_i - C_i||_F^2 with valid L0 (Frobenius: w_i;
    spectral: w_i min(m, n)), L1_i random in [0, l1_max]; each step's decrease vs the guarantee
    sum g_i^2/(2(L0_i + L1_i g_i)) for the constants given to the stepsize (``shrink_L0 * L0``)."""
    rng = ctx.rng(salt)
    shapes = {"a": (6, 4), "b": (3, 5), "c": (7,)}
    norms = {"a": "spectral", "b": "frobenius", "c": "frobenius"}
    w = {n: float(np.exp(rng.uniform(-1, 1))) for n in shapes}
    L0 = {"a": w["a"] * min(shapes["a"]), "b": w["b"], "c": w["c"]}
    L1 = {n: float(rng.uniform(0, l1_max)) for n in shapes}
    C = {n: rng.standard_normal(s) for n, s in shapes.items()}
    x = {n: rng.standard_normal(s) for n, s in shapes.items()}

    def f(z):
        return sum(0.5 * w[n] * float(np.sum((z[n] - C[n]) ** 2)) for n in z)

    pol = {n: Theorem1Adaptive(shrink_L0 * L0[n], L1[n]) for n in shapes}
    opt = Gluon(gluon_config(x, norms=norms, stepsizes=pol))
    st = opt.init(x)
    inst = []
    for k in range(steps or (20 if ctx.full else 8)):
        g = {n: w[n] * (x[n] - C[n]) for n in x}
        gd = {n: (float(np.sum(np.linalg.svd(g[n], compute_uv=False))) if norms[n] == "spectral"
                  else float(np.linalg.norm(g[n]))) for n in x}
        bound = sum(gd[n] ** 2 / (2 * (shrink_L0 * L0[n] + L1[n] * gd[n])) for n in x)
        new, st = opt.step(x, g, st)
        fx, fn = f(x), f(new)
        # Assumption 1 on the segment, measured: grad changes by w_i dX_i along it, so
        # ||w_i dX_i||_* <= (L0_i + L1_i g_i) ||dX_i|| (numpy norms; spectral: nuclear / 2-norm)
        held = True
        for n in x:
            d = new[n] - x[n]
            if norms[n] == "spectral":
                sv = np.linalg.svd(d, compute_uv=False)
                dual_change, length = w[n] * float(sv.sum()), float(sv[0])
            else:
                dual_change = length = float(np.linalg.norm(d))
                dual_change *= w[n]
            allowed = (shrink_L0 * L0[n] + L1[n] * gd[n]) * length
            held &= dual_change <= allowed * (1 + _tol(shapes[n]))
        # rounding: evaluating f, plus the rounded new iterate (||fl(X+tD) - (X+tD)||_F <= delta_i)
        delta = {n: 2 * EPS * float(np.linalg.norm(new[n])) for n in x}
        # f is a sum of 3 flops per entry over all entries: gamma(3 N) (f(X^k) + f(X^k+1))
        n_entries = sum(math.prod(s) for s in shapes.values())
        tol = gamma(3 * n_entries) * (fx + fn) + sum(w[n] * float(np.linalg.norm(new[n] - C[n])) * delta[n]
                                         + w[n] * delta[n] ** 2 / 2 for n in x)
        inst.append(Instance(f"k={k}: f(X^k) - f(X^k+1) >= sum g^2/(2(L0 + L1 g))", fx - fn, bound,
                             ">=", tol, hypothesis_held=held))
        x = new
    return inst


CLAIMS: list[Claim] = []


@claim(
    CLAIMS,
    id="optim.lmo_step.identities",
    statement="The generic Gluon step X + t lmo(G) satisfies <G, X^{k+1} - X^k> = -t ||G||_* and "
        "||X^{k+1} - X^k|| = t, for every catalogue norm tried.",
    latex=r"\langle G, X^{k+1}-X^k\rangle = -t\|G\|_*,\quad \|X^{k+1}-X^k\| = t",
    source="docs/theory.md section 2; Gluon arXiv 2505.13416",
    status="proved",
    hypotheses=("exact LMO (exact SVD for spectral norms)", "G != 0", "float64"),
    tags=("optim",),
)
def _lmo_step_numeric(ctx: CheckContext) -> list[Instance]:
    rng = ctx.rng("optim-lmo-step")
    inst = []
    reps = 4 if ctx.full else 1
    for name, shape in _NORM_SHAPES.items():
        for r in range(reps):
            t = float(np.exp(rng.uniform(-4, 1)))
            x, g, dx, norm, new = _one_step(name, shape, rng, t)
            dual = float(norm.dual_norm(g))
            value = float(np.sum(g * dx))
            # the step is measured as X^{k+1} - X^k: its cancellation adds, for the inner
            # product, ||G||_F ||E||_F / |<G, dX>| and, for the norm, sqrt(size) ||E||_F/||dX||_F
            cancel = difference(x, new)
            tol_inner = _tol(shape) + cancel * float(np.linalg.norm(g)) * float(np.linalg.norm(dx)) / abs(value)
            tol_norm = _tol(shape) + cancel * math.sqrt(g.size)
            inst.append(Instance(f"{name}{shape} #{r}: <G, dX> / (t ||G||_*)", value / (t * dual),
                                 -1.0, "==", tol_inner))
            inst.append(Instance(f"{name}{shape} #{r}: ||dX|| / t", float(norm.norm(dx)) / t, 1.0,
                                 "==", tol_norm))
    return inst


@claim(
    CLAIMS,
    id="optim.scg.uscg_length_ball_weight_decay",
    statement="uSCG steps have length exactly gamma*rho; SCG iterates started in the rho-ball stay "
        "in it; SCG equals decoupled weight decay with eta = gamma*rho, lambda = 1/rho.",
    latex=r"\|\Delta x\| = \gamma\rho;\ \|x^k\|\le\rho;\ "
        r"(1-\gamma)x+\gamma\rho\,\mathrm{lmo}(d) = x-\eta\lambda x+\eta\,\mathrm{lmo}(d)",
    source="docs/theory.md section 3; Scion arXiv 2502.07529",
    status="proved",
    hypotheses=("exact LMO", "gamma in (0, 1]", "X^0 in the rho-ball"),
    tags=("optim",),
)
def _scg_numeric(ctx: CheckContext) -> list[Instance]:
    rng = ctx.rng("optim-scg")
    inst = []
    shapes = {"w": (6, 4), "e": (5, 6), "b": (5,)}
    norms = {"w": "rms_to_rms", "e": "sign", "b": "rms"}
    rho = {"w": 2.0, "e": 30.0, "b": 3.0}
    gamma = 0.2
    steps = 40 if ctx.full else 15
    # start inside the rho-ball of each layer
    x0 = {}
    for n, s in shapes.items():
        v = rng.standard_normal(s)
        x0[n] = 0.5 * rho[n] * v / float(get_norm(norms[n]).norm(v))
    targets = {n: 3 * rho[n] * rng.standard_normal(s) for n, s in shapes.items()}
    for constrained in (False, True):
        cfg = gluon_config(x0, norms=norms, momentum=scion_momentum(0.3),
                           stepsizes=gamma if constrained else {n: gamma * rho[n] for n in shapes},
                           constraint_radii=rho if constrained else None)
        opt = Gluon(cfg)
        x, st = dict(x0), opt.init(x0)
        for k in range(steps):
            g = {n: x[n] - targets[n] for n in x}
            new, st = opt.step(x, g, st)
            for n in x:
                norm = cfg.layers[n].norm
                if constrained:
                    inst.append(Instance(f"SCG k={k} {n}: ||X||/rho", float(norm.norm(new[n])) / rho[n],
                                         1.0, "<=", _tol(shapes[n])))
                    # decoupled weight decay with eta = gamma rho, lambda = 1/rho
                    eta, lam = gamma * rho[n], 1.0 / rho[n]
                    m = st.momentum_buffer[n]
                    wd_form = x[n] - eta * lam * x[n] + eta * norm.lmo(m)
                    scale = max(float(np.max(np.abs(wd_form))), 1e-300)
                    inst.append(Instance(f"SCG k={k} {n}: max|X_scg - X_wd| / max|X_wd|",
                                         float(np.max(np.abs(new[n] - wd_form))) / scale, 0.0, "==",
                                         _tol(shapes[n])))
                else:
                    tol = _tol(shapes[n]) + difference(x[n], new[n], math.sqrt(x[n].size))
                    inst.append(Instance(f"uSCG k={k} {n}: ||dX|| / (gamma rho)",
                                         float(norm.norm(new[n] - x[n])) / (gamma * rho[n]), 1.0,
                                         "==", tol))
            x = new
    return inst


@claim(
    CLAIMS,
    id="optim.adam_no_accumulation_is_sign_descent",
    statement="Adam with beta1 = beta2 = 0 and eps = 0 produces the same iterates as layer-wise "
        "sign descent (Gluon step, l_inf norm, radius lr), over 20 steps.",
    latex=r"\beta_1=\beta_2=\epsilon=0:\ x-\eta\,g/\sqrt{g^2} = x-\eta\,\mathrm{sign}(g)",
    source="docs/theory.md section 11.4; arXiv 2409.20325",
    status="proved",
    hypotheses=("g_j = 0 mapped to 0",),
    tags=("optim",),
)
def _check_optim_adam_no_accumulation_is_sign_descent(ctx: CheckContext) -> list[Instance]:
    return _case_numeric("adam_sign")(ctx)


@claim(
    CLAIMS,
    id="optim.shampoo_no_accumulation_is_spectral_descent",
    statement="Shampoo without accumulation, (GG^T)^(-1/4) G (G^TG)^(-1/4) from eigendecompositions, "
        "produces the iterates of spectral descent X - lr U V^T, to max(20 steps x SVD rounding, max(m,n) eps "
        "kappa^2) (rounding of Gram-matrix inverse roots).",
    latex=r"(GG^\top)^{-1/4}G(G^\top G)^{-1/4} = UV^\top",
    source="docs/theory.md section 11.4; arXiv 2409.20325",
    status="proved",
    hypotheses=("eps = 0", "pseudo-inverse roots on the range of G"),
    tags=("optim",),
)
def _check_optim_shampoo_no_accumulation_is_spectral_descent(ctx: CheckContext) -> list[Instance]:
    return _case_numeric("shampoo_rect", "shampoo_square")(ctx)


@claim(
    CLAIMS,
    id="optim.momentum.ema_equals_scion_with_first_grad_buffer",
    statement="The paper's EMA (M^0 = g^0) and Scion's convention (alpha = 1 - beta) give the same "
        "iterates when Scion's buffer is initialised with g^0.",
    latex=r"d^{-1}=g^0 \Rightarrow d^k = M^k\ \forall k",
    source="docs/theory.md section 3",
    status="proved",
    hypotheses=("same beta",),
    tags=("optim",),
)
def _momentum_numeric(ctx: CheckContext) -> list[Instance]:
    rng = ctx.rng("optim-momentum")
    inst = []
    shapes = {"w": (5, 4), "b": (4,)}
    for rep in range(3 if ctx.full else 1):
        beta = float(rng.uniform(0.5, 0.99))
        x0 = {n: rng.standard_normal(s) for n, s in shapes.items()}
        grads = [{n: rng.standard_normal(s) for n, s in shapes.items()} for _ in range(12)]
        trajs = []
        for mom in (Momentum("ema", beta), scion_momentum(1.0 - beta, buffer_init="first_grad")):
            opt = Gluon(gluon_config(x0, norms={"w": "spectral", "b": "frobenius"}, stepsizes=0.05,
                                     momentum=mom))
            x, st, tr = dict(x0), opt.init(x0), []
            for g in grads:
                x, st = opt.step(x, {n: g[n] + 0.1 * x[n] for n in x}, st)
                tr.append(x)
            trajs.append(tr)
        worst = max(float(np.max(np.abs(a[n] - b[n]))) / float(np.max(np.abs(b[n])))
                    for a, b in zip(*trajs) for n in shapes)
        inst.append(Instance(f"beta={beta:.3f}: ema vs scion(first_grad), 12 steps", worst, 0.0, "==",
                             _steps_tol(shapes.values(), 12)))
    return inst


@claim(
    CLAIMS,
    id="optim.muon_preset_equals_generic",
    statement="torch.optim.Muon semantics (lerp buffer, Nesterov, Newton-Schulz with clamp "
        "normalisation, 'original' lr adjustment, decoupled weight decay) equal the generic "
        "Gluon SCG step with the muon_spectral norm, rho = 1/wd, gamma = lr*wd (same NS on "
        "both sides); 'match_rms_adamw' equals the spectral norm with radius "
        "0.2 lr sqrt(max(m, n)) (exact SVD on both sides).",
    latex=r"\mathrm{Muon}(\eta,\lambda) = \mathrm{SCG}(\rho=1/\lambda,\gamma=\eta\lambda)",
    source="docs/theory.md sections 3, 11.7",
    status="proved",
    hypotheses=("same orthogonalizer on both sides",),
    tags=("optim",),
)
def _check_optim_muon_preset_equals_generic(ctx: CheckContext) -> list[Instance]:
    return _case_numeric("muon", "muon_match_rms")(ctx)


@claim(
    CLAIMS,
    id="optim.lamb.sign_descent_and_trust_ratio",
    statement="LAMB with beta1 = beta2 = 0, eps = 0, lambda = 0 is layer-normalised sign descent "
        "x - eta ||x|| sign(g)/||sign(g)||, and for any settings ||Delta x|| = eta phi(||x||) "
        "with phi(z) = z.",
    latex=r"\|\Delta x^{(i)}\| = \eta\,\phi(\|x^{(i)}\|)",
    source="docs/theory.md section 11.2; arXiv 1904.00962",
    status="proved",
    hypotheses=("x != 0, u != 0",),
    tags=("optim",),
)
def _lamb_numeric(ctx: CheckContext) -> list[Instance]:
    rng = ctx.rng("optim-lamb")
    inst = []
    shapes = {"w": (6, 5), "b": (6,), "k": (3, 2, 2, 2)}
    for rep in range(4 if ctx.full else 2):
        x0 = {n: rng.standard_normal(s) for n, s in shapes.items()}
        lr = float(np.exp(rng.uniform(-6, -2)))
        # (a) betas = 0, eps = 0: layer-normalised sign descent (derived formula, not the code)
        g = {n: rng.standard_normal(s) for n, s in shapes.items()}
        opt = LAMB(lr=lr, betas=(0.0, 0.0), eps=0.0, weight_decay=0.0)
        new, _ = opt.step(x0, g, opt.init(x0))
        for n in shapes:
            sgn = np.sign(g[n])
            expect = x0[n] - lr * np.linalg.norm(x0[n]) * sgn / np.linalg.norm(sgn)
            err = float(np.max(np.abs(new[n] - expect))) / float(np.max(np.abs(expect)))
            inst.append(Instance(f"#{rep} {n}: LAMB(0,0,0) vs x - lr ||x|| sign(g)/||sign(g)||", err,
                                 0.0, "==", _tol(shapes[n])))
        # (b) any betas, eps, wd: ||dx|| = lr phi(||x||) at every step
        opt = LAMB(lr=lr, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.01)
        x, st = dict(x0), opt.init(x0)
        for k in range(5):
            g = {n: rng.standard_normal(s) for n, s in shapes.items()}
            new, st = opt.step(x, g, st)
            for n in shapes:
                ratio = float(np.linalg.norm(new[n] - x[n])) / (lr * float(np.linalg.norm(x[n])))
                inst.append(Instance(f"#{rep} k={k} {n}: ||dx|| / (lr ||x||)", ratio, 1.0, "==",
                                     _tol(shapes[n]) + difference(x[n], new[n])))
            x = new
    return inst


@claim(
    CLAIMS,
    id="optim.normuon_paper.update_rms",
    statement="The NorMuon paper-form update eta_hat O_hat has RMS exactly 0.2 eta (any shape, any "
        "orthogonalizer).",
    latex=r"\mathrm{RMS}(\hat\eta\hat O) = 0.2\,\eta",
    source="docs/theory.md section 11.3; arXiv 2510.05491 (paper form uncertain in detail)",
    status="uncertain",
    hypotheses=("weight decay 0", "O != 0"),
    tags=("optim",),
)
def _normuon_numeric(ctx: CheckContext) -> list[Instance]:
    rng = ctx.rng("optim-normuon")
    inst = []
    shapes = {"tall": (9, 4), "wide": (3, 8), "square": (5, 5)}
    x0 = {n: rng.standard_normal(s) for n, s in shapes.items()}
    for orth_name, orth in (("NS5", None), ("exact", polar_exact)):
        kw = {} if orth is None else {"orthogonalizer": orth}
        lr = 0.02
        opt = NorMuonPaper(lr=lr, **kw)
        x, st = dict(x0), opt.init(x0)
        for k in range(8 if ctx.full else 4):
            g = {n: rng.standard_normal(s) for n, s in shapes.items()}
            new, st = opt.step(x, g, st)
            for n, s in shapes.items():
                rms = float(np.sqrt(np.mean((new[n] - x[n]) ** 2)))
                inst.append(Instance(f"{orth_name} k={k} {n}{s}: RMS(dW) / (0.2 lr)", rms / (0.2 * lr),
                                     1.0, "==", _tol(s) + difference(x[n], new[n])))
            x = new
    return inst


def _uba_symbolic() -> SymbolicResult:
    th, phi = sp.symbols("theta phi", real=True)
    c = 1 + sp.cos(th)
    f = 2 * c / (2 * phi + (2 - phi) * c)
    at2 = sp.simplify(f.subs(phi, 2) - (1 + sp.cos(th)) / 2)
    u = sp.symbols("u", positive=True)
    fu = 2 * u / (phi + (2 - phi) * u)      # with c = 2u
    recip = sp.simplify(1 / fu - 1 - (phi / 2) * (1 / u - 1))
    ends = sp.simplify(f.subs(th, 0) - 1) == 0 and sp.simplify(f.subs(th, sp.pi)) == 0
    ok = at2 == 0 and recip == 0 and ends
    return SymbolicResult(bool(ok), "f(theta; 2) - (1 + cos theta)/2 simplifies to 0; "
                          "1/f - 1 = (phi/2)(1/u - 1) with u = (1 + cos theta)/2; f(0) = 1, f(pi) = 0")


@claim(
    CLAIMS,
    id="optim.uba.phi2_is_cosine",
    statement="The UBA schedule with phi = 2 is exactly cosine annealing; f(0) = 1, f(T) = 0.",
    latex=r"\frac{2(1+\cos\theta)}{4} = \frac{1+\cos\theta}{2}",
    source="docs/theory.md section 11.6; arXiv 2505.24452 (formula from third-party code)",
    status="uncertain",
    hypotheses=(),
    symbolic=_uba_symbolic,
    tags=("optim",),
)
def _uba_numeric(ctx: CheckContext) -> list[Instance]:
    T = 50
    cos = Cosine(1.0, T)
    return [Instance(f"k={k}: uba_factor(pi k/T, 2) vs cosine", uba_factor(math.pi * k / T, 2.0),
                     cos.at(k), "==", gamma(16)) for k in range(0, T + 1, 1 if ctx.full else 5)]


@claim(
    CLAIMS,
    id="optim.sophia.sign_before_first_refresh",
    statement="Before the first Hessian refresh (h = 0) the Sophia step is exactly -eta sign(m).",
    latex=r"h=0:\ \theta - \eta\,\mathrm{clip}(m/\epsilon, 1) = \theta - \eta\,\mathrm{sign}(m)",
    source="docs/theory.md section 11.5; arXiv 2305.14342",
    status="proved",
    hypotheses=("|m_j| >= eps", "weight decay 0"),
    tags=("optim",),
)
def _sophia_numeric(ctx: CheckContext) -> list[Instance]:
    rng = ctx.rng("optim-sophia")
    shapes = {"w": (5, 4), "b": (5,)}
    opt = Sophia(lr=1e-3, betas=(0.9, 0.99), weight_decay=0.0, update_every=5)
    x = {n: rng.standard_normal(s) for n, s in shapes.items()}
    st = opt.init(x)
    m = {n: np.zeros(s) for n, s in shapes.items()}
    inst = []
    for k in range(opt.update_every):
        g = {n: rng.standard_normal(s) for n, s in shapes.items()}
        m = {n: 0.9 * m[n] + 0.1 * g[n] for n in shapes}
        new, st = opt.step(x, g, st)
        for n in shapes:
            expect = x[n] - 1e-3 * np.sign(m[n])
            inst.append(Instance(f"k={k} {n}: max|theta_new - (theta - lr sign(m))|",
                                 float(np.max(np.abs(new[n] - expect))), 0.0, "==",
                                 gamma(2) * float(np.max(np.abs(x[n])) + 1e-3)))
        x = new
    return inst


@claim(
    CLAIMS,
    id="optim.theorem1.per_step_decrease",
    statement="Gluon with Theorem 1's t_i = g_i/(L0_i + L1_i g_i) decreases a separable quadratic "
        "with valid L0_i by at least sum_i g_i^2/(2(L0_i + L1_i g_i)) at every step.",
    latex=r"f(X^k)-f(X^{k+1}) \ge \sum_i \frac{g_i^2}{2(L^0_i+L^1_i g_i)}",
    source="docs/theory.md section 5; Gluon arXiv 2505.13416",
    status="proved",
    hypotheses=("L0_i valid for the layer norm (Frobenius: w_i; spectral: w_i min(m, n))",),
    tags=("optim",),
)
def _check_optim_theorem1_per_step_decrease(ctx: CheckContext) -> list[Instance]:
    inst = _theorem1_run(ctx, 1.0, "optim-thm1")
    # attainment: Frobenius layers of f = sum w_i/2 ||X_i - C_i||^2 with L0_i = w_i, L1_i = 0
    # are exact (Lemma D is an equality) and the step lands on C_i: decrease = the guarantee
    rng = ctx.rng("optim-thm1-tight")
    w = {n: float(np.exp(rng.uniform(-1, 1))) for n in ("b", "c")}
    C = {"b": rng.standard_normal((3, 5)), "c": rng.standard_normal(7)}
    x = {n: rng.standard_normal(c.shape) for n, c in C.items()}
    opt = Gluon(gluon_config(x, norms="frobenius",
                             stepsizes={n: Theorem1Adaptive(w[n], 0.0) for n in x}))
    g = {n: w[n] * (x[n] - C[n]) for n in x}
    new, _ = opt.step(x, g, opt.init(x))

    def f(z):
        return sum(0.5 * w[n] * float(np.sum((z[n] - C[n]) ** 2)) for n in z)

    bound = sum(float(np.sum(g[n] ** 2)) / (2 * w[n]) for n in x)
    inst.append(attained("Frobenius layers, L1 = 0 (one step reaches the minimiser)",
                         f(x) - f(new), bound))
    return inst


@claim(
    CLAIMS,
    id="optim.control.theorem1_L0_too_small",
    statement="Negative control: with L0_i replaced by L0_i/4 and L1 = 0 (invalid constants) the "
        "decrease promised for those constants must fail.",
    latex=r"L^0_i \to L^0_i/4",
    source="docs/theory.md section 5",
    status="proved",
    expect="violated",
    breaks="Assumption 1 on each step's segment with the constants given to the stepsize "
           "(here L0_i/4)",
    tags=("optim", "control"),
)
def _check_optim_control_theorem1_l0_too_small(ctx: CheckContext) -> list[Instance]:
    return _theorem1_run(ctx, 0.25, "optim-thm1-ctrl", l1_max=0.0, steps=3)


@claim(
    CLAIMS,
    id="optim.control.muon_original_vs_rms_to_rms",
    statement="Negative control: Muon's 'original' scaling max(1, sqrt(m/n)) is not the RMS->RMS "
        "scaling sqrt(m/n) on non-square layers, so the equivalence must fail.",
    latex=r"\max(1,\sqrt{m/n}) \ne \sqrt{m/n}\ (m\ne n)",
    source="docs/theory.md section 9 notes",
    status="elementary",
    expect="violated",
    breaks="max(1, sqrt(m/n)) = sqrt(m/n) on every layer (d_out >= d_in)",
    tags=("optim", "control"),
)
def _check_optim_control_muon_original_vs_rms_to_rms(ctx: CheckContext) -> list[Instance]:
    shapes = SHAPES[_CASES["ctrl_muon_vs_rms"].shapes].values()
    held = all(max(1.0, math.sqrt(m / n)) == math.sqrt(m / n) for m, n in shapes)
    return [replace(i, hypothesis_held=held, note=f"layer shapes {sorted(shapes)}")
            for i in _case_numeric("ctrl_muon_vs_rms")(ctx)]


@claim(
    CLAIMS,
    id="optim.control.newton_schulz_step_length",
    statement="Negative control: a spectral step with 5 Newton-Schulz iterations (Keller's quintic) "
        "instead of the exact polar factor fails the exact step-length identity (allowance: the "
        "SVD rounding of one step).",
    latex=r"\|t\,\mathrm{NS}_5(G)\|_2 \ne t",
    source="docs/theory.md section 2; docs/polar.md",
    status="elementary",
    expect="violated",
    breaks="exact LMO: the orthogonalizer returns the polar factor U V^T",
    tags=("optim", "control"),
)
def _ns_step_length(ctx: CheckContext) -> list[Instance]:
    rng = ctx.rng("optim-ns-ctrl")
    inst = []
    for shape in ((6, 4), (4, 7)):
        t = 0.1
        x, g, dx, norm, new = _one_step("spectral", shape, rng, t, orthogonalizer="muon")
        u, _, vt = np.linalg.svd(g, full_matrices=False)
        # the hypothesis, measured: dX/t = -U V^T up to the SVD's rounding (numpy, not the library)
        polar_gap = float(np.linalg.norm(dx / t + u @ vt, 2))
        tol = _tol(shape) + difference(x, new, math.sqrt(x.size))
        step = float(np.linalg.svd(dx, compute_uv=False)[0]) / t
        inst.append(Instance(f"NS5 {shape}: ||dX||_2 / t", step, 1.0, "==", tol,
                             hypothesis_held=polar_gap <= tol,
                             note=f"||dX/t + U V^T||_2 = {polar_gap:.3g}"))
    return inst

