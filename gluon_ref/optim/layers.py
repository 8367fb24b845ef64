"""Layers: named parameter blocks, roles, and the input checks every optimizer shares.

Parameters are a mapping ``name -> array`` or a sequence of arrays (then the
names are ``"0"``, ``"1"``, ...); every optimizer in :mod:`gluon_ref.optim`
returns new parameters in the same container type.  Layout follows PyTorch
(docs/theory.md section 1): a weight is ``(d_out, d_in)``, a conv kernel
``(c_out, c_in, k, k)``, a bias a vector.

**Roles** (docs/theory.md section 9, docs/norms.md section 2c).  Scion, unScion and
Gluon assign a norm and a radius to a layer by what it does.  The roles are

=============  ================================================================
``hidden``     2-D weight inside the network (RMS->RMS norm in Scion/Gluon)
``embedding``  2-D token embedding (tied embedding: normalized Sign)
``output``     2-D output head / lm_head / classifier (normalized Sign)
``bias``       any 1-D parameter: biases, gains, BatchNorm biases (BiasRMS)
``conv``       3-D or 4-D convolution kernel (SpectralConv)
=============  ================================================================

:func:`default_role` guesses a role from the name and shape; pass an explicit
``roles`` mapping wherever a guess would be wrong.

**Validation** (DESIGN.md, "Conventions"): every optimizer calls
:func:`check_step_inputs` before it computes anything, so bad input raises a
clear error and no state is produced: names or shapes that do not match the
parameters (the layer, expected and actual shape are named), non-float
dtypes, and non-finite gradients (the layer is named).  Hyperparameters go
through :func:`check_hyper` (negative or NaN values name the parameter).
"""

from __future__ import annotations

import math
from typing import Any, Callable, Mapping, Sequence

from ..backend import check_count, check_finite, check_float_array, namespace

__all__ = [
    "ROLES",
    "ROLE_NORM_RULES",
    "default_role",
    "resolve_roles",
    "as_named",
    "restore",
    "check_params",
    "check_step_inputs",
    "check_hyper",
    "check_count",
    "check_flag",
    "check_betas",
]

ROLES = ("hidden", "embedding", "output", "bias", "conv")

#: Role -> catalogue norm rules of docs/theory.md section 9 (pass one as ``norms=`` to
#: :func:`gluon_ref.optim.gluon_config`).  ``scion_llm``: unScion/Gluon for LLMs
#: (hidden RMS->RMS, tied embedding/output normalized Sign with n = d_in, 1-D BiasRMS);
#: ``scion_cnn``: unScion/Gluon for CNNs (conv SpectralConv, biases BiasRMS, head
#: normalized Sign; a 2-D hidden layer gets RMS->RMS); ``muon``: every 2-D layer
#: Muon-scaled spectral.
ROLE_NORM_RULES: dict[str, dict[str, str]] = {
    "scion_llm": {"hidden": "rms_to_rms", "embedding": "sign", "output": "sign", "bias": "rms",
                  "conv": "spectral_conv"},
    "scion_cnn": {"conv": "spectral_conv", "bias": "rms", "output": "sign", "hidden": "rms_to_rms",
                  "embedding": "sign"},
    "muon": {"hidden": "muon_spectral", "embedding": "muon_spectral", "output": "muon_spectral"},
}

_OUTPUT_KEYS = ("lm_head", "head", "classifier", "unembed", "readout", "output", "logits")
_EMBED_KEYS = ("embed", "wte", "tok_emb", "token")


def default_role(name: str, shape: Sequence[int]) -> str:
    """Guess the role of a layer from its name and shape.

    * ndim <= 1 -> ``bias``; ndim >= 3 -> ``conv``;
    * 2-D whose lower-cased name contains one of ``lm_head, head, classifier,
      unembed, readout, output, logits`` -> ``output``;
    * 2-D whose name contains ``embed, wte, tok_emb, token`` -> ``embedding``;
    * any other 2-D -> ``hidden``.

    A tied embedding/output matrix gets the same norm either way (normalized
    Sign, docs/theory.md section 9), so the order of the two tests only matters for
    radii.
    """
    nd = len(tuple(shape))
    if nd <= 1:
        return "bias"
    if nd >= 3:
        return "conv"
    low = str(name).lower()
    if any(k in low for k in _OUTPUT_KEYS):
        return "output"
    if any(k in low for k in _EMBED_KEYS):
        return "embedding"
    return "hidden"


def resolve_roles(shapes: Mapping[str, tuple[int, ...]],
                  roles: Mapping[str, str] | Callable[[str, tuple], str] | None = None
                  ) -> dict[str, str]:
    """Role of every layer: ``roles[name]`` when given, else :func:`default_role`.

    ``roles`` may also be a callable ``(name, shape) -> role``.  Unknown role
    names and keys that are not layers raise ``ValueError``.
    """
    out = {}
    if isinstance(roles, Mapping):
        extra = set(roles) - set(shapes)
        if extra:
            raise ValueError(f"roles given for unknown layers {sorted(extra)}; "
                             f"layers are {sorted(shapes)}")
    for name, shape in shapes.items():
        if roles is None:
            role = default_role(name, shape)
        elif isinstance(roles, Mapping):
            role = roles.get(name) or default_role(name, shape)
        else:
            role = roles(name, shape)
        if role not in ROLES:
            raise ValueError(f"layer {name!r}: unknown role {role!r}; valid roles: {', '.join(ROLES)}")
        out[name] = role
    return out


def as_named(params: Mapping[str, Any] | Sequence[Any], what: str = "params"
             ) -> tuple[dict[str, Any], bool]:
    """``(dict name -> array, was_sequence)``; sequences get names ``"0", "1", ...``."""
    if isinstance(params, Mapping):
        named = {}
        for key, value in params.items():
            if not isinstance(key, str):
                raise TypeError(f"{what}: layer names must be strings, got {key!r}")
            named[key] = value
        return named, False
    if isinstance(params, (list, tuple)):
        return {str(i): v for i, v in enumerate(params)}, True
    raise TypeError(f"{what} must be a mapping name -> array or a list/tuple of arrays, "
                    f"got {type(params).__name__}")


def restore(named: Mapping[str, Any], was_sequence: bool):
    """Inverse of :func:`as_named`: a list in name order ``0..p-1``, or a dict."""
    if was_sequence:
        return [named[str(i)] for i in range(len(named))]
    return dict(named)


def check_params(params: Mapping[str, Any] | Sequence[Any]) -> tuple[dict[str, Any], bool]:
    """Named parameters after checking each is a finite real float array with no empty axis."""
    named, seq = as_named(params, "params")
    if not named:
        raise ValueError("params is empty: an optimizer needs at least one layer")
    for name, x in named.items():
        check_float_array(x, f"parameter {name!r}")
        if any(int(d) == 0 for d in x.shape):
            raise ValueError(f"parameter {name!r} has an empty dimension: shape {tuple(x.shape)}")
        check_finite(x, f"parameter {name!r}")
    return named, seq


def check_step_inputs(params, grads, what: str = "grads", expected_names=None
                      ) -> tuple[dict[str, Any], dict[str, Any], bool]:
    """Validate ``params`` and ``grads`` together, before any computation.

    Returns ``(named_params, named_grads, was_sequence)``.  Raises

    * ``ValueError`` if the layer names differ (missing and unexpected names
      listed), if a shape differs (layer, expected and actual shape named), or
      if a gradient has NaN/inf entries (layer named);
    * ``TypeError`` for non-float dtypes or a different array library;
    * ``ValueError`` if ``expected_names`` (the layers an optimizer state was
      built for) differ from the parameters' names.
    """
    named_p, seq = check_params(params)
    named_g, _ = as_named(grads, what)
    if expected_names is not None and set(expected_names) != set(named_p):
        raise ValueError(
            f"params do not match the optimizer state: missing {sorted(set(expected_names) - set(named_p))}, "
            f"unexpected {sorted(set(named_p) - set(expected_names))}")
    missing = sorted(set(named_p) - set(named_g))
    extra = sorted(set(named_g) - set(named_p))
    if missing or extra:
        raise ValueError(f"{what} do not match the parameters: missing layers {missing}, "
                         f"unexpected layers {extra}")
    for name, x in named_p.items():
        g = named_g[name]
        check_float_array(g, f"{what}[{name!r}]")
        if tuple(g.shape) != tuple(x.shape):
            raise ValueError(f"{what}[{name!r}] has shape {tuple(g.shape)}, expected "
                             f"{tuple(x.shape)} (the parameter's shape)")
        if g.dtype != x.dtype:
            raise TypeError(f"{what}[{name!r}] has dtype {g.dtype}, the parameter has {x.dtype}")
        try:
            namespace(x, g)
        except TypeError as exc:
            raise TypeError(f"{what}[{name!r}] and its parameter come from different array "
                            "libraries") from exc
        check_finite(g, f"{what}[{name!r}] (layer {name!r})")
    return named_p, {n: named_g[n] for n in named_p}, seq


def check_hyper(name: str, value, *, low: float = 0.0, high: float | None = None,
                low_open: bool = False, high_open: bool = False) -> float:
    """``float(value)`` after checking it is finite and in ``[low, high]`` (ends open if asked).

    Raises ``ValueError`` naming the hyperparameter for NaN, inf, negative or
    out-of-range values, and ``TypeError`` for non-numbers.
    """
    # float("0.1") would succeed and leave a string in the optimizer, failing only at step time
    if isinstance(value, (bool, str, bytes)):
        raise TypeError(f"hyperparameter {name} must be a real number, got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"hyperparameter {name} must be a real number, got {value!r}") from exc
    if not math.isfinite(v):
        raise ValueError(f"hyperparameter {name} must be finite, got {value!r}")
    lo_bad = v <= low if low_open else v < low
    hi_bad = high is not None and (v >= high if high_open else v > high)
    if lo_bad or hi_bad:
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        raise ValueError(f"hyperparameter {name} must lie in {lo}{low}, "
                         f"{'inf' if high is None else high}{hi}, got {value!r}")
    return v


def check_flag(name: str, value) -> bool:
    """``value`` if it is a bool (or NumPy bool); ``TypeError`` naming ``name`` otherwise.

    A truthy string such as ``nesterov='no'`` would otherwise switch the option on.
    """
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return bool(value)
    raise TypeError(f"hyperparameter {name} must be True or False, got {value!r}")


def check_betas(name: str, betas, count: int = 2) -> tuple[float, ...]:
    """A tuple of ``count`` momentum coefficients, each in ``[0, 1)``."""
    try:
        vals = tuple(betas)
    except TypeError as exc:
        raise TypeError(f"hyperparameter {name} must be a tuple of {count} numbers") from exc
    if len(vals) != count:
        raise ValueError(f"hyperparameter {name} needs {count} values, got {len(vals)}")
    return tuple(check_hyper(f"{name}[{i}]", b, low=0.0, high=1.0, high_open=True)
                 for i, b in enumerate(vals))
