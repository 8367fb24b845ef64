"""Claims about norms and LMOs (LMOS.md sections 2, 5 and 6)."""

from __future__ import annotations

import numpy as np
import sympy as sp

from gluon_ref.norms import ProductNorm, available_norms, get_norm
from proofs_check.lmo_checks import example_shape, feasible_points, measure_lmo
from proofs_check.tolerances import gamma, svd_identity

from .base import CheckContext, Claim, Instance, SymbolicResult, claim

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
        source=f"LMOS.md sections 5.1, 5.8, 6 ({get_norm(_name).source})",
        status="elementary",
        hypotheses=("g != 0", "float64", "exact SVD for spectral norms"),
        tags=("lmo",),
    )(_identities(_name))


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
    source="LMOS.md 5.3; Old Optimizer, New Norm (arXiv 2409.20325)",
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
    source="LMOS.md 5.2",
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
    source="THEORY.md section 1",
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
    return inst


@claim(
    CLAIMS,
    id="lmo.product_norm",
    statement="For the layer-wise product norm max_l ||w_l||_l/rho_l the dual is "
        "sum_l rho_l ||g_l||_{l,*}, the LMO is block-wise rho_l lmo_l(g_l), and the value "
        "identity holds for the whole network.",
    latex=r"\|g\|_*=\sum_l\rho_l\|g_l\|_{l,*},\ \mathrm{lmo}(g)_l=\rho_l\,\mathrm{lmo}_l(g_l)",
    source="LMOS.md 2b and 5.6",
    status="elementary",
    tags=("lmo",),
)
def _product_numeric(ctx: CheckContext) -> list[Instance]:
    rng = ctx.rng("product")
    layers = {"embed": (get_norm("colnorm", transpose=True), 1.0),
              "hidden": (get_norm("rms_to_rms"), 50.0),
              "head": (get_norm("sign"), 3000.0),
              "bias": (get_norm("rms"), 8.0)}
    shapes = {"embed": (20, 6), "hidden": (6, 6), "head": (5, 6), "bias": (6,)}
    prod = ProductNorm(layers)
    inst = []
    for k in range(5 if ctx.full else 2):
        g = {key: rng.standard_normal(s) for key, s in shapes.items()}
        step = prod.lmo(g)
        value = sum(float(np.sum(g[key] * step[key])) for key in g)
        dual = prod.dual_norm(g)
        want = sum(rho * float(n.dual_norm(g[key])) for key, (n, rho) in layers.items())
        # per block an SVD identity, then a sum over the L blocks (gamma(L))
        rel = sum(_tol(s) for s in shapes.values()) + gamma(len(shapes))
        inst.append(Instance(f"g{k}: <g, lmo(g)> vs -sum rho_l ||g_l||_*", value, -want, "==",
                             rel * want))
        inst.append(Instance(f"g{k}: dual norm vs sum rho_l ||g_l||_*", dual, want, "==",
                             rel * want))
        inst.append(Instance(f"g{k}: ||lmo(g)||_prod vs 1", prod.norm(step), 1.0, "==", rel))
    return inst


@claim(
    CLAIMS,
    id="lmo.ball_inclusions",
    statement="Normalized-Sign ball lies in the RowNorm ball (||A||_{RMS->inf} <= n max|A_ij|, "
        "tight on sign matrices) and the normalized ColNorm ball in the RMS->RMS ball "
        "(||A||_{RMS->RMS} <= n ||A||_{1->RMS}).",
    latex=r"\|A\|_{\mathrm{RMS}\to\infty}\le n\max|A_{ij}|,\ "
        r"\|A\|_{\mathrm{RMS}\to\mathrm{RMS}}\le n\|A\|_{1\to\mathrm{RMS}}",
    source="LMOS.md 2b notes",
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
    source="LMOS.md 6.3 (optimality check)",
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

