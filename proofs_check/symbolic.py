"""Symbolic (sympy) proofs of the algebraic steps of Theorems 1 and 2 (docs/theory.md 5-7).

Each function returns a :class:`~proofs_check.claims.base.SymbolicResult`
whose ``ok`` is computed by sympy (simplification to zero, solving, sign
analysis), never asserted by hand.
"""

from __future__ import annotations

import sympy as sp

from .claims.base import SymbolicResult

__all__ = [
    "optimal_stepsize_proof",
    "cauchy_schwarz_step_proof",
    "iteration_count_proof",
    "rate_form_proof",
    "special_cases_proof",
    "max_form_proof",
    "theorem2_schedule_proof",
]


def optimal_stepsize_proof() -> SymbolicResult:
    """The bracket t g - (L0 + L1 g) t^2/2 is maximised at t* = g/(L0 + L1 g) with value
    g^2 / (2 (L0 + L1 g)) (docs/theory.md section 5)."""
    t, g, L0, L1 = sp.symbols("t g L0 L1", positive=True)
    c = L0 + L1 * g
    bracket = t * g - c * t**2 / 2
    crit = sp.solve(sp.diff(bracket, t), t)
    ok = (len(crit) == 1 and sp.simplify(crit[0] - g / c) == 0
          and sp.simplify(sp.diff(bracket, t, 2) + c) == 0
          and sp.simplify(bracket.subs(t, crit[0]) - g**2 / (2 * c)) == 0)
    return SymbolicResult(ok, "d/dt [t g - (L0+L1 g) t^2/2] = 0 at t* = g/(L0+L1 g); second "
                              "derivative -(L0+L1 g) < 0; value g^2/(2(L0+L1 g))")


def cauchy_schwarz_step_proof(p: int = 3) -> SymbolicResult:
    """S^2 <= D (A + S) for p layers (docs/theory.md section 6, proof step 2).

    With a_i = g_i / sqrt(c_i), b_i = sqrt(c_i) / L1_i and c_i = L0_i + L1_i g_i:
    sum a_i b_i = S, sum a_i^2 = D, sum b_i^2 = A + S, and Lagrange's identity
    (sum a^2)(sum b^2) - (sum ab)^2 = sum_{i<j} (a_i b_j - a_j b_i)^2 >= 0.
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
    ok1 = sp.simplify(sum(a[i] * b[i] for i in range(p)) - S) == 0
    ok2 = sp.simplify(sum(a[i] ** 2 for i in range(p)) - D) == 0
    ok3 = sp.simplify(sum(b[i] ** 2 for i in range(p)) - (A + S)) == 0
    lagrange = sum((a[i] * b[j] - a[j] * b[i]) ** 2 for i in range(p) for j in range(i + 1, p))
    ok4 = sp.simplify(sp.expand(D * (A + S) - S**2 - lagrange)) == 0
    return SymbolicResult(ok1 and ok2 and ok3 and ok4,
                          f"p={p}: sum a_i b_i = S, sum a_i^2 = D, sum b_i^2 = A + S and "
                          "D(A+S) - S^2 = sum_{i<j}(a_i b_j - a_j b_i)^2 >= 0 (Lagrange)")


def iteration_count_proof() -> SymbolicResult:
    """x^2/(A+x) is increasing for A >= 0, x > 0; with delta = eps m_bar,
    K delta^2/(A + delta) < 2 Delta0 is equivalent to
    K < 2 Delta0 A/(eps^2 m^2) + 2 Delta0/(eps m) (docs/theory.md section 6, steps 3-4)."""
    x, A, K, D0, eps, m = sp.symbols("x A K Delta0 epsilon m", positive=True)
    deriv = sp.simplify(sp.diff(x**2 / (A + x), x))
    ok_mono = sp.simplify(deriv - x * (x + 2 * A) / (A + x) ** 2) == 0  # > 0 termwise
    delta = eps * m
    k_star = sp.solve(sp.Eq(K * delta**2 / (A + delta), 2 * D0), K)[0]
    ok_count = sp.simplify(k_star - (2 * D0 * A / (eps**2 * m**2) + 2 * D0 / (eps * m))) == 0
    return SymbolicResult(ok_mono and ok_count,
                          "d/dx x^2/(A+x) = x(x+2A)/(A+x)^2 > 0; K delta^2/(A+delta) = 2 Delta0 "
                          "at delta = eps m gives K = 2 Delta0 A/(eps^2 m^2) + 2 Delta0/(eps m)")


def rate_form_proof() -> SymbolicResult:
    """K S^2 <= 2 Delta0 (A + S) gives S <= Delta0/K + sqrt((Delta0/K)^2 + 2 A Delta0/K)
    <= 2 Delta0/K + sqrt(2 A Delta0/K) (docs/theory.md section 6, rate form)."""
    S, A, K, D0 = sp.symbols("S A K Delta0", positive=True)
    roots = sp.solve(sp.Eq(K * S**2 - 2 * D0 * S - 2 * D0 * A, 0), S)
    bound = D0 / K + sp.sqrt((D0 / K) ** 2 + 2 * A * D0 / K)
    ok_root = any(sp.simplify(r - bound) == 0 for r in roots)
    # the quadratic opens upwards (K > 0), so it is <= 0 exactly between its roots,
    # and the other root is negative: S <= bound.
    other = [r for r in roots if sp.simplify(r - bound) != 0]
    ok_neg = all(sp.simplify(r * K - (D0 - sp.sqrt(D0**2 + 2 * A * D0 * K))) == 0 for r in other)
    # sqrt(a + b) <= sqrt(a) + sqrt(b): (sqrt a + sqrt b)^2 - (a + b) = 2 sqrt(ab) >= 0
    a, b = (D0 / K) ** 2, 2 * A * D0 / K
    ok_loose = sp.simplify((sp.sqrt(a) + sp.sqrt(b)) ** 2 - (a + b) - 2 * sp.sqrt(a * b)) == 0
    return SymbolicResult(ok_root and ok_neg and ok_loose,
                          "positive root of K S^2 - 2 Delta0 S - 2 Delta0 A is Delta0/K + "
                          "sqrt((Delta0/K)^2 + 2 A Delta0/K); the other root is negative; "
                          "sqrt(a+b) <= sqrt a + sqrt b gives the looser form")


def special_cases_proof() -> SymbolicResult:
    """L0 = 0: t* = 1/L1 and A = 0, so min S <= 2 Delta0/K; L1 = 0: t* = g/L0 and the
    per-step decrease is g^2/(2 L0) (docs/theory.md section 6, special cases)."""
    g, L0, L1, K, D0 = sp.symbols("g L0 L1 K Delta0", positive=True)
    t_star = g / (L0 + L1 * g)
    ok1 = sp.simplify(t_star.subs(L0, 0) - 1 / L1) == 0
    rate = D0 / K + sp.sqrt((D0 / K) ** 2 + 2 * 0 * D0 / K)
    ok2 = sp.simplify(rate - 2 * D0 / K) == 0
    ok3 = sp.simplify(t_star.subs(L1, 0) - g / L0) == 0
    ok4 = sp.simplify((g**2 / (2 * (L0 + L1 * g))).subs(L1, 0) - g**2 / (2 * L0)) == 0
    return SymbolicResult(ok1 and ok2 and ok3 and ok4,
                          "L0=0: t*=1/L1, A=0, rate 2 Delta0/K; L1=0: t*=g/L0, decrease g^2/(2 L0)")


def max_form_proof() -> SymbolicResult:
    """Max form: with L1_i <= L1max, g^2/(L0 + L1 g) >= g^2/(L0 + L1max g), and summing the
    decreases with Cauchy–Schwarz gives K >= 2 Delta0 sum L0/eps^2 + 2 Delta0 L1max/eps
    (docs/theory.md section 6; reported, the rest of that appendix theorem is uncertain).
    Checked: for p = 2, (sum g)^2 <= (sum g^2/c_i)(sum c_i) with c_i = L0_i + L1max g_i,
    sum c_i = sum L0 + L1max sum g, and the iteration count solves K eps^2/(sum L0 + L1max eps)
    = 2 Delta0."""
    g1, g2, a1, a2, Lm, K, D0, eps = sp.symbols("g1 g2 a1 a2 Lmax K Delta0 epsilon", positive=True)
    c1, c2 = a1 + Lm * g1, a2 + Lm * g2
    lagrange = (g1 * sp.sqrt(c2) / sp.sqrt(c1) - g2 * sp.sqrt(c1) / sp.sqrt(c2)) ** 2
    ok_cs = sp.simplify(sp.expand((g1**2 / c1 + g2**2 / c2) * (c1 + c2) - (g1 + g2) ** 2
                                  - lagrange)) == 0
    k_star = sp.solve(sp.Eq(K * eps**2 / (a1 + a2 + Lm * eps), 2 * D0), K)[0]
    ok_k = sp.simplify(k_star - (2 * D0 * (a1 + a2) / eps**2 + 2 * D0 * Lm / eps)) == 0
    return SymbolicResult(ok_cs and ok_k, "(g1+g2)^2 <= (sum g_i^2/c_i)(sum c_i) by Lagrange; "
                          "K eps^2/(sum L0 + L1max eps) = 2 Delta0 gives the stated K")


def theorem2_schedule_proof() -> SymbolicResult:
    """Theorem 2's schedule: sum_{k<K} (k+1)^(-3/4) ~ 4 K^(1/4) (integral comparison), so
    normalising a sum of per-step terms t_k g by sum t_k yields the K^(-1/4) shape, and the
    momentum noise scale sqrt(1 - beta_k) = (k+1)^(-1/4) (docs/theory.md section 7,
    reconstructed)."""
    k, K = sp.symbols("k K", positive=True)
    integral = sp.integrate((k + 1) ** sp.Rational(-3, 4), (k, 0, K))
    ok_int = sp.limit(integral / K ** sp.Rational(1, 4), K, sp.oo) == 4
    beta = 1 - (k + 1) ** sp.Rational(-1, 2)
    ok_beta = sp.simplify(sp.sqrt(1 - beta) - (k + 1) ** sp.Rational(-1, 4)) == 0
    ok_b0 = beta.subs(k, 0) == 0
    return SymbolicResult(ok_int and ok_beta and ok_b0,
                          "int_0^K (k+1)^(-3/4) dk / K^(1/4) -> 4; sqrt(1-beta_k) = (k+1)^(-1/4); "
                          "beta_0 = 0")
