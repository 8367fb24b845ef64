"""Claims about norms and LMOs (docs/norms.md sections 2, 5 and 6)."""

from __future__ import annotations

import numpy as np
import sympy as sp

from gluon_ref.norms import ProductNorm, available_norms, get_norm
from proofs_check.lmo_checks import example_shape, feasible_points, measure_lmo
from proofs_check.tolerances import gamma, svd_identity

from .base import CheckContext, Claim, Instance, SymbolicResult, attained, claim

EPS64 = float(np.finfo(np.float64).eps)


def _tol(shape) -> float:
    """Relative allowance of an identity through an SVD and inner products on a block:
    ``gamma(m n) + min(m, n) max(m, n) eps`` (:func:`proofs_check.tolerances.svd_identity`)."""
    return svd_identity(shape)


def _gradients(norm, ctx: CheckContext, salt: str):
    """Gaussian, rank-deficient, sparse and badly scaled gradients (more in full mode)."""
    rng = ctx.rng(salt)
    shape = example_shape(norm, 12, 8)
    count = 12 if ctx.full else 3
    out = []
    for k in range(count):
        g = rng.standard_normal(shape)
        if k % 3 == 1 and len(shape) >= 2:
            m = shape[0]
            g = (rng.standard_normal((m, 2)) @ rng.standard_normal((2, g.size // m))).reshape(shape)
        elif k % 3 == 2:
            g = g * (rng.random(shape) < 0.3) * 10.0 ** rng.integers(-20, 20)
            if not g.any():
                g.flat[0] = 1.0
        out.append(g)
    return out


def _identities(name: str):
    def check(ctx: CheckContext) -> list[Instance]:
        norm = get_norm(name)
        rng = ctx.rng(f"pts-{name}")
        inst = []
        for k, g in enumerate(_gradients(norm, ctx, name)):
            tol = _tol(g.shape)
            m = measure_lmo(norm, g, rng, n_points=200 if ctx.full else 60)
            inst += [
                Instance(f"g{k}: |<g,lmo>+||g||_*|/||g||_*", m.value_error, 0.0, "==", tol),
                Instance(f"g{k}: | ||lmo|| - 1 |", m.sphere_error, 0.0, "==", tol),
                Instance(f"g{k}: min_y <g,y> - <g,lmo> (over feasible y)", m.optimality_slack, 0.0,
                         ">=", tol),
                Instance(f"g{k}: |<x,dual_lmo(x)>+||x||| / ||x||", m.dual_of_dual, 0.0, "==", tol),
                Instance(f"g{k}: max|lmo(1e3 g) - lmo(g)|", m.homogeneity, 0.0, "==", tol),
            ]
        return inst

    return check



CLAIMS: list[Claim] = []

for _name in available_norms():
    claim(
        CLAIMS,
        id=f"lmo.identities.{_name}",
        statement=(f"For the {_name} norm ({get_norm(_name).formula}): <g, lmo(g)> = -||g||_*, "
                   "||lmo(g)|| = 1, no feasible point beats lmo(g), the dual-ball LMO gives back "
                   "the primal norm, and lmo is 0-homogeneous."),
        latex=r"\langle g,\mathrm{lmo}(g)\rangle=-\|g\|_*,\ \|\mathrm{lmo}(g)\|=1,\ "
              r"\mathrm{lmo}(g)\in\arg\min_{\|x\|\le1}\langle g,x\rangle",
        source=f"docs/norms.md section 5 items 1 and 8, section 6 ({get_norm(_name).source})",
        status="elementary",
        hypotheses=("g != 0", "float64", "exact SVD for spectral norms"),
        tags=("lmo",),
    )(_identities(_name))


#: LMO scale factors as published by each source, written independently of the catalogue
#: (gluon_ref.norms): ``name -> (source, base direction, factor(m, n, shape))`` where the
#: published step is ``X - t * factor * base(G)``, i.e. lmo(G) = -factor * base(G), with
#: (m, n) = (d_out, d_in) of the (reshaped) weight.
def _polar(g):
    u, _, vt = np.linalg.svd(g, full_matrices=False)
    return u @ vt


PUBLISHED_FACTORS = {
    "spectral": ("Muon idealised, docs/theory.md 9: X - t U V^T", _polar, lambda m, n, s: 1.0),
    "rms_to_rms": ("Scion Spectral / modula Linear: sqrt(d_out/d_in) U V^T (docs/theory.md 9)", _polar,
                   lambda m, n, s: (m / n) ** 0.5),
    "muon_spectral": ("KellerJordan/Muon: max(1, rows/cols)**0.5 U V^T; torch.optim.Muon "
                      "adjust_lr 'original' (docs/theory.md 11.7)", _polar,
                      lambda m, n, s: max(1.0, m / n) ** 0.5),
    "sign": ("Scion Sign / unScion tied embedding: (1/d_in) sign(G) (docs/theory.md 9)", np.sign,
             lambda m, n, s: 1.0 / n),
    "rms": ("unScion CNN biases: sqrt(C_out) G/||G||_2 (docs/theory.md 9)",
            lambda g: g / np.linalg.norm(g), lambda m, n, s: m ** 0.5),
    "frobenius": ("layer-wise normalized GD: G/||G||_2 (docs/theory.md 9)",
                  lambda g: g / np.linalg.norm(g), lambda m, n, s: 1.0),
    "linf": ("layer-wise signGD: sign(G) (docs/theory.md 9)", np.sign, lambda m, n, s: 1.0),
    "spectral_conv": ("unScion CNN conv kernels (C_out, C_in, k, k): (1/k^2) sqrt(C_out/C_in) "
                      "U V^T of the C_out x (C_in k^2) reshape (docs/theory.md 9)",
                      lambda g: _polar(g.reshape(g.shape[0], -1)).reshape(g.shape),
                      lambda m, n, s: (s[0] / s[1]) ** 0.5 / (s[2] * s[3])),
}


@claim(
    CLAIMS,
    id="lmo.scale_factors",
    statement="Each catalogue LMO equals the step its source publishes: lmo(G) = -c(shape) "
              "base(G) with the factor c written from the papers and reference code (Scion, "
              "Gluon's unScion table, modula, Keller Jordan's Muon, torch.optim.Muon), not from "
              "the catalogue; tall, wide and square shapes, so an inverted or transposed factor "
              "fails.",
    latex=r"\mathrm{lmo}(G)=-c_{\mathrm{published}}(m,n)\,\mathrm{base}(G)",
    source="docs/theory.md sections 9 and 11.7; Scion arXiv 2502.07529; Gluon arXiv 2505.13416",
    status="reported",
    tags=("lmo",),
)
def _scale_factors(ctx: CheckContext) -> list[Instance]:
    rng = ctx.rng("published-factors")
    inst = []
    for name, (source, base, factor) in PUBLISHED_FACTORS.items():
        norm = get_norm(name)
        if name == "spectral_conv":
            shapes = [(6, 3, 3, 3), (4, 8, 2, 2)]
        elif norm.ndims == (1,):
            shapes = [(7,), (12,)]
        else:
            shapes = [(7, 3), (3, 8), (5, 5)]
        for shape in shapes:
            g = rng.standard_normal(shape)
            m = shape[0]
            n = max(1, int(np.prod(shape)) // m)
            want = -factor(m, n, shape) * base(g)
            got = np.asarray(norm.lmo(g))
            err = float(np.max(np.abs(got - want)) / np.max(np.abs(want)))
            inst.append(Instance(f"{name}{shape}: max|lmo - published| / max|published|", err, 0.0,
                                 "==", _tol(shape), note=source))
    return inst


def _steepest_symbolic() -> SymbolicResult:
    t, a, L = sp.symbols("t a L", positive=True)
    model = -t * a + L * t**2 / 2
    t_star = sp.solve(sp.diff(model, t), t)
    ok = (len(t_star) == 1 and sp.simplify(t_star[0] - a / L) == 0
          and sp.simplify(model.subs(t, t_star[0]) + a**2 / (2 * L)) == 0
          and sp.diff(model, t, 2) == L)
    return SymbolicResult(ok, "min_t -t a + L t^2/2 at t* = a/L (second derivative L > 0), "
                              "value -a^2/(2L); with ||d|| = t and <g,d> >= -t ||g||_* this gives "
                              "d* = (||g||_*/L) lmo(g)")


@claim(
    CLAIMS,
    id="lmo.steepest_descent",
    statement="The quadratic model <g, d> + (L/2)||d||^2 is minimised by d* = (||g||_*/L) lmo(g) "
        "with value -||g||_*^2/(2L), for every catalogue norm.",
    latex=r"\arg\min_d \langle g,d\rangle+\tfrac{L}{2}\|d\|^2=\tfrac{\|g\|_*}{L}\,"
        r"\mathrm{lmo}(g),\quad \min=-\tfrac{\|g\|_*^2}{2L}",
    source="docs/norms.md section 5 item 3; Old Optimizer, New Norm (arXiv 2409.20325)",
    status="proved",
    hypotheses=("L > 0",),
    symbolic=_steepest_symbolic,
    tags=("lmo",),
)
def _steepest_numeric(ctx: CheckContext) -> list[Instance]:
    rng = ctx.rng("steepest")
    inst = []
    for name in available_norms():
        norm = get_norm(name)
        g = rng.standard_normal(example_shape(norm, 8, 6))
        L = float(np.exp(rng.uniform(-2, 2)))
        dual = float(norm.dual_norm(g))
        d_star = (dual / L) * norm.lmo(g)

        def model(d):
            return float(np.sum(g * d)) + L / 2 * float(norm.norm(d)) ** 2

        tol = _tol(g.shape) * dual**2 / L
        inst.append(Instance(f"{name}: model(d*) vs -||g||_*^2/(2L)", model(d_star),
                             -dual**2 / (2 * L), "==", tol))
        best_perturbed = min(model(d_star + 10.0 ** rng.uniform(-3, 0) * (dual / L) * y)
                             for y in feasible_points(norm, g.shape, 20, rng))
        inst.append(Instance(f"{name}: min over perturbed d of model(d) >= model(d*)",
                             best_perturbed, model(d_star), ">=", tol))
    return inst


@claim(
    CLAIMS,
    id="lmo.sharp_operator",
    statement="The sharp operator g# = ||g||_* s(g) satisfies ||g#|| = ||g||_* and "
        "<g, g#> = ||g||_*^2.",
    latex=r"\|g^\sharp\|=\|g\|_*,\ \langle g,g^\sharp\rangle=\|g\|_*^2",
    source="docs/norms.md section 5 item 2",
    status="elementary",
    tags=("lmo",),
)
def _sharp_numeric(ctx: CheckContext) -> list[Instance]:
    rng = ctx.rng("sharp")
    inst = []
    for name in available_norms():
        norm = get_norm(name)
        g = rng.standard_normal(example_shape(norm, 8, 6))
        sharp = norm.sharp(g)
        dual = float(norm.dual_norm(g))
        tol = _tol(g.shape)
        inst.append(Instance(f"{name}: ||g#|| vs ||g||_*", float(norm.norm(sharp)), dual, "==",
                             tol * dual))
        inst.append(Instance(f"{name}: <g, g#> vs ||g||_*^2", float(np.sum(g * sharp)), dual**2,
                             "==", tol * dual**2))
    return inst


@claim(
    CLAIMS,
    id="lmo.hoelder",
    statement="Hölder's inequality |<a, b>| <= ||a|| ||b||_* for every catalogue norm "
        "(tight at b = -dual_lmo(a)).",
    latex=r"|\langle a,b\rangle|\le\|a\|\,\|b\|_*",
    source="docs/theory.md section 1",
    status="elementary",
    tags=("lmo",),
)
def _hoelder_numeric(ctx: CheckContext) -> list[Instance]:
    rng = ctx.rng("hoelder")
    inst = []
    for name in available_norms():
        norm = get_norm(name)
        shape = example_shape(norm, 8, 6)
        for k in range(4 if ctx.full else 2):
            a = rng.standard_normal(shape)
            # the near-tight pair (a, -lmo-dual) and a random pair
            b = -norm.dual_lmo(a) if k == 0 else rng.standard_normal(shape)
            lhs = abs(float(np.sum(a * b)))
            rhs = float(norm.norm(a)) * float(norm.dual_norm(b))
            inst.append(Instance(f"{name} pair {k}", lhs, rhs, "<=", _tol(shape) * rhs))
            if k == 0:  # the dual LMO's pair attains Hoelder
                inst.append(attained(f"{name}: (a, -dual_lmo(a))", lhs, rhs))
    return inst


@claim(
    CLAIMS,
    id="lmo.product_norm",
    statement="For the layer-wise product norm max_l ||w_l||_l/rho_l the dual is "
        "sum_l rho_l ||g_l||_{l,*}, the LMO is block-wise rho_l lmo_l(g_l), and the value "
        "identity holds for the whole network.",
    latex=r"\|g\|_*=\sum_l\rho_l\|g_l\|_{l,*},\ \mathrm{lmo}(g)_l=\rho_l\,\mathrm{lmo}_l(g_l)",
    source="docs/norms.md section 2b and section 5 item 6",
    status="elementary",
    tags=("lmo",),
)
def _product_numeric(ctx: CheckContext) -> list[Instance]:
    """The product norm and its dual evaluated directly (numpy SVD, sums and maxima written
    from the definitions), not through the catalogue's own dual norms."""
    rng = ctx.rng("product")
    layers = {"embed": (get_norm("spectral"), 1.0),
              "hidden": (get_norm("rms_to_rms"), 50.0),
              "head": (get_norm("sign"), 3000.0),
              "bias": (get_norm("rms"), 8.0)}
    shapes = {"embed": (20, 6), "hidden": (6, 9), "head": (5, 6), "bias": (6,)}

    def sv(a):
        return np.linalg.svd(a, compute_uv=False)

    # primal norms N_l and dual norms N_l* from the definitions (m, n) = (d_out, d_in)
    primal = {"embed": lambda a: sv(a)[0],
              "hidden": lambda a: (a.shape[1] / a.shape[0]) ** 0.5 * sv(a)[0],
              "head": lambda a: a.shape[1] * np.max(np.abs(a)),
              "bias": lambda a: np.linalg.norm(a) / a.size ** 0.5}
    dual = {"embed": lambda a: sv(a).sum(),
            "hidden": lambda a: (a.shape[0] / a.shape[1]) ** 0.5 * sv(a).sum(),
            "head": lambda a: np.abs(a).sum() / a.shape[1],
            "bias": lambda a: a.size ** 0.5 * np.linalg.norm(a)}
    prod = ProductNorm(layers)
    rel = sum(_tol(s) for s in shapes.values()) + gamma(len(shapes))
    inst = []
    for k in range(5 if ctx.full else 2):
        g = {key: rng.standard_normal(s) for key, s in shapes.items()}
        step = prod.lmo(g)
        value = sum(float(np.sum(g[key] * step[key])) for key in g)
        want = sum(rho * float(dual[key](g[key])) for key, (_, rho) in layers.items())
        size = max(float(primal[key](step[key])) / rho for key, (_, rho) in layers.items())
        inst.append(Instance(f"g{k}: <g, lmo(g)> vs -sum rho_l ||g_l||_* (direct)", value, -want,
                             "==", rel * want))
        inst.append(Instance(f"g{k}: dual norm vs sum rho_l ||g_l||_* (direct)", prod.dual_norm(g),
                             want, "==", rel * want))
        inst.append(Instance(f"g{k}: max_l ||lmo(g)_l||_l / rho_l (direct) vs 1", size, 1.0, "==",
                             rel))
    return inst


@claim(
    CLAIMS,
    id="lmo.ball_inclusions",
    statement="Normalized-Sign ball lies in the RowNorm ball (||A||_{RMS->inf} <= n max|A_ij|, "
        "tight on sign matrices) and the normalized ColNorm ball in the RMS->RMS ball "
        "(||A||_{RMS->RMS} <= n ||A||_{1->RMS}).",
    latex=r"\|A\|_{\mathrm{RMS}\to\infty}\le n\max|A_{ij}|,\ "
        r"\|A\|_{\mathrm{RMS}\to\mathrm{RMS}}\le n\|A\|_{1\to\mathrm{RMS}}",
    source="docs/norms.md 2b notes",
    status="elementary",
    tags=("lmo",),
)
def _inclusion_numeric(ctx: CheckContext) -> list[Instance]:
    rng = ctx.rng("inclusion")
    inst = []
    pairs = (("rownorm", "sign"), ("rms_to_rms", "colnorm_normalized"))
    for small, big in pairs:
        for k in range(20 if ctx.full else 6):
            m, n = int(rng.integers(1, 9)), int(rng.integers(1, 9))
            a = rng.standard_normal((m, n))
            if k == 0:  # sign matrices attain the first inclusion
                a = np.sign(a)
            lhs = float(get_norm(small).norm(a))
            rhs = float(get_norm(big).norm(a))
            inst.append(Instance(f"{small} <= {big}, {m}x{n} #{k}", lhs, rhs, "<=",
                                 (_tol((m, n)) + _tol((n, m))) * rhs))
    return inst


@claim(
    CLAIMS,
    id="lmo.control.wrong_oracle",
    statement="Negative control: the Frobenius direction -g/||g||_F, rescaled onto the "
        "spectral sphere, is NOT the spectral LMO; sampled feasible points beat it.",
    latex=r"\min_{\|y\|_2\le1}\langle g,y\rangle<\langle g,-g/\|g\|_2\rangle",
    source="docs/norms.md section 6 item 3 (optimality check)",
    status="elementary",
    expect="violated",
    breaks="the oracle minimises <g, x> over the spectral unit ball (value -||g||_nuc)",
    tags=("lmo", "control"),
)
def _wrong_oracle_numeric(ctx: CheckContext) -> list[Instance]:
    """Use the Frobenius LMO as if it were the spectral one: feasible points beat it."""
    rng = ctx.rng("wrong-oracle")
    spectral, frob = get_norm("spectral"), get_norm("frobenius")
    inst = []
    for k in range(3):
        g = rng.standard_normal((8, 6))
        wrong = frob.lmo(g) / float(spectral.norm(frob.lmo(g)))  # rescaled onto the spectral sphere
        value = float(np.sum(g * wrong))
        best = min(float(np.sum(g * y))
                   for y in feasible_points(spectral, g.shape, 60, rng, center=wrong))
        tol = _tol(g.shape) * float(spectral.dual_norm(g))
        # the hypothesis, measured independently: an exact minimiser attains -||g||_nuc (numpy SVD)
        nuclear = float(np.linalg.svd(g, compute_uv=False).sum())
        inst.append(Instance(f"g{k}: min_y <g,y> >= <g, wrong lmo>", best, value, ">=", tol,
                             hypothesis_held=value <= -nuclear + tol,
                             note=f"<g, wrong> = {value:.4g} vs -||g||_nuc = {-nuclear:.4g}"))
    return inst

