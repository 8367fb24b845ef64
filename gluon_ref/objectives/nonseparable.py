"""Non-separable objectives: deep linear networks, matrix factorization, a tanh MLP.

For these ``grad_i f`` depends on the other layers, so Assumption 1 read
literally (for all X, Y with only ``||X_i - Y_i||`` on the right) cannot hold
for any constants (docs/theory.md section 4 caveat): take ``Y`` equal to ``X`` in
block ``i`` but not elsewhere.  ``constants`` is therefore ``None``.  What the
proofs use is the inequality along a step; :meth:`local_constants` returns
block bounds ``h`` (see :class:`~.constants.LocalConstants`) valid on a box
``{Y : ||Y_j - X_j||_(j) <= r_j}`` around an anchor, from which the segment
form (one-layer steps), the all-layer gradient bound and Lemma D follow.

Notation for the derivations: ``kappa_l``, ``nu_l`` are the exact comparison
constants ``||D||_F <= kappa_l ||D||_(l)``, ``||D||_2 <= nu_l ||D||_(l)``
(:func:`~.comparisons.norm_comparisons`); the duals satisfy ``||G||_(l)* <= kappa_l
||G||_F`` (docs/norms.md section 5 item 7).  On the box, ``||Z_l||_2 <= beta_l := ||X_l||_2 + nu_l
r_l``.  Every bound below is a product of these with Frobenius/spectral
submultiplicativity ``||A B||_F <= ||A||_2 ||B||_F``; they are valid, not tight
(tests measure the ratio).

Sources: docs/theory.md section 4 (caveat) and section 5 (Lemma D); deep linear
networks: Arora et al., arXiv 1810.02281 (the model, not the bounds);
reduced-rank regression optimum: Eckart-Young-Mirsky.
"""

from __future__ import annotations

import math

import numpy as np

from ..backend import to_numpy
from .comparisons import norm_comparisons
from .constants import LocalConstants
from .protocol import Block, Objective, sample_count
from .quadratics import quadratic_constant

__all__ = ["DeepLinear", "matrix_factorization", "deep_linear", "TanhMLP", "tanh_teacher_student"]


class DeepLinear(Objective):
    """``f(W) = 1/(2N) ||W_L ... W_1 Z - Y||_F^2`` (a finite sum over the N columns).

    Layers ``W_l`` are ``d_l x d_{l-1}`` (PyTorch layout), ``Z`` is ``d_0 x N``,
    ``Y`` is ``d_L x N``.  With ``P = W_L...W_1``, ``Sigma = Z Z^T/N``,
    ``Sigma_yz = Y Z^T/N`` and ``E = P Sigma - Sigma_yz``:

        grad_l f = P_{>l}^T E P_{<l}^T,   P_{>l} = W_L...W_{l+1},  P_{<l} = W_{l-1}...W_1.

    Computed by back-propagation on the (mini)batch; ``hvp`` is exact
    (forward tangents, then the differentiated backward pass).

    Optimum (reduced-rank regression): with ``r`` the smallest width and
    ``B = Sigma_yz Sigma^{-1/2}``, ``inf f = tr(Y Y^T)/(2N) - 1/2 sum_{i<=r}
    sigma_i(B)^2`` (write ``f = 1/2||P Sigma^{1/2} - B||_F^2 + const`` and apply
    Eckart-Young); attained since any rank-r P factors through width r.

    Local constants on the box, through the bilinear form of the Hessian
    (module docstring notation).  Along a direction ``D``,

        d^2 f = ||dP Sigma^{1/2}||_F^2 + <E, d^2 P>,   dP = sum_k P_{>k} D_k P_{<k},

    so ``<E_l, H_lk D_k> = <P_{>l} E_l P_{<l} Sigma^{1/2}, P_{>k} D_k P_{<k} Sigma^{1/2}>
    + <E, P_{>l} E_l P_{(k,l)} D_k P_{<k}>`` (for ``l > k``; mirror image otherwise).  With

        g_l >= sup_box sup_{||D||_(l) <= 1} ||P_{>l} D P_{<l} Sigma^{1/2}||_F,
        eps >= sup_box ||E||_F,

    the blocks are bounded by ``h_ll = g_l^2`` and
    ``h_lk = g_l g_k + eps min(kappa_l nu_k, nu_l kappa_k) prod_{j not in {l,k}} beta_j``.
    ``g_l`` is its anchor value plus the box perturbation: at the anchor
    ``g_l(X)^2 = max <D, A^T A D B B^T>`` (``A = P_{>l}``, ``B = P_{<l} Sigma^{1/2}``),
    bounded by ``min(||A||_2^2 q*_right(B B^T), ||B||_2^2 q*_left(A^T A))`` with the
    quadratic constants of :mod:`.quadratics`; on the box
    ``||A(W) - A(X)||_2 <= prod_{j>l} beta_j - prod_{j>l} ||X_j||_2`` (product
    expansion), likewise for ``B``, so ``g_l <= g_l(X) + kappa_l (dA_l ||B||_box
    + ||A(X)||_2 dB_l)``.  ``eps = ||E(X)||_F + s sum_k kappa_k r_k prod_{j != k} beta_j``
    with ``s = ||Sigma||_2`` (telescoping ``P(W) - P(X)``).
    """

    hvp_exact = True
    separable = False

    def __init__(self, widths, Z, Y, norms=None, name: str = "deep_linear"):
        super().__init__()
        widths = [int(w) for w in widths]
        if len(widths) < 3:
            raise ValueError("widths must list d_0, ..., d_L with L >= 2 layers")
        Z = np.asarray(Z, dtype=np.float64)
        Y = np.asarray(Y, dtype=np.float64)
        if Z.shape[0] != widths[0] or Y.shape[0] != widths[-1] or Z.shape[1] != Y.shape[1]:
            raise ValueError(f"Z must be ({widths[0]}, N) and Y ({widths[-1]}, N); got {Z.shape}, {Y.shape}")
        L = len(widths) - 1
        norms = list(norms) if norms is not None else ["rms_to_rms"] * L
        if len(norms) != L:
            raise ValueError(f"need {L} norms, got {len(norms)}")
        self.name = name
        self.L = L
        self.widths = widths
        self.names = [f"W{l + 1}" for l in range(L)]
        self._set_layers({self.names[l]: Block((widths[l + 1], widths[l]), norms[l])
                          for l in range(L)})
        self.Z, self.Y = Z, Y
        self.n_samples = sample_count(Z, type(self).__name__)
        self.Sigma = Z @ Z.T / Z.shape[1]
        self.Sigma_yz = Y @ Z.T / Z.shape[1]
        self.lower_bound = 0.0
        self.optimum = self._optimum()
        self.source = "nonseparable.py (DeepLinear); docs/theory.md section 4 caveat"

    def _optimum(self) -> float | None:
        lam, U = np.linalg.eigh(self.Sigma)
        if lam[0] <= 1e-12 * max(lam[-1], 1e-300):
            return None
        inv_sqrt = (U / np.sqrt(lam)) @ U.T
        B = self.Sigma_yz @ inv_sqrt
        r = min(self.widths)
        sv = np.linalg.svd(B, compute_uv=False)
        c0 = 0.5 * float(np.sum(self.Y * self.Y)) / self.n_samples
        return max(c0 - 0.5 * float(np.sum(sv[:r] ** 2)), 0.0)

    def _forward(self, xp, X, Z):
        acts = [Z]
        for n in self.names:
            acts.append(X[n] @ acts[-1])
        return acts

    def _value_and_grad(self, xp, X, batch):
        Z, Y = self._samples(xp, X[self.names[0]], batch, Z=self.Z, Y=self.Y)
        nb = Z.shape[1]
        acts = self._forward(xp, X, Z)
        R = acts[-1] - Y
        val = 0.5 * xp.sum(R * R) / nb
        grads = {}
        B = R
        for l in range(self.L - 1, -1, -1):
            n = self.names[l]
            grads[n] = (B @ xp.matrix_transpose(acts[l])) / nb
            B = xp.matrix_transpose(X[n]) @ B
        return val, grads

    def _hvp(self, xp, X, V):
        Z, Y = self._samples(xp, X[self.names[0]], None, Z=self.Z, Y=self.Y)
        nb = Z.shape[1]
        acts = self._forward(xp, X, Z)
        dacts = [xp.zeros_like(Z)]
        for l, n in enumerate(self.names):
            dacts.append(V[n] @ acts[l] + X[n] @ dacts[l])
        B, dB = acts[-1] - Y, dacts[-1]
        out = {}
        for l in range(self.L - 1, -1, -1):
            n = self.names[l]
            out[n] = (dB @ xp.matrix_transpose(acts[l]) + B @ xp.matrix_transpose(dacts[l])) / nb
            WT, VT = xp.matrix_transpose(X[n]), xp.matrix_transpose(V[n])
            B, dB = WT @ B, VT @ B + WT @ dB
        return out

    def local_constants(self, X, box_radius) -> LocalConstants:
        """Block bounds ``h`` on the box of ``box_radius`` around ``X`` (class docstring)."""
        self._check_box_radius(box_radius)
        _, Xc = self.check_point(X)
        Xn = {k: np.asarray(to_numpy(v), dtype=np.float64) for k, v in Xc.items()}
        names, L = self.names, self.L
        specs = [self._layers[n] for n in names]
        kap, nu = zip(*(norm_comparisons(sp.norm, sp.shape) for sp in specs))
        x = [float(np.linalg.norm(Xn[n], 2)) for n in names]
        delta = [nu[i] * float(box_radius[n]) for i, n in enumerate(names)]
        beta = [x[i] + delta[i] for i in range(L)]
        s = float(np.linalg.norm(self.Sigma, 2))
        lam, U = np.linalg.eigh(self.Sigma)
        sig_half = (U * np.sqrt(np.clip(lam, 0, None))) @ U.T
        P = Xn[names[0]]
        for n in names[1:]:
            P = Xn[n] @ P
        E = P @ self.Sigma - self.Sigma_yz
        dP = sum(kap[k] * float(box_radius[names[k]]) * math.prod(beta[j] for j in range(L) if j != k)
                 for k in range(L))
        eps = float(np.linalg.norm(E)) + s * dP
        g = []
        for l in range(L):
            A = np.eye(self.widths[-1])
            for j in range(L - 1, l, -1):
                A = A @ Xn[names[j]]
            B = np.eye(self.widths[0])
            for j in range(l):
                B = Xn[names[j]] @ B
            B = B @ sig_half
            a2 = float(np.linalg.norm(A, 2))
            b2 = float(np.linalg.norm(B, 2))
            g0_sq = min(a2 * a2 * quadratic_constant("right", B @ B.T, specs[l].shape, specs[l].norm).value,
                        b2 * b2 * quadratic_constant("left", A.T @ A, specs[l].shape, specs[l].norm).value)
            dA = math.prod(beta[j] for j in range(l + 1, L)) - math.prod(x[j] for j in range(l + 1, L))
            dB = (math.prod(beta[j] for j in range(l)) - math.prod(x[j] for j in range(l))) * math.sqrt(s)
            b_box = math.prod(beta[j] for j in range(l)) * math.sqrt(s)
            g.append(math.sqrt(max(g0_sq, 0.0)) + kap[l] * (dA * b_box + a2 * dB))
        h = np.zeros((L, L))
        for l in range(L):
            for k in range(L):
                if k == l:
                    h[l, l] = g[l] ** 2
                else:
                    h[l, k] = g[l] * g[k] + eps * min(kap[l] * nu[k], nu[l] * kap[k]) * math.prod(
                        beta[j] for j in range(L) if j not in (l, k))
        return LocalConstants(tuple(names), h, dict(box_radius), "DeepLinear class docstring")


def matrix_factorization(M=None, rank: int = 3, seed: int = 0, shape=(6, 5),
                         norms=("rms_to_rms", "rms_to_rms")) -> DeepLinear:
    """``f(W1, W2) = 1/2 ||W2 W1 - M||_F^2`` with ``W1`` (rank x n), ``W2`` (m x rank).

    Realised as :class:`DeepLinear` with ``Z = sqrt(n) I_n`` and ``Y = sqrt(n) M``
    (so ``1/(2n) ||(P - M) sqrt(n)||^2 = 1/2 ||P - M||^2``; a minibatch is a subset
    of columns of M).  ``inf f = 1/2 sum_{i > rank} sigma_i(M)^2`` (Eckart-Young).
    Default ``M``: Gaussian ``6 x 5`` from ``seed``.
    """
    if M is None:
        M = np.random.default_rng(seed).standard_normal(shape)
    M = np.asarray(M, dtype=np.float64)
    m, n = M.shape
    Z = math.sqrt(n) * np.eye(n)
    obj = DeepLinear([n, rank, m], Z, math.sqrt(n) * M, norms, name="matrix_factorization")
    obj.source = "nonseparable.py (matrix factorization as DeepLinear)"
    return obj


def deep_linear(seed: int = 0, widths=(5, 4, 4, 3), n_samples: int = 32, noise: float = 0.1,
                norms=None) -> DeepLinear:
    """Deep linear network on Gaussian data with a linear teacher plus ``noise``."""
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((widths[0], n_samples))
    T = rng.standard_normal((widths[-1], widths[0])) / math.sqrt(widths[0])
    Y = T @ Z + noise * rng.standard_normal((widths[-1], n_samples))
    return DeepLinear(widths, Z, Y, norms)


_TANH_CURV = 4.0 / (3.0 * math.sqrt(3.0))  # max |2 tanh(u) sech^2(u)| (at tanh u = 1/sqrt 3)


class TanhMLP(Objective):
    """Two-layer tanh student ``f(W1, W2) = 1/(2N) ||W2 tanh(W1 Z) - Y||_F^2``.

    ``W1``: ``h x d``, ``W2``: ``k x h``, ``Z``: ``d x N``; the teacher is
    ``Y = W2* tanh(W1* Z)`` with width ``h*``; the optimum is 0 when ``h >= h*``
    (copy the teacher, pad with zero rows).  Gradients with ``S = tanh(W1 Z)``,
    ``R = W2 S - Y``:

        grad_W2 = R S^T / N,   grad_W1 = ((W2^T R) * (1 - S^2)) Z^T / N.

    ``hvp`` is exact (forward tangents ``dS = (1 - S^2) * (V1 Z)`` and the
    derivative of the backward pass, using ``d(1 - S^2) = -2 S dS``).

    Local constants on the box (module docstring notation).  Write ``q1`` for
    the right-multiplication quadratic constant of ``Sigma = Z Z^T/N`` in W1's
    norm (:func:`~.quadratics.quadratic_constant`), so ``||D Z||_F^2 <= N q1
    ||D||^2``; ``sigma_S = sqrt(q*(S_X S_X^T/N)) + nu_2 nu_1 r_1 z_F/sqrt(N)`` with
    ``S_X = tanh(X_1 Z)``, ``z_F = ||Z||_F``, so ``||D S(W)||_F <= sqrt(N)
    sigma_S ||D||`` on the box (``|tanh a - tanh b| <= |a - b|``);
    ``rho >= ||R||_F`` and ``rho_col >= max_s ||R_:s||_2`` on the box from the
    anchor's residual plus the same perturbation bounds;
    ``c = max|2 tanh sech^2| = 4/(3 sqrt 3)``.  Each block is bounded through
    its bilinear form, ``||H_ij D||_* = sup_{||E|| <= 1} <E, H_ij D>``:

        h_11 = q1 (beta_2^2 + C)
        h_12 = h_21 = sqrt(q1) beta_2 sigma_S + min(sqrt(q1/N) nu_2 rho,
                      nu_2 [min(kappa_1 ||M||_F, nu_1 ||M||_nuc) + sqrt(q1/N) (drho + s_max^2 rho)])
        h_22 = sigma_S^2

    from ``<E, H_11 D> = <W2 (S' * EZ), W2 (S' * DZ)>/N - 2 sum (W2^T R) S S' (DZ)(EZ)/N``
    (``S' = 1 - S^2``), where ``C >= max_{h,s} |(W2^T R)_hs| |2 S_hs S'_hs|`` on the
    box: ``|(W2^T R)_hs| <= ||(W2)_:h|| ||R_:s||`` with ``||(W2)_:h|| <= ||(X2)_:h|| + nu_2 r_2``
    and ``||R_:s||`` bounded by ``rho_col``'s per-column terms, and ``|2 tanh u sech^2 u|
    <= min(c, 2|u|)`` with ``|u_hs| <= |(X1 Z)_hs| + nu_1 r_1 ||z_s||``,
    ``<E, H_12 D> = <S' * EZ, D^T R + W2^T D S>/N`` and ``<E, H_22 D> = <ES, DS>/N``.
    In ``H_12`` the residual term is split as ``S' = 1 - S^2`` and ``R = R_X + dR``:
    ``<EZ, D^T R_X>/N = <E, D^T M>`` with ``M = R_X Z^T/N`` (bounded by
    ``||D^T M||_* <= min(kappa_1 ||D^T M||_F, nu_1 ||D^T M||_nuc)``), the rest by
    ``||dR||_F <= drho = nu_2 r_2 eta + ||X_2||_2 nu_1 r_1 z_F`` and ``|S| <= s_max``.
    Valid on the box; the tests measure how tight (typically 0.3-0.9).
    """

    hvp_exact = True
    separable = False

    def __init__(self, Z, Y, hidden: int, norms=("rms_to_rms", "rms_to_rms"),
                 name: str = "tanh_mlp", teacher_width: int | None = None):
        super().__init__()
        Z = np.asarray(Z, dtype=np.float64)
        Y = np.asarray(Y, dtype=np.float64)
        if Z.ndim != 2 or Y.ndim != 2 or Z.shape[1] != Y.shape[1]:
            raise ValueError(f"Z (d x N) and Y (k x N) must share N; got {Z.shape}, {Y.shape}")
        self.name = name
        self._set_layers({"W1": Block((hidden, Z.shape[0]), norms[0]),
                          "W2": Block((Y.shape[0], hidden), norms[1])})
        self.Z, self.Y = Z, Y
        self.n_samples = sample_count(Z, type(self).__name__)
        self.hidden = hidden
        self.lower_bound = 0.0
        self.optimum = 0.0 if (teacher_width is not None and hidden >= teacher_width) else None
        self.source = "nonseparable.py (TanhMLP teacher-student)"

    def _value_and_grad(self, xp, X, batch):
        W1, W2 = X["W1"], X["W2"]
        Z, Y = self._samples(xp, W1, batch, Z=self.Z, Y=self.Y)
        nb = Z.shape[1]
        S = xp.tanh(W1 @ Z)
        R = W2 @ S - Y
        val = 0.5 * xp.sum(R * R) / nb
        g2 = (R @ xp.matrix_transpose(S)) / nb
        g1 = (((xp.matrix_transpose(W2) @ R) * (1 - S * S)) @ xp.matrix_transpose(Z)) / nb
        return val, {"W1": g1, "W2": g2}

    def _hvp(self, xp, X, V):
        W1, W2, V1, V2 = X["W1"], X["W2"], V["W1"], V["W2"]
        Z, Y = self._samples(xp, W1, None, Z=self.Z, Y=self.Y)
        nb = Z.shape[1]
        S = xp.tanh(W1 @ Z)
        Sp = 1 - S * S
        R = W2 @ S - Y
        dS = Sp * (V1 @ Z)
        dR = V2 @ S + W2 @ dS
        h2 = (dR @ xp.matrix_transpose(S) + R @ xp.matrix_transpose(dS)) / nb
        W2T = xp.matrix_transpose(W2)
        G = W2T @ R
        dG = xp.matrix_transpose(V2) @ R + W2T @ dR
        h1 = ((dG * Sp - 2 * G * S * dS) @ xp.matrix_transpose(Z)) / nb
        return {"W1": h1, "W2": h2}

    def local_constants(self, X, box_radius) -> LocalConstants:
        """Block bounds ``h`` on the box of ``box_radius`` around ``X`` (class docstring)."""
        self._check_box_radius(box_radius)
        _, Xc = self.check_point(X)
        W1, W2 = (np.asarray(to_numpy(Xc[k]), dtype=np.float64) for k in ("W1", "W2"))
        s1, s2 = self._layers["W1"], self._layers["W2"]
        k1, n1 = norm_comparisons(s1.norm, s1.shape)
        _, n2 = norm_comparisons(s2.norm, s2.shape)
        r1, r2 = float(box_radius["W1"]), float(box_radius["W2"])
        x1, x2 = float(np.linalg.norm(W1, 2)), float(np.linalg.norm(W2, 2))
        b1, b2 = x1 + n1 * r1, x2 + n2 * r2
        N, h = self.n_samples, self.hidden
        Z, Y = self.Z, self.Y
        zF = float(np.linalg.norm(Z))
        zcol = np.linalg.norm(Z, axis=0)
        q1 = quadratic_constant("right", Z @ Z.T / N, s1.shape, s1.norm).value
        UX = W1 @ Z
        SX = np.tanh(UX)
        RX = W2 @ SX - Y
        qS = quadratic_constant("right", SX @ SX.T / N, s2.shape, s2.norm).value
        sigma_S = math.sqrt(qS) + n2 * n1 * r1 * zF / math.sqrt(N)
        eta = min(math.sqrt(h * N), b1 * zF)  # >= ||S(W)||_F
        rho = float(np.linalg.norm(RX)) + n2 * r2 * eta + x2 * n1 * r1 * zF
        scol = np.minimum(math.sqrt(h), b1 * zcol)  # >= ||S(W)_:s||
        rcol = np.linalg.norm(RX, axis=0) + n2 * r2 * scol + x2 * n1 * r1 * zcol  # >= ||R_:s||
        w2col = np.linalg.norm(W2, axis=0) + n2 * r2  # >= ||(W2)_:h|| on the box
        umax = np.abs(UX) + n1 * r1 * zcol[None, :]  # >= |u_hs| on the box
        curv = np.minimum(_TANH_CURV, 2 * umax)
        C = float(np.max(w2col[:, None] * rcol[None, :] * curv))
        M = RX @ Z.T / N
        drho = n2 * r2 * eta + x2 * n1 * r1 * zF
        s_max = min(1.0, float(umax.max()))
        resid = min(math.sqrt(q1 / N) * n2 * rho,  # |S'| <= 1 and ||R||_F <= rho
                    n2 * (min(k1 * float(np.linalg.norm(M)), n1 * float(np.linalg.norm(M, "nuc")))
                          + math.sqrt(q1 / N) * (drho + s_max * s_max * rho)))
        off = math.sqrt(q1) * b2 * sigma_S + resid
        hm = np.array([[q1 * (b2 * b2 + C), off],
                       [off, sigma_S * sigma_S]])
        return LocalConstants(("W1", "W2"), hm, dict(box_radius), "TanhMLP class docstring")


def tanh_teacher_student(seed: int = 0, d: int = 5, hidden: int = 6, teacher_width: int = 3,
                         out: int = 2, n_samples: int = 48,
                         norms=("rms_to_rms", "rms_to_rms")) -> TanhMLP:
    """Gaussian inputs, a random tanh teacher of width ``teacher_width``; reproducible."""
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((d, n_samples))
    T1 = rng.standard_normal((teacher_width, d)) / math.sqrt(d)
    T2 = rng.standard_normal((out, teacher_width)) / math.sqrt(teacher_width)
    Y = T2 @ np.tanh(T1 @ Z)
    return TanhMLP(Z, Y, hidden, norms, teacher_width=teacher_width)
