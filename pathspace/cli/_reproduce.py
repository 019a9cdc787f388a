"""``pathspace reproduce``: the paper's figures from scratch.

Each figure is a function ``reproduce_figN(out_dir, *, quick, seed,
scheduler, progress)`` in ``pathspace.experiments._figN``; its sweep points
run on Dask and are kept under ``OUT/sweeps/``, so an interrupted run
resumes where it stopped.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markdown import Markdown
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from pathspace._errors import PathspaceError
from pathspace.cli._common import console, handle_errors

# figure -> (module, function); a figure whose module is absent is refused
FIGURES: dict[str, tuple[str, str]] = {
    "fig1": ("pathspace.experiments._fig1", "reproduce_fig1"),
    "fig2": ("pathspace.experiments._fig2", "reproduce_fig2"),
    "fig3": ("pathspace.experiments._fig3", "reproduce_fig3"),
}

_ADDRESS = re.compile(r"^([a-z]+://)?[^\s/:]+:\d{1,5}$")


class Figure(StrEnum):
    fig1 = "fig1"
    fig2 = "fig2"
    fig3 = "fig3"
    all = "all"


def _load(figure: str) -> Any:
    """The reproduce function of ``figure``, or a one-line error."""
    module_name, function = FIGURES[figure]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise PathspaceError(
            f"{figure}: not available in this version of pathspace "
            f"({module_name} is missing); available: {', '.join(_available())}"
        ) from None
    return getattr(module, function)


def _available() -> list[str]:
    found = []
    for figure, (module_name, _) in FIGURES.items():
        if importlib.util.find_spec(module_name) is not None:
            found.append(figure)
    return found


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise PathspaceError(f"--out: {str(out)!r} is a file; give a folder")
    parent = out.absolute().parent
    if not parent.is_dir():
        raise PathspaceError(
            f"--out: folder {str(parent)!r} does not exist; create it first"
        )


@handle_errors
def reproduce(
    figure: Annotated[Figure, typer.Argument(help="which figure")],
    out: Annotated[
        Path,
        typer.Option("--out", help="output folder (created; results in it are reused)"),
    ] = Path("figures"),
    quick: Annotated[
        bool,
        typer.Option(
            "--quick", help="fewer points and transitions (seconds, not a minute)"
        ),
    ] = False,
    seed: Annotated[int, typer.Option(help="base seed of the sweeps")] = 0,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Dask scheduler address such as tcp://host:8786 (default: a "
            "local cluster)"
        ),
    ] = None,
) -> None:
    """Reproduce a figure of the paper: PNG, JSON record and Markdown table."""
    if seed < 0:
        raise PathspaceError(f"--seed: expected a non-negative integer, got {seed}")
    if scheduler is not None and not _ADDRESS.match(scheduler):
        raise PathspaceError(
            f"--scheduler: expected an address such as tcp://host:8786, got "
            f"{scheduler!r}"
        )
    _check_out(out)
    names = list(FIGURES) if figure is Figure.all else [figure.value]
    functions = {name: _load(name) for name in names}
    created = not out.exists()
    try:
        _run_all(functions, out, quick, seed, scheduler)
    except PathspaceError:
        if created:
            _remove_empty(out)  # a refused run leaves nothing behind
        raise


def _remove_empty(folder: Path) -> None:
    """Remove ``folder`` if it holds nothing but empty folders."""
    if not folder.is_dir():
        return
    inner = sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True)
    if any(not p.is_dir() for p in inner):
        return
    for p in inner:
        p.rmdir()
    folder.rmdir()


def _run_all(
    functions: dict[str, Any], out: Path, quick: bool, seed: int, scheduler: Any
) -> None:
    for name, run in functions.items():
        start = time.perf_counter()
        with Progress(
            TextColumn(f"[bold]{name}[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("points"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task(name, total=None)

            def progress(
                done: int, total: int, task: Any = task, bar: Progress = bar
            ) -> None:
                bar.update(task, completed=done, total=total)

            run(out, quick=quick, seed=seed, scheduler=scheduler, progress=progress)
        table = out / f"{name}.md"
        if table.exists():
            console.print(Markdown(table.read_text()))
        console.print(
            f"wrote {out / name}.png, .json, .md in {time.perf_counter() - start:.1f} s"
        )


def register(app: typer.Typer) -> None:
    app.command()(reproduce)
