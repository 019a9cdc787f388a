"""The ``pathspace`` command.

Each command group lives in its own module and registers itself on ``app``.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="pathspace",
    help="Path-space statistical physics of world models: simulate, measure "
    "irreversibility, predict and plan on the Onsager-Machlup action.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register() -> None:
    from pathspace.cli import _data, _paths, _reproduce

    for module in (_data, _paths, _reproduce):
        module.register(app)


_register()

__all__ = ["app"]
