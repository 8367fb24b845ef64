"""argparse types shared by the subcommands: each refuses a bad value with a message naming it."""

from __future__ import annotations

import argparse


def _integer(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{what} must be an integer, got {text!r}") from None


def seed_arg(text: str) -> int:
    """A seed for ``numpy.random.default_rng``: an integer >= 0 (NumPy refuses negative seeds)."""
    value = _integer(text, "the seed")
    if value < 0:
        raise argparse.ArgumentTypeError(f"the seed must be >= 0 (numpy.random seeds are "
                                         f"non-negative), got {value}")
    return value


def positive_int(text: str) -> int:
    """An integer >= 1 (counts of trials, steps, repeats)."""
    value = _integer(text, "the value")
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {value}")
    return value


def nonneg_int(text: str) -> int:
    """An integer >= 0 (0 switches the thing off)."""
    value = _integer(text, "the value")
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {value}")
    return value
