"""The geometry facts every constant is derived from, checked against independent evaluations.

For every catalogue norm (and transposed entries) on several shapes:

* the four comparison constants of :func:`gluon_ref.objectives.norm_comparison`
  (``||D||_F <= kappa ||D||``, ``||D|| <= a ||D||_F``, ``||D||_2 <= nu ||D||``,
  ``||D|| <= b ||D||_nuc``) hold on random and structured inputs and are attained:
  an ascent written here (linearise the convex objective, maximise over the ball with
  the norm's LMO or the SVD) reaches each claimed supremum;
* for the polyhedral norms the suprema are computed by brute force over the vertices
  of the unit ball and the extreme points of the dual ball (a convex function attains
  its maximum over a polytope at a vertex), with no use of the geometry code;
* the quadratic constants ``q* = max_{||D|| <= 1} <D, A D>`` of the polyhedral norms
  against the same vertex enumeration, and those of ``spectral_conv`` against an ascent
  on its kernel shape;
* ``absolute`` against ``||D|| = || |D| ||`` on random inputs.
"""

from __future__ import annotations

import itertools
import math
import zlib

import numpy as np
import pytest

from gluon_ref.norms import NORM_CATALOGUE, available_norms, get_norm
from gluon_ref.objectives import norm_comparison, norm_comparisons, quadratic_constant
from gluon_ref.objectives.quadratics import random_psd

EPS = np.finfo(np.float64).eps


def _shapes(norm):
    if norm.ndims == (1,):
        return [(5,), (1,)]
    if 2 not in norm.ndims:
        return [(3, 2, 2, 2), (2, 3, 3), (4, 1, 2, 2)]
    shapes = [(4, 3), (3, 5), (1, 4), (4, 1), (3, 3)]
    return shapes + ([(6,), (2, 3, 2)] if norm.ndims != (2,) else [])


CASES = [(n, s, False) for n in available_norms() for s in _shapes(get_norm(n))]
CASES += [(n, s, True) for n in ("colnorm", "rownorm", "linf_to_linf", "nuclear", "sign")
          for s in [(4, 3), (2, 5)]]


def _mat(D):
    return D.reshape(D.shape[0], -1) if D.ndim > 1 else D.reshape(-1, 1)


def _fro(D):
    return float(np.linalg.norm(_mat(D)))


def _op(D):
    return float(np.linalg.norm(_mat(D), 2))


def _nuc(D):
    return float(np.linalg.norm(_mat(D), "nuc"))


def _top_pair(D):
    """Unit-nuclear rank-one ``u_1 v_1^T`` of ``mat(D)``, reshaped: the maximiser of <D, .> over
    the nuclear ball (NumPy SVD, independent of the catalogue)."""
    u, _, vh = np.linalg.svd(_mat(D))
    return np.outer(u[:, 0], vh[0]).reshape(D.shape)


def _rtol(shape):
    # each side is a norm of <= size entries (an SVD for the spectral ones): relative rounding
    # <= c size eps for a small c; two of them in a ratio, 64 covers c
    return 64 * math.prod(shape) * EPS


def _ascents(norm, shape, rng, starts=4, iters=4):
    """Best ratios found for the four constants by monotone ascent from random and structured
    starts (each step maximises the linearisation of a convex function over a unit ball)."""
    m = shape[0]
    n = math.prod(shape) // m
    structured = [np.ones(shape), np.eye(m, n).reshape(shape) if len(shape) > 1 else np.ones(shape)]
    starts_ = structured + [rng.standard_normal(shape) for _ in range(starts)]
    best = np.zeros(4)
    for D0 in starts_:
        # sup ||D||_F / ||D||: gradient of ||.||_F at D is D/||D||_F; maximise <D, .> on the ball
        D = D0
        for _ in range(iters):
            D = -norm.lmo(D)
            best[0] = max(best[0], _fro(D) / float(norm.norm(D)))
        # sup ||D||_2 / ||D||: gradient of ||.||_2 is u_1 v_1^T
        D = D0
        for _ in range(iters):
            D = -norm.lmo(_top_pair(D))
            best[2] = max(best[2], _op(D) / float(norm.norm(D)))
        # sup ||D|| / ||D||_F: -dual_lmo(D) is a subgradient y of ||.|| at D; maximise <y, .>
        # over the Frobenius ball (y / ||y||_F) or the nuclear ball (top singular pair of y)
        D = D0
        for _ in range(iters):
            y = -norm.dual_lmo(D)
            D = y / _fro(y)
            best[1] = max(best[1], float(norm.norm(D)) / _fro(D))
        D = D0
        for _ in range(iters):
            D = _top_pair(-norm.dual_lmo(D))
            best[3] = max(best[3], float(norm.norm(D)) / _nuc(D))
    return best


def _random_inputs(shape, rng, k=40):
    out = [rng.standard_normal(shape) for _ in range(k)]
    out += [rng.standard_normal(shape) * (rng.random(shape) < 0.3) for _ in range(k // 4)]
    out += [rng.choice([-1.0, 1.0], size=shape) for _ in range(k // 4)]
    if len(shape) > 1:
        m, n = shape[0], math.prod(shape) // shape[0]
        out += [np.outer(rng.standard_normal(m), rng.standard_normal(n)).reshape(shape)
                for _ in range(k // 4)]
    return [D for D in out if np.any(D != 0)]


@pytest.mark.parametrize("name,shape,transpose", CASES,
                         ids=[f"{n}-{'x'.join(map(str, s))}{'-T' if t else ''}" for n, s, t in CASES])
def test_comparison_constants_valid_and_attained(name, shape, transpose):
    """Each constant bounds the ratio on random inputs and the ascent reaches it."""
    norm = get_norm(name, transpose=transpose)
    c = norm_comparison(norm, shape)
    claimed = np.array([c.fro_over_norm, c.norm_over_fro, c.spectral_over_norm, c.norm_over_nuclear])
    assert norm_comparisons(norm, shape) == (c.fro_over_norm, c.spectral_over_norm)
    rng = np.random.default_rng(zlib.crc32(repr((name, shape, transpose)).encode()))
    tol = _rtol(shape)
    for D in _random_inputs(shape, rng):
        N = float(norm.norm(D))
        ratios = np.array([_fro(D) / N, N / _fro(D), _op(D) / N, N / _nuc(D)])
        assert np.all(ratios <= claimed * (1 + tol)), (ratios, claimed)
    found = _ascents(norm, shape, rng)
    assert np.all(found <= claimed * (1 + tol)), (found, claimed)
    assert np.all(found >= claimed * (1 - tol)), (found, claimed)


# -- polyhedral norms: brute force over vertices and dual extreme points ------------------

def _sign_matrices(m, n):
    return [np.array(s, dtype=float).reshape(m, n) for s in itertools.product((-1.0, 1.0), repeat=m * n)]


def _unit_entries(m, n):
    out = []
    for i, j, s in itertools.product(range(m), range(n), (-1.0, 1.0)):
        E = np.zeros((m, n))
        E[i, j] = s
        out.append(E)
    return out


def _row_vertices(m, n):
    """Each row a signed unit vector: the vertices of {max_i sum_j |D_ij| <= 1}."""
    rows = [s * np.eye(n)[j] for j in range(n) for s in (-1.0, 1.0)]
    return [np.array(r) for r in itertools.product(rows, repeat=m)]


def _row_atoms(m, n):
    """``e_i s^T``: max_i sum_j |D_ij| = max <e_i s^T, D> over these."""
    return [np.outer(np.eye(m)[i], s) for i in range(m)
            for s in itertools.product((-1.0, 1.0), repeat=n)]


#: base polyhedral norm of a catalogue entry -> (vertices of its unit ball, extreme points of
#: the dual ball), written from the definitions in docs/norms.md section 2 (not from the code)
POLY = {
    "linf": (_sign_matrices, _unit_entries), "max_entry": (_sign_matrices, _unit_entries),
    "sign": (_sign_matrices, _unit_entries), "l1": (_unit_entries, _sign_matrices),
    "linf_to_linf": (_row_vertices, _row_atoms),
}
POLY_CASES = [(n, s, t) for n in POLY for s in [(2, 3), (3, 2), (3, 3), (4,)] for t in (False, True)
              if len(s) in get_norm(n).ndims and not (t and get_norm(n).ndims != (2,))]


def _poly_sets(name, shape, transpose):
    m, n = (shape[0], 1) if len(shape) == 1 else shape
    verts, atoms = POLY[name]
    if transpose:  # the base norm acts on D^T
        V, A = [v.T for v in verts(n, m)], [a.T for a in atoms(n, m)]
    else:
        V, A = verts(m, n), atoms(m, n)
    return [v.reshape(shape) for v in V], [a.reshape(shape) for a in A]


@pytest.mark.parametrize("name,shape,transpose", POLY_CASES)
def test_comparison_constants_brute_force_polyhedral(name, shape, transpose):
    """sup ||D||_F/||D|| and sup ||D||_2/||D|| at a vertex of the unit ball; sup ||D||/||D||_F
    at an extreme point a of the dual ball (||D|| = c max_a <a, D>) and sup ||D||/||D||_nuc at
    the top singular pair of one."""
    norm = get_norm(name, transpose=transpose)
    V, A = _poly_sets(name, shape, transpose)
    vals = [float(norm.norm(v)) for v in V]
    assert max(vals) == pytest.approx(min(vals), rel=1e-14)  # all on one sphere: vertices
    exact = np.array([
        max(_fro(v) / float(norm.norm(v)) for v in V),
        max(float(norm.norm(a)) / _fro(a) for a in A),
        max(_op(v) / float(norm.norm(v)) for v in V),
        max(float(norm.norm(_top_pair(a))) for a in A),
    ])
    c = norm_comparison(norm, shape)
    claimed = np.array([c.fro_over_norm, c.norm_over_fro, c.spectral_over_norm, c.norm_over_nuclear])
    np.testing.assert_allclose(claimed, exact, rtol=_rtol(shape))


def _apply(kind, M):
    return {"left": lambda D: M @ D, "right": lambda D: D @ M, "elementwise": lambda D: M * D}[kind]


def _operator(kind, shape, rng, frustrated):
    """Random PSD / positive weights; ``frustrated``: the Laplacian ``k I - J`` of the complete
    graph, where the semidefinite relaxation is not exact for k = 3 (max over signs
    k^2 - 1 = 8 against 9), so an SDP entry claimed exact is caught."""
    m, n = shape
    if kind == "elementwise":
        return np.exp(rng.uniform(-2.0, 1.0, shape))
    k = m if kind == "left" else n
    return k * np.eye(k) - np.ones((k, k)) if frustrated else random_psd(rng, k)


QUAD_CASES = [c for c in POLY_CASES if len(c[1]) == 2]
QUAD_CASES += [("linf_to_linf", s, t) for s in [(5, 3), (3, 5)] for t in (False, True)]


@pytest.mark.parametrize("name,shape,transpose", QUAD_CASES)
@pytest.mark.parametrize("kind,frustrated", [("left", False), ("left", True), ("right", False),
                                             ("right", True), ("elementwise", False)])
def test_quadratic_constant_brute_force_polyhedral(name, shape, transpose, kind, frustrated):
    """q* = max over the vertices of <D, A D> (convex): the bound is >= q*, and >= its stated
    tightness times the bound (exact entries: equal)."""
    norm = get_norm(name, transpose=transpose)
    rng = np.random.default_rng(7)
    M = _operator(kind, shape, rng, frustrated)
    A = _apply(kind, M)
    V, _ = _poly_sets(name, shape, transpose)
    scale = float(norm.norm(V[0]))
    Vs = np.stack(V)  # (vertices, m, n): A broadcasts over the first axis
    exact = float(np.max(np.sum(Vs * A(Vs), axis=(1, 2)))) / scale**2
    q = quadratic_constant(kind, M, shape, norm)
    tol = _rtol(shape) * 4  # plus the SDP bound's own margin, which only enlarges the bound
    assert q.value >= exact * (1 - tol), (q, exact)
    assert exact >= q.tightness * q.value * (1 - tol), (q, exact)
    if q.tightness == 1.0:
        assert q.value == pytest.approx(exact, rel=tol)


@pytest.mark.parametrize("shape", [(3, 2, 2, 2), (2, 3, 3), (4, 2, 1, 3)])
@pytest.mark.parametrize("kind", ["left", "elementwise"])
def test_quadratic_constant_spectral_conv(shape, kind):
    """Kernels: Ky Fan / assignment on mat(D) = (c_out, c_in k k), divided by c^2 with
    c = K sqrt(c_in/c_out) (K = k*k or k); power ascent D <- -lmo(A D) attains it."""
    norm = get_norm("spectral_conv")
    rng = np.random.default_rng(3)
    m, n = shape[0], math.prod(shape[1:])
    M = random_psd(rng, m) if kind == "left" else np.exp(rng.uniform(-2.0, 1.0, shape))

    def A(D):
        return (M @ _mat(D)).reshape(shape) if kind == "left" else M * D

    q = quadratic_constant(kind, M, shape, norm)
    c = math.prod(shape[2:]) * math.sqrt(shape[1] / shape[0])
    if kind == "left":
        lam = np.sort(np.linalg.eigvalsh(M))[::-1]
        assert q.value == pytest.approx(lam[: min(m, n)].sum() / c**2, rel=1e-13)
    best = 0.0
    for _ in range(4):
        D = -norm.lmo(rng.standard_normal(shape))
        for _ in range(60):
            best = max(best, float(np.sum(D * A(D))))
            D = -norm.lmo(A(D))
    assert best <= q.value * (1 + _rtol(shape))
    assert best >= 0.99 * q.value  # exact entries; linear convergence at the spectral gap


# -- predicates ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", available_norms())
def test_absolute_predicate(name):
    """absolute <=> ||D|| = || |D| || (tested on random signs: a non-absolute norm differs)."""
    norm = get_norm(name)
    shape = _shapes(norm)[0]
    rng = np.random.default_rng(11)
    diffs = []
    for _ in range(20):
        D = rng.standard_normal(shape)
        diffs.append(abs(float(norm.norm(D)) - float(norm.norm(np.abs(D)))) / float(norm.norm(D)))
    if norm.geometry.absolute:
        assert max(diffs) <= _rtol(shape)
    else:
        assert max(diffs) > 1e-3


def test_predicates_of_the_catalogue():
    """orthogonalizable: the LMO is -c^-1 polar(G), and only there an orthogonalizer applies;
    uses_svd also covers the nuclear norm (values and LMO from an SVD)."""
    orth = {n for n, e in NORM_CATALOGUE.items() if e.geometry.orthogonalizable}
    svd = {n for n, e in NORM_CATALOGUE.items() if e.geometry.uses_svd}
    assert orth == {"spectral", "rms_to_rms", "muon_spectral", "l2_to_rms", "spectral_conv"}
    assert svd == orth | {"nuclear"}
    rng = np.random.default_rng(0)
    g = rng.standard_normal((5, 3))
    u, _, vh = np.linalg.svd(g, full_matrices=False)
    for name in orth - {"spectral_conv"}:
        lmo = get_norm(name).lmo(g)
        ratio = lmo / -(u @ vh)
        assert np.allclose(ratio, ratio.flat[0], rtol=1e-12), name
