"""Polar methods side by side: ratios to their FLOP floor and to the SVD, Gram vs standard,
stacks, memory, and ``verify`` serial vs ``--jobs 2`` (issue 14).

Usage (the same as ``gluon-ref bench``)::

    python benchmarks/polar_bench.py                       # float32 1024^2, 2048^2, 1024x4096, 4096x1024
    python benchmarks/polar_bench.py --full --out benchmarks/results/DATE-HOST.json

What is measured and how it is timed: :mod:`proofs_check.bench`.  Measured
results live in ``benchmarks/results/`` with their date and machine.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from proofs_check.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
