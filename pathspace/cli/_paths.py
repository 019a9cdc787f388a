"""``pathspace predict`` and ``pathspace plan``: least-action paths with error bands."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import typer
from rich.table import Table

from pathspace._errors import PathspaceError
from pathspace._validation import check_int
from pathspace.cli._common import (
    check_output_path,
    console,
    err_console,
    handle_errors,
    parse_vector,
    write_json,
)
from pathspace.dynamics import make_system, parse_params
from pathspace.paths import PathResult, plan_path, predict_path

_PARAM = typer.Option(None, "--param", "-p", help="System parameter name=value.")
_CONVENTION = typer.Option(
    "stratonovich",
    "--convention",
    help="Discretisation of the action: ito or stratonovich.",
)
_JSON = typer.Option(None, "--json", help="Write the result record as JSON.")
_MAX_ITERATIONS = typer.Option(
    100, "--max-iterations", help="Cap on Newton iterations per start."
)
_GTOL = typer.Option(
    1e-8, "--gtol", help="Stop when the gradient norm of the action is below this."
)
_PLOT = typer.Option(None, "--plot", help="Write a figure (.png, .pdf or .svg).")


def _check_common(
    T: float, n_steps: int, json_out: Path | None, plot: Path | None
) -> None:
    if not np.isfinite(T) or T <= 0:
        raise PathspaceError(f"--T: expected a positive horizon, got {T!r}")
    if n_steps < 2:
        raise PathspaceError(f"--n-steps: expected an integer >= 2, got {n_steps}")
    check_output_path(json_out, (".json",), "--json")
    check_output_path(plot, (".png", ".pdf", ".svg"), "--plot")


def _record(result: PathResult) -> dict:
    return {
        "convention": result.convention,
        "status": result.status,
        "message": result.message,
        "converged": result.converged,
        "action": result.action,
        "grad_norm": result.grad_norm,
        "n_iterations": result.n_iterations,
        "times": result.times,
        "path": result.path,
        "std": result.std,
        "covariance": result.covariance,
    }


def _wrote(*paths: Path | None) -> None:
    for path in paths:
        if path is not None:
            console.print(f"wrote {path}")


def _table(title: str, rows: list[tuple[str, str]]) -> None:
    table = Table(title=title)
    table.add_column("quantity")
    table.add_column("value", justify="right")
    for key, value in rows:
        table.add_row(key, value)
    console.print(table)


def _plot(
    result: PathResult, out: Path, title: str, rollout: np.ndarray | None = None
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = result.path.shape[1]
    fig, axes = plt.subplots(d, 1, figsize=(6, 2.4 * d), sharex=True, squeeze=False)
    for i, ax in enumerate(axes[:, 0]):
        t, z, s = result.times, result.path[:, i], result.std[:, i]
        ax.fill_between(t, z - 2 * s, z + 2 * s, alpha=0.3, label="2 sigma")
        ax.plot(t, z, label="most probable path")
        if rollout is not None:
            ax.plot(t, rollout[:, i], "--", label="rollout")
        ax.set_ylabel(f"z{i}")
    axes[0, 0].set_title(title)
    axes[0, 0].legend(fontsize="small")
    axes[-1, 0].set_xlabel("t")
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)


def _exit_if_not_converged(result: PathResult) -> None:
    """Exit with status 1 (outputs kept, with their status) if Newton stopped
    short: scripts must not mistake an unconverged path for an answer."""
    if not result.converged:
        err_console.print(
            f"[red]error:[/] not converged ({result.status}): {result.message}; "
            "the outputs above carry this status",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)


def _summary(result: PathResult) -> list[tuple[str, str]]:
    return [
        ("status", result.status),
        ("action", f"{result.action:.6g}"),
        ("gradient norm", f"{result.grad_norm:.2e}"),
        ("iterations", str(result.n_iterations)),
        ("final state", ", ".join(f"{v:.4g}" for v in result.path[-1])),
    ] + ([("note", result.message)] if result.message else [])


def register(app: typer.Typer) -> None:
    """Add ``predict`` and ``plan`` to ``app``."""

    @app.command()
    @handle_errors
    def predict(
        system: str = typer.Argument(..., help="Named system (pathspace systems)."),
        param: list[str] = _PARAM,
        z0: str = typer.Option(..., "--z0", help="Initial state, e.g. -1 or 0.5,0."),
        T: float = typer.Option(..., "--T", help="Horizon (time units)."),
        n_steps: int = typer.Option(200, "--n-steps", help="Number of steps."),
        convention: str = _CONVENTION,
        max_iterations: int = _MAX_ITERATIONS,
        gtol: float = _GTOL,
        json_out: Path = _JSON,
        plot: Path = _PLOT,
    ) -> None:
        """Most probable future path from z0, beside the deterministic rollout."""
        _check_common(T, n_steps, json_out, plot)
        drift = make_system(system, **parse_params(param))
        start = parse_vector(z0, "--z0", drift.dim)
        result = predict_path(
            drift,
            start,
            T,
            n_steps,
            convention=convention,
            gtol=gtol,
            max_iterations=check_int(max_iterations, "--max-iterations"),
        )

        record = _record(result) | {"system": system, "rollout": result.rollout}
        if json_out is not None:
            write_json(json_out, record)
        if plot is not None:
            _plot(result, plot, f"{system}: prediction", result.rollout)
        departure = float(np.abs(result.departure).max())
        _table(
            f"predict {system} ({convention})",
            _summary(result) + [("max |path - rollout|", f"{departure:.4g}")],
        )
        _wrote(json_out, plot)
        _exit_if_not_converged(result)

    @app.command()
    @handle_errors
    def plan(
        system: str = typer.Argument(..., help="Named system (pathspace systems)."),
        param: list[str] = _PARAM,
        z0: str = typer.Option(..., "--z0", help="Initial state."),
        zT: str = typer.Option(..., "--zT", help="Target state."),
        T: float = typer.Option(..., "--T", help="Horizon (time units)."),
        n_steps: int = typer.Option(200, "--n-steps", help="Number of steps."),
        convention: str = _CONVENTION,
        max_iterations: int = _MAX_ITERATIONS,
        gtol: float = _GTOL,
        json_out: Path = _JSON,
        plot: Path = _PLOT,
    ) -> None:
        """Least-action plan z0 -> zT with the value -ln p(zT, T | z0)."""
        _check_common(T, n_steps, json_out, plot)
        drift = make_system(system, **parse_params(param))
        start = parse_vector(z0, "--z0", drift.dim)
        target = parse_vector(zT, "--zT", drift.dim)
        result = plan_path(
            drift,
            start,
            target,
            T=T,
            n_steps=n_steps,
            convention=convention,
            gtol=gtol,
            max_iterations=check_int(max_iterations, "--max-iterations"),
        )

        record = _record(result) | {
            "system": system,
            "neg_log_density": result.neg_log_density,
        }
        if json_out is not None:
            write_json(json_out, record)
        if plot is not None:
            _plot(result, plot, f"{system}: plan")
        _table(
            f"plan {system} ({convention})",
            _summary(result) + [("-ln p(zT, T | z0)", f"{result.neg_log_density:.6g}")],
        )
        _wrote(json_out, plot)
        _exit_if_not_converged(result)
