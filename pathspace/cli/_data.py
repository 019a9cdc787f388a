"""Commands on data: ``systems``, ``simulate``, ``record`` and ``measure``."""

from __future__ import annotations

import time
import warnings
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.table import Table

from pathspace._errors import PathspaceError, PathspaceWarning
from pathspace._validation import check_int, check_seed
from pathspace.cli._common import (
    check_output_path,
    console,
    handle_errors,
    write_json,
)


class Scheme(StrEnum):
    euler = "euler"
    heun = "heun"
    exact = "exact"


class Source(StrEnum):
    pendulum = "pendulum"


def systems() -> None:
    """List the named systems, their parameters and what is known exactly."""
    from pathspace.dynamics import SYSTEMS

    table = Table(title="named systems", show_lines=True)
    for col in ("system", "drift", "parameters (default)", "exact"):
        table.add_column(col, overflow="fold")
    for spec in SYSTEMS.values():
        params = "\n".join(f"{p.name}={p.default}  {p.doc}" for p in spec.params)
        table.add_row(spec.name, spec.summary, params, spec.exact)
    console.print(table)


@handle_errors
def simulate(
    system: Annotated[str, typer.Argument(help="a name from `pathspace systems`")],
    out: Annotated[Path, typer.Option("--out", help="output .npz file")],
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="system parameter name=value (repeatable)"),
    ] = None,
    n_paths: Annotated[int, typer.Option(help="independent paths")] = 100,
    n_steps: Annotated[int, typer.Option(help="recorded states per path")] = 10000,
    dt: Annotated[float, typer.Option(help="integration step")] = 0.01,
    seed: Annotated[int, typer.Option(help="noise seed")] = 0,
    scheme: Annotated[Scheme, typer.Option(help="integrator")] = Scheme.euler,
    burn_in: Annotated[int, typer.Option(help="steps discarded first")] = 1000,
    record_every: Annotated[int, typer.Option(help="keep every k-th step")] = 1,
) -> None:
    """Simulate a named system and write a trajectory file."""
    from pathspace.dynamics import LinearDrift, make_system, parse_params
    from pathspace.io import save_trajectories
    from pathspace.simulate import simulate as run

    check_output_path(out, (".npz",), "--out")
    check_int(n_paths, "--n-paths")
    check_int(n_steps, "--n-steps", 2)
    check_int(burn_in, "--burn-in", 0)
    check_int(record_every, "--record-every")
    check_int(seed, "--seed", 0)
    drift = make_system(system, **parse_params(param))
    traj = run(
        drift,
        n_paths,
        n_steps,
        dt,
        seed=seed,
        scheme=scheme.value,
        burn_in=burn_in,
        record_every=record_every,
    )
    save_trajectories(out, traj)
    console.print(f"wrote {out}: z {traj.z.shape}, dt = {traj.dt:g}", soft_wrap=True)
    if scheme is Scheme.euler and isinstance(drift, LinearDrift):
        console.print(
            "note: Euler steps bias the stationary law at order dt times the "
            "drift's rates (the exact values of `pathspace systems` are for "
            "the continuous process); --scheme exact samples this linear "
            "system without that bias",
            soft_wrap=True,
        )


@handle_errors
def record(
    source: Annotated[Source, typer.Argument(help="what to record")],
    out: Annotated[Path, typer.Option("--out", help="output .npz file")],
    n_paths: Annotated[int, typer.Option(help="independent pendulums")] = 64,
    n_steps: Annotated[int, typer.Option(help="recorded states each")] = 5000,
    damping: Annotated[
        float, typer.Option(help="feedback torque per unit angular velocity")
    ] = 0.1,
    torque_noise: Annotated[
        float, typer.Option(help="std of the random torque per step")
    ] = 0.8,
    seed: Annotated[int, typer.Option(help="seed")] = 0,
) -> None:
    """Record trajectories from gymnasium's Pendulum-v1 physics."""
    from pathspace.io import save_trajectories
    from pathspace.io._record import record_pendulum

    check_output_path(out, (".npz",), "--out")
    check_int(n_paths, "--n-paths")
    check_int(n_steps, "--n-steps", 2)
    check_int(seed, "--seed", 0)
    if not np.isfinite(damping) or damping < 0:
        raise PathspaceError(f"--damping: expected a number >= 0, got {damping}")
    if not np.isfinite(torque_noise) or torque_noise <= 0:
        raise PathspaceError(
            f"--torque-noise: expected a number > 0, got {torque_noise}"
        )
    traj = record_pendulum(
        n_paths, n_steps, damping=damping, torque_noise=torque_noise, seed=seed
    )
    save_trajectories(out, traj)
    frac = traj.meta["clipped_torque_fraction"]
    console.print(
        f"wrote {out}: z {traj.z.shape} = (angle from hanging, "
        f"angular velocity), dt = {traj.dt:g}"
    )
    if frac > 0:
        console.print(
            f"note: the environment clipped the torque at +-2 in "
            f"{100 * frac:.2f} % of steps; lower --torque-noise or "
            "--damping to avoid it",
            soft_wrap=True,
        )


def _table(record: dict) -> Table:
    ep = record["entropy_production"]
    table = Table(title=f"pathspace measure: {record['source']}")
    table.add_column("quantity")
    table.add_column("value", overflow="fold")
    table.add_row(
        "paths x steps x dim",
        f"{record['n_paths']} x {record['n_steps']} x {record['dim']}",
    )
    table.add_row("transitions", str(record["n_transitions"]))
    dt = record["dt"]
    table.add_row("dt", f"{dt:g}" + ("" if record["dt_uniform"] else " (mean)"))
    D = np.asarray(record["diffusion"])
    if D.shape[0] <= 3:
        table.add_row("diffusion D", np.array2string(D, precision=4))
    else:
        diag = np.array2string(np.diag(D), precision=3)
        table.add_row("diffusion D (diagonal)", diag)
    low, high = ep["ci95"]
    table.add_row(
        "entropy production",
        f"{ep['value']:.4g} +- {ep['stderr']:.2g}  (95 %: {low:.3g} .. "
        f"{high:.3g}) nats / time",
    )
    table.add_row("  raw, bias removed", f"{ep['raw']:.4g}, {ep['bias']:.3g}")
    table.add_row("  estimator, status", f"{ep['estimator']}, {ep['status']}")
    if "non_normality" in record:
        nn = record["non_normality"]
        table.add_row("non-normality N", f"{nn['value']:.3g} +- {nn['stderr']:.2g}")
    if "locality" in record:
        loc = record["locality"]
        table.add_row(
            "locality epsilon",
            f"{loc['epsilon']:.3g} +- {loc['stderr']:.2g} (lag {loc['lag']})",
        )
    for w in record["warnings"]:
        table.add_row("[yellow]warning[/]", w)
    return table


def _uniform(traj) -> bool:
    """Whether timestamps are equally spaced up to rounding."""
    dt = traj.transitions().dt
    return bool(np.ptp(dt) <= 1e-9 * np.mean(dt))


@handle_errors
def measure(
    file: Annotated[Path, typer.Argument(help=".npz, .npy or .csv trajectories")],
    dt: Annotated[
        float | None, typer.Option(help="sampling interval (required for .npy)")
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="write the record as JSON here")
    ] = None,
    plot: Annotated[
        Path | None, typer.Option(help="draw current over density to this .png")
    ] = None,
    estimator: Annotated[
        str, typer.Option(help="auto, stratonovich, paper, projection or neural")
    ] = "auto",
    locality: Annotated[
        bool, typer.Option("--locality", help="also measure the locality epsilon (P1)")
    ] = False,
    seed: Annotated[int, typer.Option(help="bootstrap seed")] = 0,
) -> None:
    """Measure diffusion, entropy production and non-normality of trajectories."""
    from pathspace.estimators import (
        ESTIMATORS,
        data_non_normality,
        entropy_production,
        estimate_diffusion,
    )
    from pathspace.estimators._assumptions import sampled_scaling
    from pathspace.io import load_trajectories

    check_output_path(json_out, (".json",), "--json")
    check_output_path(plot, (".png", ".pdf", ".svg"), "--plot")
    if estimator not in ESTIMATORS:
        raise PathspaceError(
            f"--estimator: expected one of {', '.join(ESTIMATORS)}, got {estimator!r}"
        )
    check_seed(seed)
    start = time.perf_counter()
    traj = load_trajectories(file, dt=dt)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        D = estimate_diffusion(traj, seed=seed)
        ep = entropy_production(traj, estimator, seed=seed)
        nn = data_non_normality(traj, seed=seed)
        scaling = ep.details.get("diffusive_scaling")
        if scaling is None:  # not checked: the estimate is flagged already
            scaling = sampled_scaling(traj, seed=seed)
        loc = None
        if locality:
            from pathspace.estimators import locality as measure_locality

            loc = measure_locality(traj, seed=seed)
    # our own warnings carry advice; NumPy's (0/0 in empty bins) do not
    messages = [
        str(w.message) for w in caught if issubclass(w.category, PathspaceWarning)
    ]
    cond = np.linalg.cond(D.value)
    if cond > 100:
        messages.append(
            f"the diffusion matrix is nearly singular (condition number "
            f"{cond:.2g}): noise reaches some directions only weakly (as in "
            "an underdamped system whose noise enters the velocity alone), so "
            "the entropy production with all coordinates even is dominated "
            "by them"
        )
    if ep.status != "ok" and not any(m.endswith(ep.message) for m in messages):
        messages.append(ep.message)
    trans = traj.transitions()
    record = {
        "source": str(file),
        "n_paths": traj.n_paths,
        "n_steps": traj.n_steps,
        "dim": traj.dim,
        "n_transitions": len(trans),
        "dt": traj.mean_dt(),
        "dt_uniform": traj.dt is not None or _uniform(traj),
        "diffusion": D.value,
        "diffusion_stderr": D.stderr,
        "diffusive_scaling": scaling,
        "entropy_production": {**ep.to_dict(), "ci95": list(ep.interval())},
        "non_normality": nn.to_dict(),
        "warnings": list(dict.fromkeys(messages)),
    }
    if loc is not None:
        record["locality"] = loc.to_dict() if hasattr(loc, "to_dict") else loc
    if plot is not None:
        from pathspace.experiments._measure_plot import plot_current

        flag = "" if ep.status == "ok" else f"\n[{ep.status}]"
        plot_current(
            traj,
            plot,
            title=f"{Path(file).name}: entropy production "
            f"{ep.value:.3g} +- {ep.stderr:.2g}{flag}",
        )
    record["seconds"] = time.perf_counter() - start
    if json_out is not None:
        write_json(json_out, record)
    console.print(_table(record))
    for path in (json_out, plot):
        if path is not None:
            console.print(f"wrote {path}")


def register(app: typer.Typer) -> None:
    app.command()(systems)
    app.command()(simulate)
    app.command()(record)
    app.command()(measure)
