"""Shared plumbing of the command line: one-line errors, JSON, vectors."""

from __future__ import annotations

import functools
import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import typer
from rich.console import Console

from pathspace._errors import PathspaceError, PathspaceWarning
from pathspace.io._atomic import write_atomic

console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str) -> None:
    """Print one line to stderr and exit with status 2 (no traceback)."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def _show_warnings(caught: list[warnings.WarningMessage]) -> None:
    """Print each distinct PathspaceWarning once, as a ``warning:`` line."""
    shown = dict.fromkeys(
        str(w.message) for w in caught if issubclass(w.category, PathspaceWarning)
    )
    for message in shown:
        err_console.print(
            f"[yellow]warning:[/] {message}", highlight=False, soft_wrap=True
        )


def handle_errors(fn: F) -> F:
    """Turn PathspaceError (and friends) into a one-line error and exit 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        caught: list[warnings.WarningMessage] = []
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", PathspaceWarning)
                result = fn(*args, **kwargs)
            _show_warnings(caught)
            return result
        except typer.Exit:
            _show_warnings(caught)
            raise
        except PathspaceError as exc:
            fail(str(exc))
        except NotImplementedError as exc:
            fail(f"not supported: {exc}")
        except (np.linalg.LinAlgError, FloatingPointError, OverflowError) as exc:
            fail(
                f"numerical failure ({type(exc).__name__}: {exc}); an "
                "intermediate overflowed or lost all precision: rescale extreme "
                "inputs or parameters, or check that the system is stable"
            )
        except MemoryError:
            fail(
                "out of memory; ask for a smaller problem (fewer paths, steps, "
                "dimensions or bins)"
            )
        except KeyboardInterrupt:
            fail("interrupted")

    return wrapper  # type: ignore[return-value]


def to_jsonable(obj: Any) -> Any:
    """Convert NumPy/torch values inside ``obj`` to plain JSON types."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if hasattr(obj, "detach"):
        obj = obj.detach().cpu().numpy()
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def write_json(path: Path, record: dict) -> None:
    """Write a record as indented JSON, atomically."""
    text = json.dumps(to_jsonable(record), indent=2, allow_nan=False)
    write_atomic(Path(path), (text + "\n").encode())


def check_output_path(
    path: Path | None, suffixes: tuple[str, ...], option: str
) -> None:
    """Refuse an output path with the wrong suffix or a missing folder."""
    if path is None:
        return
    if path.suffix.lower() not in suffixes:
        raise PathspaceError(
            f"{option}: expected a file ending in {' or '.join(suffixes)}, "
            f"got {str(path)!r}"
        )
    if path.exists() and path.is_dir():
        raise PathspaceError(f"{option}: {str(path)!r} is a folder, not a file")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        raise PathspaceError(
            f"{option}: folder {str(parent)!r} does not exist; create it first"
        )


def parse_vector(text: str, option: str, dim: int | None = None) -> np.ndarray:
    """Parse ``"0.1,-2,3"`` into a float64 vector of the expected length."""
    try:
        values = np.array([float(x) for x in text.split(",")], dtype=np.float64)
    except ValueError:
        raise PathspaceError(
            f"{option}: expected comma-separated numbers such as 0.5,-1, got {text!r}"
        ) from None
    if not np.all(np.isfinite(values)):
        raise PathspaceError(f"{option}: expected finite numbers, got {text!r}")
    if dim is not None and values.size != dim:
        raise PathspaceError(
            f"{option}: expected {dim} number{'s' if dim > 1 else ''} for this "
            f"{dim}-D system, got "
            f"{values.size} ({text!r})"
        )
    return values
