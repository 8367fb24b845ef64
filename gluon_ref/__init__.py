"""gluon-ref: a numerical reference for LMO-based optimizers (Gluon, Muon, Scion, ...).

Subpackages and modules: :mod:`gluon_ref.backend` (array namespaces),
:mod:`gluon_ref.norms` (norms, duals, LMOs), :mod:`gluon_ref.polar` (exact
polar factor and Newton–Schulz iterations).
"""

from .norms import Norm, ProductNorm, available_norms, get_norm

__version__ = "0.1.0"

__all__ = ["Norm", "ProductNorm", "available_norms", "get_norm", "__version__"]
