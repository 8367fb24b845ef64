"""Layer-wise smoothness along trajectories: the estimator, the (L0, L1) fit, and its data.

docs/theory.md section 8 (Gluon, arXiv 2505.13416, Eq. 10 and its fit):

* :mod:`.estimator` -- ``lhat = ||g' - g||_* / ||X' - X||`` per layer, anchored at
  the newer gradient, with exact or Newton-Schulz dual norms;
* :mod:`.fit` -- the hinge-penalised least-squares fit (``lam = 5``,
  ``L0, L1 >= 1e-6``) by L-BFGS-B, an exact active-set solver that validates it,
  ``MSE_rel``;
* :mod:`.recorder` -- estimates along any optimizer run of the suite, with
  different-batch, same-batch and full-batch gradient pairings;
* :mod:`.authors` -- the Gluon authors' published logs (NanoGPT and CIFAR-10
  CNN), shipped as package data, with their run settings and refits;
* :mod:`.experiments` -- the digits MLP and CNN: fits, tuned radii and the
  circularity test (``1/L1`` against the radius of the run that measured it);
* :mod:`.synthetic` -- planted pairs and objectives with proved constants.

Example
-------
>>> import numpy as np
>>> from gluon_ref.smoothness import fit_l0l1
>>> g = np.linspace(0.1, 2.0, 20)
>>> f = fit_l0l1(0.5 + 3.0 * g, g)       # estimates exactly on a line
>>> round(f.L0, 4), round(f.L1, 4)
(0.5, 3.0)
"""

from .authors import RUNS, LayerRefit, LogMeasurements, load_authors_logs, parse_log, refit
from .estimator import PairEstimate, dual_norm, estimate_layers, estimate_pair
from .experiments import MODELS, CircularityResult, ModelSpec, TuneResult, circularity, run, tune
from .fit import (LAMBDA, LOWER, Fit, expectile_offset, fit_l0l1, fit_l0l1_exact, hinge_balance,
                  hinge_objective, mse_rel)
from .recorder import KINDS, Recording, Trace, record_run
from .synthetic import PLANTED_NORMS, SYNTHETIC_OBJECTIVES, planted_pairs, synthetic_run

__all__ = [
    "RUNS", "LayerRefit", "LogMeasurements", "load_authors_logs", "parse_log", "refit",
    "PairEstimate", "dual_norm", "estimate_layers", "estimate_pair",
    "MODELS", "CircularityResult", "ModelSpec", "TuneResult", "circularity", "run", "tune",
    "LAMBDA", "LOWER", "Fit", "expectile_offset", "fit_l0l1", "fit_l0l1_exact", "hinge_balance",
    "hinge_objective", "mse_rel",
    "KINDS", "Recording", "Trace", "record_run",
    "PLANTED_NORMS", "SYNTHETIC_OBJECTIVES", "planted_pairs", "synthetic_run",
]
