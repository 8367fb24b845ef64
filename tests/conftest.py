"""Shared fixtures: the ``xp`` backend fixture, dtype tolerances, hypothesis profiles.

``xp`` runs a test on NumPy and array-api-strict always, and on CuPy when it
imports and sees a CUDA device.  Slow sweeps are marked ``@pytest.mark.slow``
and run only with ``--full`` (each has a small default version).
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "default",
    max_examples=int(os.environ.get("GLUON_REF_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "full", max_examples=300, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
# CI (which sets CI=true) replays a fixed sequence of examples, so a landing does not depend
# on the luck of one draw; local runs keep exploring new examples every time.
settings.register_profile(
    "ci", parent=settings.get_profile("default"), derandomize=True, database=None,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE",
                                     "ci" if os.environ.get("CI") else "default"))


class OnDevice:
    """array-api-strict with its creation functions defaulting to a non-default device.

    Arrays a test creates through this namespace live on ``array_api_strict.Device("device1")``
    while the library's own ``array_namespace(x)`` is plain array-api-strict, whose creation
    functions default to its CPU device: any array the library creates without
    ``device=x.device`` and then combines with the input raises ``ValueError`` (arrays from
    two devices), as it would with CuPy arrays on a second GPU.  This is how the suite checks,
    without a GPU, that no operation mixes devices.
    """

    _CREATION = ("asarray", "zeros", "ones", "empty", "full", "eye", "arange", "linspace")

    def __init__(self, xp, device_name: str = "device1"):
        self._xp = xp
        self.device = xp.Device(device_name)

    def __getattr__(self, name):
        attr = getattr(self._xp, name)
        if name in self._CREATION:
            def create(*args, **kwargs):
                kwargs.setdefault("device", self.device)
                return attr(*args, **kwargs)
            return create
        return attr

    def __repr__(self):
        return f"OnDevice({self._xp.__name__}, {self.device})"


def _backends():
    import array_api_strict

    names = [("numpy", np), ("array_api_strict", array_api_strict),
             ("array_api_strict_device1", OnDevice(array_api_strict))]
    try:
        import cupy

        if cupy.cuda.runtime.getDeviceCount() > 0:
            names.append(("cupy", cupy))
    except Exception:  # no CuPy, no driver or no device: skip that backend
        pass
    return names


BACKENDS = _backends()


@pytest.fixture(scope="session", params=[m for _, m in BACKENDS], ids=[n for n, _ in BACKENDS])
def xp(request):
    """Array namespace under test: numpy, array_api_strict (on its default device and on a
    second one, :class:`OnDevice`), and cupy when a GPU is present."""
    return request.param


def pytest_addoption(parser):
    parser.addoption("--full", action="store_true", default=False,
                     help="run the slow sweeps (marked slow) too")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--full"):
        return
    skip = pytest.mark.skip(reason="slow sweep: run with --full")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def _np_dtype(dtype) -> np.dtype:
    """NumPy dtype of a NumPy / array-api-strict / CuPy dtype or dtype name."""
    return np.dtype(str(dtype).split(".")[-1])


def rtol_for(dtype, n: int = 1, factor: float = 8.0) -> float:
    """Relative tolerance ``factor * n * eps(dtype)``: rounding of an n-term reduction."""
    return factor * max(n, 1) * float(np.finfo(_np_dtype(dtype)).eps)


def assert_close(actual, desired, *, xp=None, dtype=None, n: int = 1, factor: float = 8.0,
                 rtol: float | None = None, atol: float = 0.0, err_msg: str = "") -> None:
    """Assert ``actual`` equals ``desired`` up to rounding; the one array comparison of the tests.

    In the spirit of SciPy's ``xp_assert_close``, three things are checked first:

    * namespace: ``actual`` belongs to ``xp`` (default: the namespace of
      ``desired``; NumPy for Python scalars), so a function that silently
      returns NumPy for an array-api-strict input fails;
    * dtype: ``actual.dtype`` is ``dtype`` (default: ``desired``'s dtype);
    * shape: ``actual.shape == desired.shape`` (no broadcasting).

    Then, norm-wise in float64,

        max|actual - desired| <= atol + rtol * max|desired|,
        rtol = factor * n * eps(dtype)           (default; :func:`rtol_for`)

    with ``n`` the length of the longest reduction (inner dimension) and
    ``factor`` the operation count and conditioning of the computation, both
    stated by the caller.  Norm-wise rather than entrywise because the error
    bounds of matrix algorithms bound the error relative to the size of the
    whole result (Higham, *Accuracy and Stability of Numerical Algorithms*,
    2nd ed., sections 3.5 and 6.1): an entry near zero carries an error of the
    result's scale.  ``rtol=`` gives a tolerance derived elsewhere (say so
    beside the call); ``atol`` is for quantities known only to an absolute
    accuracy.  NaN anywhere fails.
    """
    from array_api_compat import array_namespace

    from gluon_ref.backend import to_numpy

    def space(a):
        return array_namespace(np.asarray(a) if isinstance(a, (int, float, np.generic)) else a)

    want_space = array_namespace(xp.asarray(0.0)) if xp is not None else space(desired)
    assert space(actual) is want_space, (
        f"namespace: got {space(actual).__name__}, expected {want_space.__name__} {err_msg}")
    a, d = to_numpy(actual), np.asarray(to_numpy(desired))
    want_dtype = _np_dtype(dtype) if dtype is not None else d.dtype
    assert a.dtype == want_dtype, f"dtype: got {a.dtype}, expected {want_dtype} {err_msg}"
    assert a.shape == d.shape, f"shape: got {a.shape}, expected {d.shape} {err_msg}"
    if rtol is None:
        rtol = rtol_for(want_dtype, n, factor)
    a64, d64 = a.astype(np.float64), d.astype(np.float64)
    err = float(np.max(np.abs(a64 - d64), initial=0.0))
    scale = float(np.max(np.abs(d64), initial=0.0))
    bound = atol + rtol * scale
    assert err <= bound, (
        f"max|actual - desired| = {err:.3e} > {bound:.3e} = atol {atol:.1e} + rtol {rtol:.1e} "
        f"* max|desired| {scale:.3e} {err_msg}")


def known_polar_matrix(m: int, n: int, sigma, seed: int = 0):
    """``(G, U, V)`` with ``G = U diag(sigma) V^T`` for Haar ``U`` (m x k) and ``V`` (n x k):
    a matrix whose polar factor ``U V^T`` and singular values are known by construction."""
    from gluon_ref.polar.matrices import haar_orthonormal

    rng = np.random.default_rng(seed)
    k = len(sigma)
    u, v = haar_orthonormal(m, k, rng), haar_orthonormal(n, k, rng)
    return (u * np.asarray(sigma, dtype=float)[None, :]) @ v.T, u, v


@pytest.fixture
def one_blas_thread():
    """One BLAS thread for the test (gluon_ref/smoothness/threads.py says why); the smoothness
    tests use it module-wide via ``pytestmark = pytest.mark.usefixtures("one_blas_thread")``."""
    from gluon_ref.smoothness.threads import single_threaded

    with single_threaded():
        yield
