"""Layered objectives with analytic gradients, proved smoothness constants and stochastic oracles.

A layered point is a ``dict`` name -> array (docs/theory.md section 1).  Every
objective follows the protocol of :class:`.protocol.Objective` (module docstring of
:mod:`.protocol`): ``layers``, ``value``, ``grad``, ``value_and_grad``, ``hvp``,
``constants`` (Assumption 1, docs/theory.md section 4, with derivations in the
docstrings), ``separable``, ``lower_bound``/``optimum``, ``initial_point`` and
``sample_point``.

Families:

* :mod:`.quadratics` -- separable quadratics, one layer per norm, with exact or
  SDP-bounded ``L0`` (:func:`quadratic_zoo`, :func:`least_squares_objective`);
* :mod:`.smooth` -- separable GLMs (logistic, log-cosh; ``L1 = 0``) and
  cosh-type terms with genuinely nonzero ``L1`` (:func:`glm_objective`,
  :func:`cosh_objective`);
* :mod:`.nonseparable` -- matrix factorization, deep linear networks, a tanh
  teacher-student MLP, with local (box) constants;
* :mod:`.digits` -- a tanh MLP with softmax cross-entropy on sklearn's digits;
* :mod:`.digits_cnn` -- a small tanh CNN on the same data (SpectralConv/RMS/Sign);
* :mod:`.oracles` -- seeded minibatch and additive-noise oracles (Assumption 2).

The search that tries to break the claimed constants is part of the
verification layer (:mod:`proofs_check.attack`), not of the library.

Supporting modules, one job each: :mod:`.protocol` (the protocol and the
validation of points), :mod:`.constants` (records of proved constants),
:mod:`.comparisons` (norm-comparison constants), :mod:`.datacache` (data moved
to a point's namespace, cached).
"""

from .comparisons import norm_comparison, norm_comparisons
from .constants import LayerConstants, LocalConstants, gronwall_constants
from .protocol import Block, DomainError, Objective, layer_dual_norms, to_namespace
from .digits import DigitsMLP
from .digits_cnn import DigitsCNN
from .nonseparable import DeepLinear, TanhMLP, deep_linear, matrix_factorization, tanh_teacher_student
from .oracles import MinibatchOracle, NoiseOracle, minibatch_variance, per_sample_gradients
from .quadratics import (LeastSquaresLayer, QuadraticLayer, least_squares_objective,
                         quadratic_constant, quadratic_zoo, sdp_maxqp_bound, separable_quadratic)
from .separable import LayerTerm, SeparableObjective
from .smooth import ElementwiseCoshLayer, GLMLayer, RidgeCoshLayer, cosh_objective, glm_objective

__all__ = [
    "Block", "LayerConstants", "LocalConstants", "Objective", "DomainError", "gronwall_constants",
    "layer_dual_norms", "norm_comparison", "norm_comparisons", "to_namespace",
    "LayerTerm", "SeparableObjective",
    "QuadraticLayer", "LeastSquaresLayer", "quadratic_constant", "sdp_maxqp_bound",
    "separable_quadratic", "quadratic_zoo", "least_squares_objective",
    "GLMLayer", "RidgeCoshLayer", "ElementwiseCoshLayer", "glm_objective", "cosh_objective",
    "DeepLinear", "TanhMLP", "matrix_factorization", "deep_linear", "tanh_teacher_student",
    "DigitsMLP", "DigitsCNN",
    "MinibatchOracle", "NoiseOracle", "minibatch_variance", "per_sample_gradients",
    "builtin_objectives",
]


def builtin_objectives(seed: int = 0) -> dict[str, Objective]:
    """The built-in objective families, keyed by name (small sizes; reproducible)."""
    return {
        "quadratic_zoo": quadratic_zoo(seed),
        "least_squares": least_squares_objective(seed),
        "glm_logistic": glm_objective(seed, loss="logistic"),
        "glm_logcosh": glm_objective(seed, loss="logcosh"),
        "cosh": cosh_objective(seed),
        "matrix_factorization": matrix_factorization(seed=seed),
        "deep_linear": deep_linear(seed),
        "tanh_mlp": tanh_teacher_student(seed),
    }
