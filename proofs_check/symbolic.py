"""Symbolic (sympy) proofs of the algebraic steps of Theorems 1 and 2 (docs/theory.md 5-7), tied
to the code.

Each proof derives the expression it proves (the optimal stepsize, the guaranteed decrease,
the iteration count, the rate, the special cases, Theorem 2's schedule) with sympy, for a
general number of layers ``p`` where the algebra allows (sums over an indexed layer variable
``i = 0..p-1``), then *lambdifies* it and compares it with the function the numeric checks
use (:mod:`gluon_ref.bounds` and the stepsize policies of :mod:`gluon_ref.optim.stepsizes`)
on random constants, to a relative ``REL = 1e-12``.  A mis-implemented formula therefore
fails the claim's symbolic part even where the numeric check has slack to hide it.

``ok`` is computed (simplification to zero, solving, comparison), never asserted by hand.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Callable, Iterable

import numpy as np
import sympy as sp

from gluon_ref import bounds
from gluon_ref.optim.stepsizes import Theorem1Adaptive, Theorem2Schedule

from .claims.base import SymbolicResult

__all__ = [
    "optimal_stepsize_proof",
    "cauchy_schwarz_step_proof",
    "iteration_count_proof",
    "rate_form_proof",
    "special_cases_proof",
    "max_form_proof",
    "theorem2_schedule_proof",
    "REL",
]

#: relative agreement required between a lambdified expression and the code.  The formulas
#: are sums of at most 6 positive terms and a square root, evaluated in float64 in both
#: orders: rounding is a few eps (< 1e-15); 1e-12 leaves room and catches any wrong factor.
REL = 1e-12
#: random draws per comparison; the constants span 10^-2..10^2 and p spans 1..6 layers
DRAWS = 24
_SEED = 2505_13416

# general-p layer symbols: sums run over i = 0..p-1, so lambdified code indexes numpy arrays
_p = sp.Symbol("p", integer=True, positive=True)
_i = sp.Symbol("i", integer=True, nonnegative=True)
_G, _L0, _L1, _T = (sp.IndexedBase(n) for n in ("g", "L0", "L1", "t"))


def _sum(term) -> sp.Expr:
    return sp.Sum(term, (_i, 0, _p - 1))


#: docs/theory.md section 6 definitions, for general p
A_SUM = _sum(_L0[_i] / _L1[_i] ** 2)
M_BAR = _sum(1 / _L1[_i]) / _p
S_SUM = _sum(_G[_i] / _L1[_i])
D_SUM = _sum(_G[_i] ** 2 / (_L0[_i] + _L1[_i] * _G[_i]))


def _draws(n: int = DRAWS) -> Iterable[dict]:
    """Random constants: p layers, L0, L1, g, t in [1e-2, 1e2], Delta0, eps, K, k, f."""
    rng = np.random.default_rng(_SEED)
    for _ in range(n):
        p = int(rng.integers(1, 7))

        def pos(size=p):
            return 10.0 ** rng.uniform(-2, 2, size)

        yield dict(p=p, g=pos(), L0=pos(), L1=pos(), t=pos(), d0=float(pos(None)),
                   eps=float(pos(None)), K=int(rng.integers(1, 10**4)), k=int(rng.integers(0, 10**4)),
                   f=float(pos(None)))


def _rel(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return float("inf")
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), np.finfo(float).tiny)
    return float(np.max(np.abs(a - b) / scale))


def _agree(label: str, derived: Callable[[dict], object], code: Callable[[dict], object],
           draws: Iterable[dict] | None = None) -> tuple[bool, str]:
    """Compare the lambdified expression with the implementation on random draws."""
    worst, n = 0.0, 0
    for d in (draws if draws is not None else _draws()):
        worst = max(worst, _rel(derived(d), code(d)))
        n += 1
    ok = worst <= REL
    return ok, f"{label}: max rel diff {worst:.1e} on {n} draws ({'ok' if ok else 'MISMATCH'})"


def _lam(expr: sp.Expr, *args) -> Callable:
    return sp.lambdify(args, expr, "numpy")


def _ctx(g: float, k: int = 0) -> SimpleNamespace:
    """The two fields of a StepContext that Theorem 1/2 policies read."""
    return SimpleNamespace(grad_dual=float(g), k=int(k))


def _result(algebra: dict[str, bool], code: list[tuple[bool, str]], what: str) -> SymbolicResult:
    ok = all(algebra.values()) and all(c for c, _ in code)
    failed = [k for k, v in algebra.items() if not v]
    detail = what + ("" if not failed else f" [algebra FAILED: {failed}]")
    return SymbolicResult(ok, detail + "; tied to code: " + "; ".join(m for _, m in code))


def optimal_stepsize_proof() -> SymbolicResult:
    """The bracket t g - (L0 + L1 g) t^2/2 (Lemma D along the LMO step) is maximised at
    t* = g/(L0 + L1 g) with value g^2/(2 (L0 + L1 g)) (docs/theory.md section 5).  Tied to
    ``bounds.optimal_stepsizes``, ``Theorem1Adaptive``, ``bounds.guaranteed_decrease``,
    ``bounds.one_step_upper_bound`` and ``bounds.descent_lemma_rhs`` (general p)."""
    t, g, L0, L1, f = sp.symbols("t g L0 L1 f", positive=True)
    inner = sp.Symbol("inner", real=True)
    c = L0 + L1 * g
    bracket = t * g - c * t**2 / 2
    crit = sp.solve(sp.diff(bracket, t), t)
    t_star = crit[0] if len(crit) == 1 else sp.nan
    value = sp.simplify(bracket.subs(t, t_star))
    # Lemma D at Y = X + t lmo(G): <grad, Y - X> = -sum t g and ||Y_i - X_i|| = t_i
    lemma_d = f + inner + _sum((_L0[_i] + _L1[_i] * _G[_i]) / 2 * _T[_i] ** 2)
    one_step = f - _sum(bracket.subs({t: _T[_i], g: _G[_i], L0: _L0[_i], L1: _L1[_i]}))
    algebra = {
        "one critical point": len(crit) == 1,
        "second derivative -(L0+L1 g)": sp.simplify(sp.diff(bracket, t, 2) + c) == 0,
        "t* = g/(L0+L1 g)": sp.simplify(t_star - g / c) == 0,
        "value g^2/(2(L0+L1 g))": sp.simplify(value - g**2 / (2 * c)) == 0,
        "one-step bound = Lemma D on the LMO step":
            sp.simplify((lemma_d.subs(inner, _sum(-_T[_i] * _G[_i])) - one_step)
                        .subs(_p, 3).doit()) == 0,
    }
    t_fn = _lam(t_star, g, L0, L1)
    dec_fn = _lam(_sum(value.subs({g: _G[_i], L0: _L0[_i], L1: _L1[_i]})), _G, _L0, _L1, _p)
    step_fn = _lam(one_step, f, _G, _T, _L0, _L1, _p)
    lemma_fn = _lam(lemma_d, f, inner, _G, _T, _L0, _L1, _p)
    code = [
        _agree("bounds.optimal_stepsizes", lambda d: t_fn(d["g"], d["L0"], d["L1"]),
               lambda d: bounds.optimal_stepsizes(d["g"], d["L0"], d["L1"])),
        _agree("optim.Theorem1Adaptive", lambda d: t_fn(d["g"], d["L0"], d["L1"]),
               lambda d: [Theorem1Adaptive(a, b)(_ctx(x)) for x, a, b in zip(d["g"], d["L0"], d["L1"])]),
        _agree("bounds.guaranteed_decrease", lambda d: dec_fn(d["g"], d["L0"], d["L1"], d["p"]),
               lambda d: bounds.guaranteed_decrease(d["g"], d["L0"], d["L1"])),
        # f is offset by 2 sum t g so that f minus the sum does not cancel
        _agree("bounds.one_step_upper_bound",
               lambda d: step_fn(d["f"] + 2 * d["t"] @ d["g"], d["g"], d["t"], d["L0"], d["L1"], d["p"]),
               lambda d: bounds.one_step_upper_bound(d["f"] + 2 * d["t"] @ d["g"], d["g"], d["t"],
                                                     d["L0"], d["L1"])),
        _agree("bounds.descent_lemma_rhs",
               lambda d: lemma_fn(d["f"] + 2 * d["t"] @ d["g"], -d["t"] @ d["g"], d["g"], d["t"],
                                  d["L0"], d["L1"], d["p"]),
               lambda d: bounds.descent_lemma_rhs(d["f"] + 2 * d["t"] @ d["g"], -d["t"] @ d["g"],
                                                  d["g"], d["t"], d["L0"], d["L1"])),
    ]
    return _result(algebra, code, "d/dt [t g - (L0+L1 g) t^2/2] = 0 only at t* = g/(L0+L1 g); "
                                  "second derivative -(L0+L1 g) < 0; value g^2/(2(L0+L1 g)); the "
                                  "one-step bound is Lemma D on the LMO step")


def cauchy_schwarz_step_proof(p: int = 3) -> SymbolicResult:
    """S^2 <= D (A + S) for p layers (docs/theory.md section 6, proof step 2).

    With a_i = g_i / sqrt(c_i), b_i = sqrt(c_i) / L1_i and c_i = L0_i + L1_i g_i:
    sum a_i b_i = S, sum a_i^2 = D, sum b_i^2 = A + S, and Lagrange's identity
    (sum a^2)(sum b^2) - (sum ab)^2 = sum_{i<j} (a_i b_j - a_j b_i)^2 >= 0 (checked for the
    given p; the identity itself holds for every p).  The quantities m_bar, A, S, D of
    ``bounds.theorem1_quantities`` are tied to their general-p definitions.
    """
    g = sp.symbols(f"g1:{p + 1}", positive=True)
    L0 = sp.symbols(f"l0_1:{p + 1}", positive=True)
    L1 = sp.symbols(f"l1_1:{p + 1}", positive=True)
    c = [L0[i] + L1[i] * g[i] for i in range(p)]
    a = [g[i] / sp.sqrt(c[i]) for i in range(p)]
    b = [sp.sqrt(c[i]) / L1[i] for i in range(p)]
    S = sum(g[i] / L1[i] for i in range(p))
    D = sum(g[i] ** 2 / c[i] for i in range(p))
    A = sum(L0[i] / L1[i] ** 2 for i in range(p))
    lagrange = sum((a[i] * b[j] - a[j] * b[i]) ** 2 for i in range(p) for j in range(i + 1, p))
    algebra = {
        "sum a_i b_i = S": sp.simplify(sum(a[i] * b[i] for i in range(p)) - S) == 0,
        "sum a_i^2 = D": sp.simplify(sum(a[i] ** 2 for i in range(p)) - D) == 0,
        "sum b_i^2 = A + S": sp.simplify(sum(b[i] ** 2 for i in range(p)) - (A + S)) == 0,
        "Lagrange identity": sp.simplify(sp.expand(D * (A + S) - S**2 - lagrange)) == 0,
    }
    code = []
    for key, expr in (("m_bar", M_BAR), ("A", A_SUM), ("S", S_SUM), ("D", D_SUM)):
        fn = _lam(expr, _G, _L0, _L1, _p)
        code.append(_agree(f"bounds.theorem1_quantities[{key}]",
                           lambda d, fn=fn: fn(d["g"], d["L0"], d["L1"], d["p"]),
                           lambda d, key=key: bounds.theorem1_quantities(d["g"], d["L0"], d["L1"])[key]))
    return _result(algebra, code, f"p={p}: sum a_i b_i = S, sum a_i^2 = D, sum b_i^2 = A + S "
                                  "and D(A+S) - S^2 = sum_{i<j}(a_i b_j - a_j b_i)^2 >= 0 (Lagrange)")


def iteration_count_proof() -> SymbolicResult:
    """x^2/(A+x) is increasing for A >= 0, x > 0; with delta = eps m_bar, K delta^2/(A + delta)
    = 2 Delta0 solves to K = 2 Delta0 A/(eps^2 m^2) + 2 Delta0/(eps m) (docs/theory.md section 6,
    steps 3-4).  The solved K, with A and m_bar as general-p sums, is tied to
    ``bounds.theorem1_iterations``."""
    x, A, K, D0, eps, m = sp.symbols("x A K Delta0 epsilon m", positive=True)
    deriv = sp.simplify(sp.diff(x**2 / (A + x), x))
    delta = eps * m
    sol = sp.solve(sp.Eq(K * delta**2 / (A + delta), 2 * D0), K)
    k_star = sol[0] if len(sol) == 1 else sp.nan
    algebra = {
        "d/dx x^2/(A+x) = x(x+2A)/(A+x)^2": sp.simplify(deriv - x * (x + 2 * A) / (A + x) ** 2) == 0,
        "K = 2 Delta0 A/(eps m)^2 + 2 Delta0/(eps m)":
            sp.simplify(k_star - (2 * D0 * A / (eps**2 * m**2) + 2 * D0 / (eps * m))) == 0,
    }
    fn = _lam(k_star.subs({A: A_SUM, m: M_BAR}), D0, eps, _L0, _L1, _p)
    code = [_agree("bounds.theorem1_iterations",
                   lambda d: fn(d["d0"], d["eps"], d["L0"], d["L1"], d["p"]),
                   lambda d: bounds.theorem1_iterations(d["d0"], d["eps"], d["L0"], d["L1"]))]
    return _result(algebra, code, "d/dx x^2/(A+x) = x(x+2A)/(A+x)^2 > 0; K delta^2/(A+delta) = "
                                  "2 Delta0 at delta = eps m gives K = 2 Delta0 A/(eps^2 m^2) + "
                                  "2 Delta0/(eps m)")


def rate_form_proof() -> SymbolicResult:
    """K S^2 <= 2 Delta0 (A + S) gives S <= Delta0/K + sqrt((Delta0/K)^2 + 2 A Delta0/K)
    <= 2 Delta0/K + sqrt(2 A Delta0/K) (docs/theory.md section 6, rate form).  The positive root
    (solved by sympy) and the looser form are tied to ``bounds.theorem1_rate`` and
    ``bounds.theorem1_rate_simple`` (A as a general-p sum)."""
    S, A, K, D0 = sp.symbols("S A K Delta0", positive=True)
    roots = sp.solve(sp.Eq(K * S**2 - 2 * D0 * S - 2 * D0 * A, 0), S)
    stated = D0 / K + sp.sqrt((D0 / K) ** 2 + 2 * A * D0 / K)
    root = next((r for r in roots if sp.simplify(r - stated) == 0), sp.nan)
    others = [r for r in roots if r is not root]
    # sqrt(a + b) <= sqrt(a) + sqrt(b): (sqrt a + sqrt b)^2 - (a + b) = 2 sqrt(ab) >= 0
    a, b = (D0 / K) ** 2, 2 * A * D0 / K
    looser = sp.sqrt(a) + sp.sqrt(b) + D0 / K
    algebra = {
        "the stated bound is a root": root is not sp.nan,
        "the other root is <= 0":
            all(sp.simplify(r * K - (D0 - sp.sqrt(D0**2 + 2 * A * D0 * K))) == 0 for r in others),
        "sqrt(a+b) <= sqrt a + sqrt b":
            sp.simplify((sp.sqrt(a) + sp.sqrt(b)) ** 2 - (a + b) - 2 * sp.sqrt(a * b)) == 0,
        "looser form 2 Delta0/K + sqrt(2 A Delta0/K)":
            sp.simplify(looser - (2 * D0 / K + sp.sqrt(2 * A * D0 / K))) == 0,
    }
    rate_fn = _lam(root.subs(A, A_SUM), D0, K, _L0, _L1, _p)
    loose_fn = _lam(looser.subs(A, A_SUM), D0, K, _L0, _L1, _p)
    code = [
        _agree("bounds.theorem1_rate", lambda d: rate_fn(d["d0"], d["K"], d["L0"], d["L1"], d["p"]),
               lambda d: bounds.theorem1_rate(d["d0"], d["K"], d["L0"], d["L1"])),
        _agree("bounds.theorem1_rate_simple",
               lambda d: loose_fn(d["d0"], d["K"], d["L0"], d["L1"], d["p"]),
               lambda d: bounds.theorem1_rate_simple(d["d0"], d["K"], d["L0"], d["L1"])),
    ]
    return _result(algebra, code, "positive root of K S^2 - 2 Delta0 S - 2 Delta0 A is Delta0/K + "
                                  "sqrt((Delta0/K)^2 + 2 A Delta0/K); the other root is negative; "
                                  "sqrt(a+b) <= sqrt a + sqrt b gives the looser form")


def special_cases_proof() -> SymbolicResult:
    """L0 = 0: t* = 1/L1 and A = 0, so min S <= 2 Delta0/K; L1 = 0: t* = g/L0, the per-step
    decrease is g^2/(2 L0), and K steps of it within Delta0 give min sum g^2/L0 <= 2 Delta0/K
    (docs/theory.md section 6, special cases).  Tied to ``optimal_stepsizes`` and
    ``Theorem1Adaptive`` at L0 = 0 / L1 = 0 and to ``theorem1_l0_zero_rate`` /
    ``theorem1_l1_zero_rate``."""
    g, L0, L1, K, D0, x = sp.symbols("g L0 L1 K Delta0 x", positive=True)
    t_star = g / (L0 + L1 * g)
    rate = D0 / K + sp.sqrt((D0 / K) ** 2 + 2 * sp.Symbol("A") * D0 / K)
    l0_rate = sp.simplify(rate.subs(sp.Symbol("A"), 0))
    # L1 = 0: summing K per-step decreases sum_i g_i^2/(2 L0_i) >= K x/2 within Delta0
    l1_sol = sp.solve(sp.Eq(K * x / 2, D0), x)
    l1_rate = l1_sol[0] if len(l1_sol) == 1 else sp.nan
    algebra = {
        "L0=0: t* = 1/L1": sp.simplify(t_star.subs(L0, 0) - 1 / L1) == 0,
        "L0=0: A = 0": A_SUM.xreplace({_L0[_i]: 0}).doit() == 0,
        "L0=0: rate 2 Delta0/K": sp.simplify(l0_rate - 2 * D0 / K) == 0,
        "L1=0: t* = g/L0": sp.simplify(t_star.subs(L1, 0) - g / L0) == 0,
        "L1=0: decrease g^2/(2 L0)":
            sp.simplify((g**2 / (2 * (L0 + L1 * g))).subs(L1, 0) - g**2 / (2 * L0)) == 0,
        "L1=0: rate 2 Delta0/K": sp.simplify(l1_rate - 2 * D0 / K) == 0,
    }
    t0_fn, t1_fn = _lam(t_star.subs(L0, 0), g, L1), _lam(t_star.subs(L1, 0), g, L0)
    r0_fn, r1_fn = _lam(l0_rate, D0, K), _lam(l1_rate, D0, K)
    zeros = lambda d: np.zeros(d["p"])  # noqa: E731
    code = [
        _agree("bounds.optimal_stepsizes(L0=0)", lambda d: t0_fn(d["g"], d["L1"]),
               lambda d: bounds.optimal_stepsizes(d["g"], zeros(d), d["L1"])),
        _agree("optim.Theorem1Adaptive(0, L1)", lambda d: t0_fn(d["g"], d["L1"]),
               lambda d: [Theorem1Adaptive(0.0, b)(_ctx(x_)) for x_, b in zip(d["g"], d["L1"])]),
        _agree("bounds.optimal_stepsizes(L1=0)", lambda d: t1_fn(d["g"], d["L0"]),
               lambda d: bounds.optimal_stepsizes(d["g"], d["L0"], zeros(d))),
        _agree("optim.Theorem1Adaptive(L0, 0)", lambda d: t1_fn(d["g"], d["L0"]),
               lambda d: [Theorem1Adaptive(a, 0.0)(_ctx(x_)) for x_, a in zip(d["g"], d["L0"])]),
        _agree("bounds.theorem1_l0_zero_rate", lambda d: r0_fn(d["d0"], d["K"]),
               lambda d: bounds.theorem1_l0_zero_rate(d["d0"], d["K"])),
        _agree("bounds.theorem1_l1_zero_rate", lambda d: r1_fn(d["d0"], d["K"]),
               lambda d: bounds.theorem1_l1_zero_rate(d["d0"], d["K"])),
    ]
    return _result(algebra, code, "L0=0: t*=1/L1, A=0, rate 2 Delta0/K; L1=0: t*=g/L0, decrease "
                                  "g^2/(2 L0), rate 2 Delta0/K")


def max_form_proof() -> SymbolicResult:
    """Max form: with L1_i <= L1max, (sum g)^2 <= (sum g_i^2/c_i)(sum c_i) with c_i = L0_i +
    L1max g_i and sum c_i = sum L0 + L1max sum g (Lagrange, checked for p = 2); the iteration
    count solves K eps^2/(sum L0 + L1max eps) = 2 Delta0 (docs/theory.md section 6; reported, the
    rest of that appendix theorem is uncertain).  The solved K is tied to
    ``bounds.theorem1_max_form_iterations`` (sum L0 and max L1 of p layers)."""
    g1, g2, a1, a2, Lm, K, D0, eps = sp.symbols("g1 g2 a1 a2 Lmax K Delta0 epsilon", positive=True)
    sum_l0 = sp.Symbol("SL0", positive=True)
    c1, c2 = a1 + Lm * g1, a2 + Lm * g2
    lagrange = (g1 * sp.sqrt(c2) / sp.sqrt(c1) - g2 * sp.sqrt(c1) / sp.sqrt(c2)) ** 2
    sol = sp.solve(sp.Eq(K * eps**2 / (sum_l0 + Lm * eps), 2 * D0), K)
    k_star = sol[0] if len(sol) == 1 else sp.nan
    algebra = {
        "Cauchy-Schwarz (Lagrange, p=2)": sp.simplify(sp.expand(
            (g1**2 / c1 + g2**2 / c2) * (c1 + c2) - (g1 + g2) ** 2 - lagrange)) == 0,
        "K = 2 Delta0 sum L0/eps^2 + 2 Delta0 L1max/eps":
            sp.simplify(k_star - (2 * D0 * sum_l0 / eps**2 + 2 * D0 * Lm / eps)) == 0,
    }
    fn = _lam(k_star, D0, eps, sum_l0, Lm)
    code = [_agree("bounds.theorem1_max_form_iterations",
                   lambda d: fn(d["d0"], d["eps"], float(np.sum(d["L0"])), float(np.max(d["L1"]))),
                   lambda d: bounds.theorem1_max_form_iterations(d["d0"], d["eps"], d["L0"], d["L1"]))]
    return _result(algebra, code, "(g1+g2)^2 <= (sum g_i^2/c_i)(sum c_i) by Lagrange; "
                                  "K eps^2/(sum L0 + L1max eps) = 2 Delta0 gives the stated K")


def theorem2_schedule_proof() -> SymbolicResult:
    """Theorem 2's schedule: sum_{k<K} (k+1)^(-3/4) ~ 4 K^(1/4) (integral comparison), so
    normalising a sum of per-step terms t_k g by sum t_k yields the K^(-1/4) shape, and the
    momentum noise scale sqrt(1 - beta_k) = (k+1)^(-1/4) (docs/theory.md section 7,
    reconstructed).  The radius t (k+1)^(-3/4) and beta_k are tied to
    ``bounds.theorem2_schedule`` and ``Theorem2Schedule``."""
    k, K, t = sp.symbols("k K t", positive=True)
    radius = t * (k + 1) ** sp.Rational(-3, 4)
    integral = sp.integrate(radius.subs(t, 1), (k, 0, K))
    beta = 1 - (k + 1) ** sp.Rational(-1, 2)
    algebra = {
        "int_0^K (k+1)^(-3/4) / K^(1/4) -> 4": sp.limit(integral / K ** sp.Rational(1, 4), K, sp.oo) == 4,
        "sqrt(1-beta_k) = (k+1)^(-1/4)":
            sp.simplify(sp.sqrt(1 - beta) - (k + 1) ** sp.Rational(-1, 4)) == 0,
        "beta_0 = 0": beta.subs(k, 0) == 0,
    }
    r_fn, b_fn = _lam(radius, t, k), _lam(beta, k)
    code = [
        _agree("bounds.theorem2_schedule[radii]", lambda d: r_fn(d["t"], d["k"]),
               lambda d: bounds.theorem2_schedule(d["k"], d["t"])[0]),
        _agree("bounds.theorem2_schedule[beta]", lambda d: b_fn(d["k"]),
               lambda d: bounds.theorem2_schedule(d["k"], d["t"])[1]),
        _agree("optim.Theorem2Schedule", lambda d: r_fn(d["t"], d["k"]),
               lambda d: [Theorem2Schedule(x)(_ctx(1.0, d["k"])) for x in d["t"]]),
        _agree("optim.Theorem2Schedule.beta", lambda d: b_fn(d["k"]),
               lambda d: Theorem2Schedule.beta(d["k"])),
    ]
    return _result(algebra, code, "int_0^K (k+1)^(-3/4) dk / K^(1/4) -> 4; sqrt(1-beta_k) = "
                                  "(k+1)^(-1/4); beta_0 = 0")
