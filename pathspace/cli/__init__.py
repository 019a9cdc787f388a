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


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"pathspace {version('pathspace')}")
        raise typer.Exit()


@app.callback()
def _root(
    show_version: bool = typer.Option(
        False,
        "--version",
        callback=_print_version,
        is_eager=True,
        help="Print the version and exit.",
    ),
) -> None:
    """Path-space statistical physics of world models: simulate, measure
    irreversibility, predict and plan on the Onsager-Machlup action."""


def _register() -> None:
    from pathspace.cli import _data, _paths, _reproduce

    for module in (_data, _paths, _reproduce):
        module.register(app)


_register()


def main() -> None:
    """Entry point: run the app; usage errors become one line and exit 2."""
    import sys

    from pathspace.cli._common import err_console

    def fail(message: str, code: int) -> None:
        err_console.print(
            f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True
        )
        sys.exit(code)

    try:
        code = app(standalone_mode=False)
    except typer.Abort:
        fail("aborted", 1)
    except typer.TyperException as exc:  # usage errors: bad option, value
        message = exc.format_message() if hasattr(exc, "format_message") else exc
        message = " ".join(str(message).replace("Value error, ", "").split())
        if not message.strip():  # no arguments: the help was printed
            sys.exit(getattr(exc, "exit_code", 2))
        ctx = getattr(exc, "ctx", None)
        where = f"pathspace {ctx.info_name}" if ctx and ctx.parent else "pathspace"
        fail(f"{message} (see `{where} --help`)", getattr(exc, "exit_code", 2))
    sys.exit(code if isinstance(code, int) else 0)


__all__ = ["app", "main"]
