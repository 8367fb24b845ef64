"""The sympy proofs are tied to the code: a wrong implemented formula fails "symbolic"."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gluon_ref import bounds
from gluon_ref.optim import stepsizes
from proofs_check import symbolic

PROOFS = [name for name in symbolic.__all__ if name.endswith("_proof")]


@pytest.mark.parametrize("name", PROOFS)
def test_every_proof_holds_and_reports_its_code_comparison(name):
    result = getattr(symbolic, name)()
    assert result.ok, result.detail
    assert "tied to code" in result.detail and "MISMATCH" not in result.detail


def _rate_with_A_instead_of_2A(delta0, K, L0, L1):
    A = float(np.sum(np.asarray(L0) / np.asarray(L1) ** 2))
    r = delta0 / K
    return r + math.sqrt(r * r + A * r)


class _HalfL1Adaptive(stepsizes.Theorem1Adaptive):
    def __call__(self, ctx):
        g = ctx.grad_dual
        return g / (self.L0 + self.L1 / 2 * g)


# (module, attribute, replacement factory taking the original, proof that must fail)
WRONG = [
    (bounds, "theorem1_iterations", lambda f: lambda *a: 3 * f(*a), "iteration_count_proof"),
    (bounds, "theorem1_rate", lambda f: lambda *a: 3 * f(*a), "rate_form_proof"),
    (bounds, "theorem1_rate", lambda f: _rate_with_A_instead_of_2A, "rate_form_proof"),
    (bounds, "theorem1_max_form_iterations", lambda f: lambda *a: 2 * f(*a), "max_form_proof"),
    (bounds, "guaranteed_decrease", lambda f: lambda *a: 2 * f(*a), "optimal_stepsize_proof"),
    (bounds, "theorem1_l1_zero_rate", lambda f: lambda d, K: d / K, "special_cases_proof"),
    (bounds, "theorem2_schedule",
     lambda f: lambda k, t: (np.asarray(t) * (k + 1) ** -0.5, 1 - (k + 1) ** -0.5),
     "theorem2_schedule_proof"),
    (symbolic, "Theorem1Adaptive", lambda f: _HalfL1Adaptive, "optimal_stepsize_proof"),
]


@pytest.mark.parametrize("module, attr, wrong, proof", WRONG,
                         ids=[f"{a}->{p}" for _, a, _, p in WRONG])
def test_a_wrong_implementation_fails_the_symbolic_proof(monkeypatch, module, attr, wrong, proof):
    monkeypatch.setattr(module, attr, wrong(getattr(module, attr)))
    result = getattr(symbolic, proof)()
    assert not result.ok and "MISMATCH" in result.detail
