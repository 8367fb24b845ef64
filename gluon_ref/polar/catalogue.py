"""Newton–Schulz presets shipped in public optimizer code, with their sources (docs/polar.md 4-9).

Each :class:`Preset` records a coefficient list *as shipped*: its numbers,
what happens when a run asks for more steps than the list holds (``tail``:
``"repeat_last"``, ``"cycle"`` — NVIDIA's and Marin's default for lists other
than Polar Express — or ``"fixed"``), the input normalisation, the working
precision and the default step count, and where all of that was read
(:class:`Source`: repository, path, commit or package version).  The numbers
are facts recorded with their source; no code was copied.  The Polar Express
lists are *regenerated* by the section 8.5 recipe
(:func:`~gluon_ref.polar.polar_express.published_recipe`), which matches the
published numbers to 1e-12 (claim ``polar.polar_express.published_lists``),
except NVIDIA's 4-digit rounding of the paper's list, recorded as shipped.

:func:`certify_preset` runs :func:`~gluon_ref.polar.certify.certify` on a
polynomial preset.  Presets whose normalisation is not a singular-value
transform (AOL row scaling) or that are not polynomials (Dion's power
iteration) get a :class:`MatrixTest` instead: measured distance to the exact
polar factor, the smallest alignment ``u_i^T O v_i``, the dual gap of
``<G, O>`` and ``||O||_2`` over a fixed set of matrices.

Sources were read in December 2026 with the project's code-search tools
(:func:`presets` lists each); ``verified`` says how.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import cycle, islice
from typing import Any, Sequence

import numpy as np

from ..backend import check_count
from .certify import Certificate, certify
from .iterations import MUON_QUINTIC
from .polar_express import published_recipe
from .scalar_model import Polynomial
from .schedules import KJ_COMPARISON_QUINTIC, YOU_5STEP, YOU_6STEP, Schedule

__all__ = ["Source", "Preset", "MatrixTest", "presets", "get_preset", "available_presets",
           "certify_preset", "matrix_test", "TAILS", "NORMALIZATIONS"]

#: what a run with more steps than the list does
TAILS = ("repeat_last", "cycle", "fixed")
#: input normalisations; the last two are not singular-value transforms
NORMALIZATIONS = ("frobenius", "clamp", "aol", "power_iteration")


@dataclass(frozen=True)
class Source:
    """Where a preset was read: ``repository`` (GitHub owner/name or ``pypi:<package>``),
    ``path``, ``revision`` (commit hash or package version) and how it was checked."""

    repository: str
    path: str
    revision: str
    verified: str = "coefficients read digit for digit"

    def __str__(self) -> str:
        return f"{self.repository}:{self.path}@{self.revision}"


@dataclass(frozen=True)
class Preset:
    """A coefficient list as shipped (module docstring).

    ``safety``/``eps`` define the scale ``s`` (``frobenius``: ``safety
    ||G||_F + eps``; ``clamp``: ``max(||G||_F, eps)``; ``aol``: row scaling
    with row sums clamped at ``eps``); ``precision`` is the dtype the
    shipped code runs the iteration in.  ``monotone_claimed`` is True for
    schedules documented as monotone maps.
    """

    key: str
    title: str
    polynomials: tuple[Polynomial, ...]
    default_steps: int
    tail: str
    normalization: str
    safety: float
    eps: float
    precision: str
    sources: tuple[Source, ...]
    note: str = ""
    monotone_claimed: bool | None = None
    rank_fraction: float | None = field(default=None)

    def __post_init__(self):
        if self.tail not in TAILS:
            raise ValueError(f"preset {self.key}: tail must be one of {TAILS}, got {self.tail!r}")
        if self.normalization not in NORMALIZATIONS:
            raise ValueError(f"preset {self.key}: normalization must be one of {NORMALIZATIONS}")
        if self.normalization != "power_iteration" and not self.polynomials:
            raise ValueError(f"preset {self.key}: a polynomial preset needs coefficients")

    @property
    def singular_value_map(self) -> bool:
        """True when the scalar model applies (Frobenius or clamp normalisation)."""
        return self.normalization in ("frobenius", "clamp")

    def polynomials_for(self, steps: int | None = None) -> tuple[Polynomial, ...]:
        """The polynomials a run of ``steps`` steps applies, by the preset's ``tail`` rule."""
        steps = check_count(f"steps of preset {self.key}",
                            self.default_steps if steps is None else steps)
        polys = self.polynomials
        if steps <= len(polys):
            return polys[:steps]
        if self.tail == "fixed":
            raise ValueError(f"preset {self.key} is a fixed {len(polys)}-step schedule; "
                             f"got steps={steps}")
        if self.tail == "cycle":
            return tuple(islice(cycle(polys), steps))
        return polys + (polys[-1],) * (steps - len(polys))

    def schedule(self, steps: int | None = None) -> Schedule:
        """The :class:`Schedule` of a polynomial preset with a singular-value normalisation."""
        if not self.singular_value_map:
            raise ValueError(f"preset {self.key} uses {self.normalization!r}, which is not a "
                             "singular-value transform: it has no Schedule (use matrix_test)")
        return Schedule(self.polynomials_for(steps), self.key, self.normalization, self.eps,
                        self.safety, source=str(self.sources[0]) if self.sources else "")

    def orthogonalizer(self, steps: int | None = None, *, rng=0):
        """A callable ``G -> O`` running the preset in float64 (or the input's dtype)."""
        from .oracles import aol_newton_schulz, dion_power_iteration

        if self.singular_value_map:
            return self.schedule(steps)
        if self.normalization == "aol":
            polys = self.polynomials_for(steps)
            return lambda g: aol_newton_schulz(g, polys, eps=self.eps)
        iters = check_count(f"iterations of preset {self.key}",
                            self.default_steps if steps is None else steps)

        def dion(g):
            r = max(1, math.ceil((self.rank_fraction or 1.0) * min(g.shape)))
            return dion_power_iteration(g, r, iters, rng=rng, eps=self.eps)
        return dion


def _pe(name: str) -> tuple[Polynomial, ...]:
    return tuple(published_recipe(name).polynomials)


def _gram_list() -> tuple[Polynomial, ...]:
    return tuple((a / 1.05, b / 1.05**3, c / 1.05**5)
                 for a, b, c in published_recipe("paper").raw[:5])


_NV = Source("NVIDIA-NeMo/Emerging-Optimizers",
             "emerging_optimizers/orthogonalized_optimizers/muon_utils.py",
             "fd7729267109a8848709e9406bf19e53e970c3f4",
             "read from the repository snapshot of 2026-08-20; Muon(num_ns_steps=5), "
             "normalisation torch.nn.functional.normalize(eps=1e-15) = X / max(||X||_F, eps); "
             "'cycle' for simple/quintic/aol, 'repeat_last' for polar_express/cans/deepseekv4")
_NV_NOTE = ("bf16 when torch's float32 matmul precision is 'medium' (Megatron-LM's default "
            "muon_fp32_matmul_prec), float32 otherwise")

#: NVIDIA's four-digit rounding of the paper's list, with the run-time safety folded in
_NV_POLAR_EXPRESS = ((8.2051, -22.9019, 16.4607), (4.0664, -2.8612, 0.5184),
                     (3.9096, -2.8234, 0.5250), (3.2856, -2.4153, 0.4853),
                     (2.2779, -1.6198, 0.3985), (1.8726, -1.2307, 0.3585),
                     (1.8564, -1.2132, 0.3568), (1.8750, -1.2500, 0.3750))
#: CANS (arXiv 2506.10935) as shipped by NVIDIA, generated with GrishKate/accelerating_orthogonalization
_NV_CANS = ((8.4703, -25.1081, 18.6293), (4.1828, -3.1087, 0.5806), (3.9619, -2.9541, 0.5630),
            (3.2866, -2.4647, 0.5074), (2.2737, -1.6447, 0.4162))
#: the early Turbo-Muon list (thib-s/flash-newton-schulz b73111d, replaced on 2025-09-05)
AOL_EARLY = ((4.0098, -7.0585, 2.4635), (3.4585, -5.5479, 2.5959), (2.7573, -3.2939, 1.4254),
             (2.7215, -3.0494, 1.3169))
#: Turbo-Muon's current list (thib-s/flash-newton-schulz cdb03db)
AOL_CURRENT = ((4.6051, -9.6552, 5.6769), (4.7505, -6.0861, 2.1790), (2.7763, -2.3190, 0.5523),
               (2.4231, -2.2861, 0.8193))
#: relaxed cubic five-step schedule (arXiv 2606.00371) as shipped by NVIDIA (c = 0)
_NV_CUBIC5 = ((3.3656576, -3.3420992), (2.5744352, -1.4957376), (2.5368962, -1.4312570),
              (2.4418906, -1.2764040), (2.2230472, -0.9630650))
#: DeepSeek-V4's hybrid: 8 Jordan steps then 2 of Jordan's comparison quintic
_DEEPSEEK_V4 = (MUON_QUINTIC,) * 8 + (KJ_COMPARISON_QUINTIC,) * 2

_TORCH = Source("pypi:torch", "torch/optim/_muon.py", "2.13.0+cpu",
                "read from the installed wheel: DEFAULT_A/B/C, EPS = 1e-7, DEFAULT_NS_STEPS = 5, "
                "ortho_grad.div_(norm.clamp(min=eps)), bf16 addmm; checked bit for bit by "
                "tests/test_conformance_torch.py")
_KJ = Source("KellerJordan/Muon", "muon.py", "857d1adc159e098212f828d927460782d3da59e9",
             "a, b, c = (3.4445, -4.7750, 2.0315); X / (||X||_F + 1e-7) in bf16")
_MOON = Source("MoonshotAI/Moonlight", "examples/toy_train.py",
               "c2ad5b20c605086526a179d36901bfc41b52b44b",
               "Jordan's quintic, X / (X.norm() + 1e-7) in bf16, ns_steps = 5")
_DION = Source("microsoft/dion", "dion/muon.py", "0a059a4542e5aa74b40dcd1dce363836c7afcd48",
               "zeropower_via_newtonschulz5: You's five triples, X / (||X||_F + 1e-7) in bf16")
_OPTAX = Source("pypi:optax", "optax/contrib/_muon.py", "0.2.8",
                "read from the installed package: _DEFAULT_NS_COEFFS, _DION_NS_COEFFS, "
                "x / (||x||_F + eps), eps = 1e-8; run by tests/test_conformance_optax.py")
_GRAM = Source("Dao-AILab/gram-newton-schulz", "gram_newton_schulz/coefficients.py",
               "f08f25e1b24112ec28a12001e67cd4fc4615dfe7",
               "the paper's first five raw triples divided by (1.05, 1.05^3, 1.05^5); "
               "X / (||X||_F + 1e-7) in float32, then cast to float16; restart after step 2")
_MODULA = Source("modula-systems/modula", "modula/atom.py",
                 "0ef0e286410c2a965a04acb592b50ca2e8efb97f",
                 "six triples / 1024, M / ||M||_F (no eps), float32 (JAX default)")
_PE_PKG = Source("NoahAmsel/PolarExpress", "polar_express.py",
                 "5454910920ca8c65afda28820cdf9e49b9436ed0",
                 "optimal_composition(l=1e-3, num_iters=10, safety_factor_eps=1e-2, cushion=0.02); "
                 "X / (1.01 ||X||_F + 1e-7) in bf16; repeat last beyond 10")
_DION_PE = Source("microsoft/dion", "dion/polar_express.py",
                  "0a059a4542e5aa74b40dcd1dce363836c7afcd48",
                  "five triples, safety 1.02 folded into all but the last; "
                  "X / (1.02 ||X||_F + 1e-6) in bf16")
_NANOGPT = Source("KellerJordan/modded-nanogpt", "train_gpt.py",
                  "93f0e6b9373b0791f7893c953a14ce35002e978e",
                  "the same five triples (compared in claim polar.polar_express.published_lists)")
_TURBO = Source("thib-s/flash-newton-schulz", "newton_schulz_triton.py",
                "cdb03db0e6c59e82365426373a1601fadfdf7ab3",
                "newton_schulz_triton_aol: AOL rescaling (row sums of |X X^T| clamped at 1e-7), "
                "then four triples; bf16")
_TURBO_EARLY = Source("thib-s/flash-newton-schulz", "newton_schulz_triton.py",
                      "b73111d0cd037ae036022357d32bf23197148a36",
                      "initial commit 2025-08-28; replaced by b536fa8 on 2025-09-05")
_MARIN = Source("marin-community/marin", "lib/levanter/src/levanter/optim/util.py",
                "054a715f24ae9c2ba9c8bdf30d9a094e7c8f2e0f",
                "NEWTON_SCHULZ_COEFFICIENTS['aol'] (copied from Emerging-Optimizers); "
                "coefficients used cyclically (i % len); X / (||X||_F + 1e-7); steps = 5")
_DION_PI = Source("microsoft/dion", "dion/dion_reference.py",
                  "0a059a4542e5aa74b40dcd1dce363836c7afcd48",
                  "power_iteration: P = orthogonalize(B Q), R = B^T P; Q = R / (||R||_col + eps); "
                  "update P Q^T; rank_fraction default 1.0, power_iters 1")

def _preset_list() -> list[Preset]:
    return [
        Preset("torch_muon", "torch.optim.Muon default", (MUON_QUINTIC,), 5, "repeat_last", "clamp",
               1.0, 1e-7, "bfloat16", (_TORCH,)),
        Preset("keller_jordan", "Keller Jordan's Muon", (MUON_QUINTIC,), 5, "repeat_last",
               "frobenius", 1.0, 1e-7, "bfloat16", (_KJ,)),
        Preset("moonlight", "Moonlight (Muon is Scalable)", (MUON_QUINTIC,), 5, "repeat_last",
               "frobenius", 1.0, 1e-7, "bfloat16", (_MOON,)),
        Preset("optax_standard", "optax.contrib.muon 'standard'", (MUON_QUINTIC,), 5, "repeat_last",
               "frobenius", 1.0, 1e-8, "float32", (_OPTAX,)),
        Preset("you5", "You's 5 steps (Dion, optax 'dion', gram-newton-schulz)", YOU_5STEP, 5,
               "fixed", "frobenius", 1.0, 1e-7, "bfloat16", (_DION, _OPTAX, _GRAM)),
        Preset("you6", "You's 6 steps (modula)", YOU_6STEP, 6, "fixed", "frobenius", 1.0, 0.0,
               "float32", (_MODULA,)),
        Preset("polar_express_package", "Polar Express package (T = 10 list, 5 steps used)",
               _pe("package"), 5, "repeat_last", "frobenius", 1.01, 1e-7, "bfloat16",
               (_PE_PKG,), note="regenerated by the section 8.5 recipe (reference-package parameters)"),
        Preset("polar_express_paper", "Polar Express paper list (raw-then-scale 1.01)",
               _pe("paper"), 8, "repeat_last", "frobenius", 1.01, 1e-7, "bfloat16", (_GRAM,),
               note="regenerated; the raw triples match gram-newton-schulz's copy of the paper list"),
        Preset("modded_nanogpt", "Polar Express in modded-nanogpt and Dion (folded 1.02)",
               _pe("modded_nanogpt"), 5, "fixed", "frobenius", 1.02, 1e-6, "bfloat16",
               (_DION_PE, _NANOGPT), note="regenerated by the section 8.5 recipe"),
        Preset("gram_newton_schulz", "gram-newton-schulz default (paper's first 5 / 1.05^k)",
               _gram_list(), 5, "fixed", "frobenius", 1.0, 1e-7, "float16", (_GRAM,)),
        Preset("nvidia_simple", "Emerging-Optimizers 'simple'", (MUON_QUINTIC,), 5, "cycle", "clamp",
               1.0, 1e-15, "bfloat16", (_NV,), note=_NV_NOTE),
        Preset("nvidia_quintic", "Emerging-Optimizers 'quintic' (default; You's 5)", YOU_5STEP, 5,
               "cycle", "clamp", 1.0, 1e-15, "bfloat16", (_NV,), note=_NV_NOTE),
        Preset("nvidia_polar_express", "Emerging-Optimizers 'polar_express' (4 digits)",
               _NV_POLAR_EXPRESS, 5, "repeat_last", "clamp", 1.0, 1e-15, "bfloat16", (_NV,),
               note=_NV_NOTE + "; the paper's list /1.01^k rounded to 4 digits, normalised without 1.01"),
        Preset("nvidia_cans", "Emerging-Optimizers 'cans' (CANS, arXiv 2506.10935)", _NV_CANS, 5,
               "repeat_last", "clamp", 1.0, 1e-15, "bfloat16", (_NV,), note=_NV_NOTE),
        Preset("nvidia_aol", "Emerging-Optimizers 'aol' (early Turbo-Muon list, Frobenius)",
               AOL_EARLY, 5, "cycle", "clamp", 1.0, 1e-15, "bfloat16", (_NV, _MARIN),
               note="designed for AOL row scaling but applied after a Frobenius normalisation; "
                    "5 steps cycle back to the first triple"),
        Preset("nvidia_aol_4", "Emerging-Optimizers 'aol' with num_ns_steps = 4",
               AOL_EARLY, 4, "cycle", "clamp", 1.0, 1e-15, "bfloat16", (_NV,), note=_NV_NOTE),
        Preset("marin_aol", "Marin/levanter 'aol' (cyclic, ||X||_F + 1e-7)", AOL_EARLY, 5, "cycle",
               "frobenius", 1.0, 1e-7, "float32", (_MARIN,)),
        Preset("nvidia_deepseekv4", "Emerging-Optimizers 'deepseekv4' (DeepSeek-V4 hybrid)",
               _DEEPSEEK_V4, 10, "repeat_last", "clamp", 1.0, 1e-15, "bfloat16", (_NV,),
               note="8 Jordan steps then 2 of (2, -1.5, 0.5); the DeepSeek-V4 report itself was not "
                    "read (uncertain); NVIDIA's default num_ns_steps = 5 runs only the Jordan part"),
        Preset("nvidia_cubic5", "Emerging-Optimizers 'cubic5' (relaxed cubic, arXiv 2606.00371)",
               _NV_CUBIC5, 5, "fixed", "clamp", 1.0, 1e-15, "bfloat16", (_NV,), note=_NV_NOTE),
        Preset("turbo_muon", "Turbo-Muon (AOL scaling + 4 steps, current)", AOL_CURRENT, 4, "fixed",
               "aol", 1.0, 1e-7, "bfloat16", (_TURBO,)),
        Preset("turbo_muon_early", "Turbo-Muon, first list (AOL scaling + 4 steps)", AOL_EARLY, 4,
               "fixed", "aol", 1.0, 1e-7, "bfloat16", (_TURBO_EARLY,)),
        Preset("dion_power_iteration", "Dion rank-r power iteration (r = min(m, n), 1 iteration)", (),
               1, "fixed", "power_iteration", 1.0, 1e-8, "float32", (_DION_PI,), rank_fraction=1.0),
    ]


@lru_cache(maxsize=1)
def presets() -> dict[str, Preset]:
    """key -> :class:`Preset`, in catalogue order (built on first use: the Polar Express
    lists are designed, which takes a few milliseconds)."""
    return {p.key: p for p in _preset_list()}


def available_presets() -> list[str]:
    """The catalogue keys, in catalogue order."""
    return list(presets())


def get_preset(key: str) -> Preset:
    """The preset ``key``; ``ValueError`` lists the valid keys."""
    k = str(key).strip().lower()
    table = presets()
    if k not in table:
        raise ValueError(f"unknown preset {key!r}; valid: {', '.join(table)}")
    return table[k]


@dataclass(frozen=True)
class MatrixTest:
    """Matrix measurements for a preset the scalar model cannot certify (module docstring).

    ``rows`` holds per matrix: family, shape, ``err2 = ||O - U V^T||_2``,
    ``min_alignment = min_i u_i^T O v_i``, ``dual_gap = 1 - <G, O>/||G||_*``
    and ``norm2 = ||O||_2``.
    """

    name: str
    steps: int
    reason: str
    rows: tuple[dict, ...]
    kind: str = "matrix test"

    def _column(self, key: str) -> list[float]:
        return [r[key] for r in self.rows]

    worst_error = property(lambda self: max(self._column("err2")))
    min_alignment = property(lambda self: min(self._column("min_alignment")))
    max_norm = property(lambda self: max(self._column("norm2")))
    max_dual_gap = property(lambda self: max(self._column("dual_gap")))

    @property
    def verdict(self) -> str:
        return (f"{self.reason}: matrix test, max ||O - UV^T||_2 = {self.worst_error:.3g}, "
                f"min u_i^T O v_i = {self.min_alignment:.3g}, max ||O||_2 = {self.max_norm:.3g}")

    def as_row(self) -> dict[str, Any]:
        return {"name": self.name, "steps": self.steps, "kind": self.kind,
                "verdict": self.verdict, "worst_error": self.worst_error,
                "min_alignment": self.min_alignment, "max_norm": self.max_norm,
                "max_dual_gap": self.max_dual_gap, "rows": list(self.rows)}


#: matrices of the matrix test: (family, shape) from gluon_ref.polar.matrices
MATRIX_TEST_CASES = (("gaussian", (64, 32)), ("logspace1e2", (64, 32)), ("heavytail", (96, 48)),
                     ("lowrank", (48, 96)))


def matrix_test(orthogonalizer, *, name: str, steps: int, reason: str, seed: int = 0,
                cases: Sequence[tuple[str, tuple[int, int]]] = MATRIX_TEST_CASES) -> MatrixTest:
    """Measure ``orthogonalizer`` against the float64 SVD polar factor on fixed matrices."""
    from .matrices import test_matrix
    from .metrics import polar_errors, polar_reference

    rows = []
    rng = np.random.default_rng(seed)
    for family, shape in cases:
        g = test_matrix(family, shape, rng)
        o = np.asarray(orthogonalizer(g), dtype=np.float64)
        ref = polar_reference(g)
        e = polar_errors(o, reference=ref)
        nuc = float(np.sum(ref.s))  # the SVD polar_errors uses, not a second one
        rows.append({"family": family, "shape": list(shape), "err2": float(e.spectral),
                     "min_alignment": float(np.min(e.projections)),
                     "dual_gap": 1.0 - float(np.sum(g * o)) / nuc,
                     "norm2": float(np.linalg.norm(o, 2))})
    return MatrixTest(name, steps, reason, tuple(rows))


def certify_preset(preset: Preset | str, steps: int | None = None, lo: float = 1e-3, *,
                   tolerance: float = 1e-2, seed: int = 0) -> Certificate | MatrixTest:
    """Certificate of a polynomial preset on ``[lo, 1/safety]``, or its :class:`MatrixTest`.

    ``steps`` defaults to the preset's shipped default; the polynomials follow
    its tail rule (:meth:`Preset.polynomials_for`).
    """
    p = get_preset(preset) if isinstance(preset, str) else preset
    n = p.default_steps if steps is None else int(steps)
    if p.singular_value_map:
        return certify(p.schedule(n), lo, name=p.key, tolerance=tolerance,
                       monotone_claimed=p.monotone_claimed)
    reason = ("not a singular-value map (AOL row scaling)" if p.normalization == "aol"
              else "not a polynomial (rank-r power iteration)")
    return matrix_test(p.orthogonalizer(n, rng=seed), name=p.key, steps=n, reason=reason,
                       seed=seed)
