"""Train the digits MLP (sklearn load_digits, no download) with Adam-like and Muon-like presets.

Model: :class:`gluon_ref.objectives.DigitsMLP` (64 -> hidden tanh -> 10 softmax
cross-entropy, 1438 train / 359 test images), minibatches of 128 from
:class:`gluon_ref.objectives.MinibatchOracle`.  Optimizers are the presets of
:mod:`gluon_ref.optim` in their ecosystems' own forms:

* ``adamw``        AdamW on every layer (the Adam-like preset);
* ``muon+adamw``   Muon (torch.optim.Muon semantics, Newton-Schulz) on the 2-D
                   weights and AdamW on the biases, as Muon is used in practice
                   (the Muon-like preset; Muon accepts 2-D parameters only);
* ``unscion``      unconstrained Scion (uSCG, a Gluon special case) with the
                   layer norms DigitsMLP is posed in: hidden RMS->RMS, output
                   Sign, biases RMS.

The target is a test accuracy of at least ``--target`` (default 0.94) for every
optimizer, in well under a minute on two CPU cores.  The table reports final
training loss, train/test accuracy, wall time and the time ratio to AdamW.
Exit status 1 if a run misses the target.

    python benchmarks/train_digits.py [--steps 600] [--hidden 64] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
import time


from gluon_ref.objectives import DigitsMLP, MinibatchOracle
from gluon_ref.optim import AdamW, Muon, Scion


class Grouped:
    """Different optimizers on disjoint layer groups: ``{group: (optimizer, [layer names])}``."""

    def __init__(self, groups):
        self.groups = groups

    def init(self, params):
        return {g: opt.init({k: params[k] for k in names}) for g, (opt, names) in self.groups.items()}

    def step(self, params, grads, state):
        new_p, new_s = dict(params), {}
        for g, (opt, names) in self.groups.items():
            p, s = opt.step({k: params[k] for k in names}, {k: grads[k] for k in names}, state[g])
            new_p.update(p)
            new_s[g] = s
        return new_p, new_s


def optimizers():
    weights, biases = ["W1", "W2"], ["b1", "b2"]
    return {
        "adamw": AdamW(lr=3e-3, weight_decay=0.0),
        "muon+adamw": Grouped({
            "muon": (Muon(lr=0.02, momentum=0.95, weight_decay=0.0), weights),
            "adamw": (AdamW(lr=3e-3, weight_decay=0.0), biases),
        }),
        "unscion": Scion(constrained=False, assignment="llm", lr=0.05, momentum=0.1,
                         roles={"W1": "hidden", "b1": "bias", "W2": "output", "b2": "bias"},
                         scales={"hidden": 1.0, "output": 50.0, "bias": 0.5}),
    }


def train(model, opt, steps: int, batch: int, seed: int):
    X = model.initial_point(seed)
    oracle = MinibatchOracle(model, batch, seed=seed)
    state = opt.init(X)
    t0 = time.perf_counter()
    for _ in range(steps):
        g = oracle(X)
        X, state = opt.step(X, g, state)
    wall = time.perf_counter() - t0
    return X, wall


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--target", type=float, default=0.94)
    args = ap.parse_args(argv)

    model = DigitsMLP(hidden=args.hidden, seed=args.seed)
    rows = []
    for name, opt in optimizers().items():
        X, wall = train(model, opt, args.steps, args.batch, args.seed)
        rows.append((name, model.value(X), model.accuracy(X, "train"), model.accuracy(X, "test"), wall))
    base = rows[0][4]
    print(f"digits MLP 64-{args.hidden}-10, {model.n_samples} train / {len(model.yte)} test, "
          f"{args.steps} steps of batch {args.batch}, seed {args.seed}")
    print(f"{'optimizer':12s} {'train loss':>10s} {'train acc':>9s} {'test acc':>8s} "
          f"{'time s':>7s} {'time/adamw':>10s}")
    ok = True
    for name, loss, tr, te, wall in rows:
        print(f"{name:12s} {loss:10.4f} {tr:9.3f} {te:8.3f} {wall:7.2f} {wall / base:10.2f}")
        ok &= te >= args.target
    print(f"target test accuracy >= {args.target}: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
