"""The ``gluon-ref`` command line.

Each subcommand is a module in :mod:`proofs_check.commands` exposing ``HELP``
(one line), ``add_arguments(parser)`` and ``run(args) -> int`` (the exit
status).  Add a subcommand by adding its module name to :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import importlib
import sys

#: subcommand name -> module under proofs_check.commands
COMMANDS: dict[str, str] = {
    "verify": "verify",
    "norms": "norms",
    "equivalence": "equivalence",
    "polar": "polar",
    "certify": "certify",
    "smoothness": "smoothness",
    "bench": "bench",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gluon-ref",
        description="Numerical reference and theory checks for LMO-based optimizers.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(f"proofs_check.commands.{module_name}")
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except BrokenPipeError:
        # the reader went away (`gluon-ref verify --list | head`): stop quietly, as Unix tools do.
        # Point stdout at devnull so the interpreter's final flush cannot raise again.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
