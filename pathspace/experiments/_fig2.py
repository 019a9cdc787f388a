"""Fig. 2 of the paper: query-key asymmetry is acquired by training.

Data (Sec. VII.3): the rotating Ornstein-Uhlenbeck process
``dz = (-a z + omega R z) dt + sqrt(2 D) dW`` with ``a = 0.4`` and
``D = 0.25``, sampled exactly every ``dt = 0.05``; its entropy production is
``2 omega^2 / a``, 5.0 at the circulating example ``omega = 1`` (the value
the paper's intervention starts from) and 0 for relaxational data
(``omega = 0``).

Model (:class:`~pathspace.models.AttentionWorldModel`): 16 value-tied
memory slots on a ring of radius 3 (3.8 stationary standard deviations, so
the ring spans the data and the softmax stays close to its linear regime
there: on a ring of radius 2 the saturating readout rotates about 1 % too
slowly and relaxes 2 % too fast, which costs 4 % of entropy production),
logits ``z^T M m_j / sqrt(2)`` with ``M = W_Q^T W_K`` learned from
``W_Q = W_K = 0.5 I`` (``Q = 0``); learned ``gamma``, ``beta`` and ``D``.
The slots stay fixed: with learnable slots an elliptical ring and an
anisotropic ``M_S`` give the same drift, and that unidentified anisotropy
survives symmetrisation as the state-dependent term ``[C, M_S]`` of
Eq. 22 (non-normality then falls only about 2-fold).
Training: Gaussian one-step NLL, full batch of 2 x 10^5 transitions, Adam
with learning rate 0.02 for 300 steps, in float32.

Measurement: the trained model's own one-step transition (Euler at the
training ``dt`` with its learned ``D``) is simulated from the origin after a
burn-in of 15 time units, 2 x 10^6 transitions, and its entropy production
is measured blindly with the debiased grid estimator. Non-normality
``N = < ||[J, J^T]||_F >`` (Eq. 29) averages the model's analytic Jacobian
over thinned stationary samples. The excess loss is the mean per-transition
NLL of the symmetrised model minus the trained one on fresh held-out data
(paired), with a 95 % interval from the spread of the per-path means.

Every point of the ``omega`` sweep trains (or resumes) its model with
checkpoints under ``OUT/models/`` and runs as one task of
:func:`~pathspace.experiments.run_sweep` (results under ``OUT/sweeps/``);
the same task also computes the rollouts of Fig. 3, so either figure reuses
the other's work.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from pathspace.estimators import drift_non_normality, entropy_production, grid_fields
from pathspace.experiments._sweep import (
    check_figure_args,
    derive_seed,
    run_sweep,
    write_text,
)
from pathspace.models import (
    AttentionWorldModel,
    TrainingConfig,
    TransitionData,
    load_model,
    rotating_ou_mean,
    sample_rotating_ou,
    train,
)
from pathspace.simulate import Trajectories, simulate

__all__ = ["fig2_point", "reproduce_fig2"]

_log = logging.getLogger(__name__)
_log.addHandler(logging.NullHandler())

A = 0.4
DIFFUSION = 0.25
DT = 0.05
OMEGA_CIRCULATING = 1.0
MODEL = {
    "dim": 2,
    "n_slots": 16,
    "slot_radius": 3.0,
    "qk_scale": 0.5,
    "gamma": 1.0,
    "beta": 1.0,
    "diffusion": 0.5,
    "learn_memory": False,
    "dtype": "float32",
}
_LR = 0.02
_BURN_IN = 300  # steps of DT: 15 time units, six relaxation times 1 / a
_THIN = 10  # keep every 10th simulated state for N (about one 0.5 time unit)
_N_STATES = 20_000
_CURRENT_BINS = 25
_CURRENT_MIN_COUNT = 100
_CURRENT_PATHS = 200
_EXAMPLE_START = (1.5, 0.0)


@dataclass(frozen=True)
class _Mode:
    """Sizes of one run of Figs. 2 and 3."""

    omegas: tuple[float, ...]
    n_paths: int  # training (and held-out) data: paths ...
    n_steps: int  # ... of this many states
    train_steps: int
    measure_paths: int
    measure_steps: int
    snapshot_steps: tuple[int, ...]
    snapshot_measure_steps: int
    n_starts: int  # rollout starting states (Fig. 3)
    horizon_steps: int
    n_boot: int


_FULL = _Mode(
    omegas=(0.0, 0.25, 0.5, 0.75, 1.0, 1.25),
    n_paths=200,
    n_steps=1001,
    train_steps=300,
    measure_paths=1000,
    measure_steps=2000,
    snapshot_steps=(0, 5, 10, 20, 30, 40, 60, 80, 100, 150, 200, 300),
    snapshot_measure_steps=1000,
    n_starts=1000,
    horizon_steps=100,
    n_boot=100,
)
_QUICK = _Mode(
    omegas=(0.0, 0.5, 1.0),
    n_paths=100,
    n_steps=501,
    train_steps=150,
    measure_paths=500,
    measure_steps=1000,
    snapshot_steps=(0, 10, 25, 50, 100, 150),
    snapshot_measure_steps=500,
    n_starts=500,
    horizon_steps=100,
    n_boot=50,
)


def mode_settings(quick: bool) -> _Mode:
    """The sizes used by ``quick`` or full runs."""
    return _QUICK if quick else _FULL


def _fit(point: dict) -> tuple[AttentionWorldModel, dict[str, list]]:
    """Train (or resume, or load) the model of one point."""
    seed = int(point["seed"])
    traj = sample_rotating_ou(
        A,
        point["omega"],
        DIFFUSION,
        DT,
        point["n_paths"],
        point["n_steps"],
        seed=derive_seed(seed, "train"),
    )
    data = TransitionData.from_trajectories(traj)
    config = TrainingConfig(
        n_steps=point["train_steps"],
        lr=_LR,
        seed=derive_seed(seed, "init"),
        log_every=5,
        checkpoint_every=50,
        snapshot_steps=point["snapshot_steps"],
    )
    model = AttentionWorldModel(**MODEL)
    result = train(model, data, config, checkpoint_dir=point["checkpoint_dir"])
    return result.model, result.history


def _measure(
    model: AttentionWorldModel, n_paths: int, n_steps: int, seed: int, n_boot: int
) -> tuple[dict[str, Any], Trajectories]:
    """Simulate the model's own transitions and measure them blindly."""
    drift = model.as_drift()
    traj = simulate(
        drift, n_paths, n_steps, DT, seed=derive_seed(seed, "sim"), burn_in=_BURN_IN
    )
    est = entropy_production(
        traj, "stratonovich", n_boot=n_boot, seed=derive_seed(seed, "boot")
    )
    states = traj.z[:, ::_THIN].reshape(-1, 2)[:_N_STATES]
    N = drift_non_normality(drift, states)
    return {
        "sigma": est.value,
        "sigma_stderr": est.stderr,
        "status": est.status,
        "N": N.value,
        "N_stderr": N.stderr,
    }, traj


def _excess_loss(
    model: AttentionWorldModel, twin: AttentionWorldModel, point: dict
) -> dict[str, Any]:
    """Held-out NLL of ``twin`` minus that of ``model``, paired per path."""
    traj = sample_rotating_ou(
        A,
        point["omega"],
        DIFFUSION,
        DT,
        point["n_paths"],
        point["n_steps"],
        seed=derive_seed(int(point["seed"]), "test"),
    )
    data = TransitionData.from_trajectories(traj, dtype=torch.float64)
    with torch.no_grad():
        base = copy.deepcopy(model).double().nll(data.start, data.end, DT)
        other = copy.deepcopy(twin).double().nll(data.start, data.end, DT)
    diff = (other - base).numpy().reshape(point["n_paths"], -1).mean(axis=1)
    mean = float(diff.mean())
    se = float(diff.std(ddof=1) / np.sqrt(diff.size))
    return {
        "excess": mean,
        "stderr": se,
        "ci": [mean - 1.96 * se, mean + 1.96 * se],
        "loss_trained": float(base.mean()),
        "loss_symmetrized": float(other.mean()),
    }


def _rollout_errors(
    model: AttentionWorldModel, twin: AttentionWorldModel, point: dict
) -> dict[str, Any]:
    """RMS error of deterministic rollouts against ``exp(W_omega h) z``."""
    rng = np.random.default_rng(derive_seed(int(point["seed"]), "starts"))
    z0 = rng.normal(0.0, np.sqrt(DIFFUSION / A), size=(point["n_starts"], 2))
    K = point["horizon_steps"]
    h = DT * np.arange(K + 1)
    truth = rotating_ou_mean(z0, h, A, point["omega"])
    out: dict[str, Any] = {"horizon": h}
    for key, m in (("trained", model), ("symmetrized", twin)):
        path = m.rollout(z0, K, DT)
        err = np.linalg.norm(path - truth, axis=-1)
        out[key] = np.sqrt((err**2).mean(axis=0))
    example = np.array([_EXAMPLE_START])
    out["example"] = {
        "truth": rotating_ou_mean(example, h, A, point["omega"])[0],
        "trained": model.rollout(example, K, DT)[0],
        "symmetrized": twin.rollout(example, K, DT)[0],
    }
    return out


def _current_field(traj: Trajectories) -> dict[str, Any]:
    """Binned probability current and density (for panel f)."""
    sub = Trajectories(traj.z[:_CURRENT_PATHS], dt=traj.dt)
    radius = float(np.quantile(np.abs(sub.z[:, ::10]), 0.999))
    fields = grid_fields(
        sub,
        bins=_CURRENT_BINS,
        bounds=[(-radius, radius)] * 2,
        min_count=_CURRENT_MIN_COUNT,
    )
    return {
        "x": fields.grid.centers[0],
        "y": fields.grid.centers[1],
        "density": fields.density,
        "current": fields.current,
        "counts": fields.counts,
    }


def _curve(point: dict, history: dict[str, list]) -> dict[str, Any]:
    """Entropy production of the snapshots taken during training."""
    directory = Path(point["checkpoint_dir"])
    seed = int(point["seed"])
    steps, sigma, stderr, MA = [], [], [], []
    for step in point["snapshot_steps"]:
        snap = load_model(directory / f"snapshot-{step:06d}.safetensors")
        measured, _ = _measure(
            snap,
            point["measure_paths"],
            point["snapshot_measure_steps"],
            derive_seed(seed, "snapshot", step),
            point["n_boot"],
        )
        steps.append(step)
        sigma.append(measured["sigma"])
        stderr.append(measured["sigma_stderr"])
        MA.append(snap.asymmetry_norm())
    return {
        "step": steps,
        "sigma": sigma,
        "sigma_stderr": stderr,
        "MA_norm": MA,
        "history": {k: history[k] for k in ("step", "loss", "MA_norm", "asymmetry")},
    }


def fig2_point(point: dict) -> dict:
    """Train, measure and intervene on the model of one ``omega``.

    Parameters
    ----------
    point : dict
        ``omega``, the data sizes ``n_paths`` and ``n_steps``,
        ``train_steps``, ``snapshot_steps`` (empty except for the
        circulating example), ``measure_paths``, ``measure_steps``,
        ``snapshot_measure_steps``, ``n_starts``, ``horizon_steps``,
        ``n_boot``, ``checkpoint_dir`` and ``seed``.

    Returns
    -------
    dict
        ``exact`` (``2 omega^2 / a``); ``trained`` and ``symmetrized``
        measurements (``sigma``, ``sigma_stderr``, ``N``, ``N_stderr``);
        ``MA_norm`` and ``asymmetry`` of the learned ``M``; ``excess_loss``;
        ``rollout`` (Fig. 3); the learned ``parameters``; and, with
        snapshots, the training ``curve`` and the ``current_field``.
    """
    model, history = _fit(point)
    twin = model.symmetrized()
    seed = int(point["seed"])
    trained, traj = _measure(
        model,
        point["measure_paths"],
        point["measure_steps"],
        derive_seed(seed, "trained"),
        point["n_boot"],
    )
    symmetrized, _ = _measure(
        twin,
        point["measure_paths"],
        point["measure_steps"],
        derive_seed(seed, "symmetrized"),
        point["n_boot"],
    )
    p = model.parameters_numpy()
    M = p["M"]
    out = {
        "omega": point["omega"],
        "exact": 2.0 * point["omega"] ** 2 / A,
        "trained": trained,
        "symmetrized": symmetrized,
        "MA_norm": model.asymmetry_norm(),
        "asymmetry": model.asymmetry_norm() / float(np.linalg.norm(M)),
        "excess_loss": _excess_loss(model, twin, point),
        "rollout": _rollout_errors(model, twin, point),
        "parameters": p,
        "final_loss": history["loss"][-1],
        "n_transitions": (point["n_paths"] * (point["n_steps"] - 1)),
    }
    if point["snapshot_steps"]:
        out["curve"] = _curve(point, history)
        out["current_field"] = _current_field(traj)
    return out


def sweep_points(out: Path, quick: bool, seed: int) -> list[dict]:
    """The points of the ``omega`` sweep shared by Figs. 2 and 3."""
    mode = mode_settings(quick)
    tag = "quick" if quick else "full"
    points = []
    for omega in mode.omegas:
        circulating = omega == OMEGA_CIRCULATING
        point_seed = derive_seed(seed, "fig2", float(omega))
        folder = out / "models" / f"fig2-{tag}-seed{seed}-omega{omega:g}"
        points.append(
            {
                "figure": "fig2",
                "omega": float(omega),
                "n_paths": mode.n_paths,
                "n_steps": mode.n_steps,
                "train_steps": mode.train_steps,
                "snapshot_steps": list(mode.snapshot_steps) if circulating else [],
                "measure_paths": mode.measure_paths,
                "measure_steps": mode.measure_steps,
                "snapshot_measure_steps": mode.snapshot_measure_steps,
                "n_starts": mode.n_starts,
                "horizon_steps": mode.horizon_steps,
                "n_boot": mode.n_boot,
                "checkpoint_dir": str(folder.absolute()),
                "seed": point_seed,
            }
        )
    return points


def run_fig2_sweep(
    out: Path,
    quick: bool,
    seed: int,
    scheduler: str | None,
    progress: Callable[[int, int], Any] | None,
) -> tuple[list[dict], list[dict]]:
    """Run (or reload) the ``omega`` sweep; returns points and results."""
    points = sweep_points(out, quick, seed)
    results = run_sweep(
        fig2_point,
        points,
        out / "sweeps",
        name="fig2",
        scheduler=scheduler,
        progress=progress,
    )
    return points, results


def collapse_factor(before: float, after: float, after_stderr: float) -> float:
    """Conservative collapse ``before / (|after| + 2 stderr_after)``."""
    return float(before / (abs(after) + 2.0 * after_stderr))


def _collect(results: list[dict]) -> dict[str, Any]:
    by_omega = {r["omega"]: r for r in results}
    main, relax = by_omega[OMEGA_CIRCULATING], by_omega[0.0]
    curve = main["curve"]
    sweep = {
        "omega": [r["omega"] for r in results],
        "exact": [r["exact"] for r in results],
        "measured": [r["trained"]["sigma"] for r in results],
        "stderr": [r["trained"]["sigma_stderr"] for r in results],
        "symmetrized": [r["symmetrized"]["sigma"] for r in results],
        "symmetrized_stderr": [r["symmetrized"]["sigma_stderr"] for r in results],
        "MA_norm": [r["MA_norm"] for r in results],
        "asymmetry": [r["asymmetry"] for r in results],
        "non_normality": [r["trained"]["N"] for r in results],
        "non_normality_symmetrized": [r["symmetrized"]["N"] for r in results],
    }
    before, after = main["trained"], main["symmetrized"]
    intervention = {
        "omega": OMEGA_CIRCULATING,
        "exact": main["exact"],
        "sigma_before": before["sigma"],
        "sigma_before_stderr": before["sigma_stderr"],
        "sigma_after": after["sigma"],
        "sigma_after_stderr": after["sigma_stderr"],
        "N_before": before["N"],
        "N_before_stderr": before["N_stderr"],
        "N_after": after["N"],
        "N_after_stderr": after["N_stderr"],
        "sigma_collapse": collapse_factor(
            before["sigma"], after["sigma"], after["sigma_stderr"]
        ),
        "N_collapse": collapse_factor(before["N"], after["N"], after["N_stderr"]),
    }
    excess = {
        "circulating": main["excess_loss"]["excess"],
        "circulating_ci": main["excess_loss"]["ci"],
        "circulating_stderr": main["excess_loss"]["stderr"],
        "relaxational": relax["excess_loss"]["excess"],
        "relaxational_ci": relax["excess_loss"]["ci"],
        "relaxational_stderr": relax["excess_loss"]["stderr"],
        "units": "nats per transition",
    }
    training = {
        "step": curve["step"],
        "MA_norm": curve["MA_norm"],
        "sigma": curve["sigma"],
        "sigma_stderr": curve["sigma_stderr"],
        "history": curve["history"],
    }
    return {
        "training": training,
        "sweep": sweep,
        "intervention": intervention,
        "excess_loss": excess,
    }


def _fmt(value: float, stderr: float | None = None) -> str:
    if stderr is None:
        return f"{value:.3g}" if abs(value) >= 0.01 else f"{value:.2e}"
    return f"{value:.3f} +- {stderr:.3f}"


def fig2_table(record: dict[str, Any]) -> str:
    """Markdown table of the paper's statements beside our numbers."""
    tr, sw = record["training"], record["sweep"]
    inter, ex = record["intervention"], record["excess_loss"]
    k100 = int(np.argmin(np.abs(np.asarray(tr["step"]) - 100)))
    rows = [
        (
            "M_A norm and sigma acquired within ~100 steps",
            "yes",
            f"step {tr['step'][k100]}: norm of M_A = {tr['MA_norm'][k100]:.2f}, "
            f"sigma = {_fmt(tr['sigma'][k100], tr['sigma_stderr'][k100])} "
            f"(final {_fmt(tr['sigma'][-1], tr['sigma_stderr'][-1])})",
        ),
    ]
    for omega, exact, meas, se in zip(
        sw["omega"], sw["exact"], sw["measured"], sw["stderr"], strict=True
    ):
        rows.append(
            (
                f"sigma at omega = {omega:g} (2 omega^2 / a = {exact:.3g})",
                "reproduces 2 omega^2 / a",
                _fmt(meas, se),
            )
        )
    rows += [
        (
            "sigma before -> after symmetrisation",
            "5.0 -> 0.3",
            f"{_fmt(inter['sigma_before'], inter['sigma_before_stderr'])} -> "
            f"{_fmt(inter['sigma_after'], inter['sigma_after_stderr'])} "
            f"(>= {inter['sigma_collapse']:.0f}x)",
        ),
        (
            "N before -> after symmetrisation",
            "0.8 -> 0.06",
            f"{_fmt(inter['N_before'])} -> {_fmt(inter['N_after'])} "
            f"(>= {inter['N_collapse']:.0f}x)",
        ),
        (
            "excess loss, circulating (nats/transition)",
            "> 0",
            f"{ex['circulating']:.4f} [{ex['circulating_ci'][0]:.4f}, "
            f"{ex['circulating_ci'][1]:.4f}]",
        ),
        (
            "excess loss, relaxational (nats/transition)",
            "~ 0",
            f"{ex['relaxational']:.2e} [{ex['relaxational_ci'][0]:.2e}, "
            f"{ex['relaxational_ci'][1]:.2e}]",
        ),
    ]
    header = "| quantity | paper | ours |\n|---|---|---|\n"
    body = "".join(f"| {' | '.join(r)} |\n" for r in rows)
    notes = (
        "\nEntropy production in nats per unit time, +- one bootstrap "
        "standard error; collapse factors are before / (|after| + 2 "
        "stderr_after); loss intervals are 95 % over held-out paths.\n"
    )
    return header + body + notes


def _figure(record: dict[str, Any], field: dict[str, Any]):
    from matplotlib.figure import Figure

    from pathspace.experiments._plots import (
        OURS_COLOR,
        current_streamlines,
        panel_label,
    )

    fig = Figure(figsize=(13, 7.5), layout="constrained")
    axes = fig.subplots(2, 3)
    ax_a, ax_b, ax_c = axes[0]
    ax_d, ax_e, ax_f = axes[1]
    tr, sw = record["training"], record["sweep"]
    inter, ex = record["intervention"], record["excess_loss"]

    ax_a.errorbar(
        tr["step"],
        tr["sigma"],
        yerr=tr["sigma_stderr"],
        fmt="o-",
        color=OURS_COLOR,
        ms=4,
        label=r"measured $\dot\Sigma$",
    )
    ax_a.axhline(inter["exact"], color="k", lw=0.8, ls=":", label=r"data $2\omega^2/a$")
    twin = ax_a.twinx()
    twin.plot(
        tr["history"]["step"],
        tr["history"]["MA_norm"],
        "--",
        color="tab:red",
        label=r"$\|M_A\|$",
    )
    twin.set_ylabel(r"$\|M_A\|_F$", color="tab:red")
    ax_a.set_xlabel("training step")
    ax_a.set_ylabel(r"entropy production $\dot\Sigma$")
    ax_a.set_title(
        rf"training from $W_Q = W_K$, $\omega = {inter['omega']:g}$", fontsize=9
    )
    handles = ax_a.get_legend_handles_labels()
    extra = twin.get_legend_handles_labels()
    ax_a.legend(
        handles[0] + extra[0], handles[1] + extra[1], fontsize=7, loc="lower right"
    )

    omega = np.linspace(0, max(sw["omega"]), 200)
    ax_b.plot(omega, 2 * omega**2 / A, color="k", lw=1.2, label=r"true $2\omega^2/a$")
    ax_b.errorbar(
        sw["omega"],
        sw["measured"],
        yerr=sw["stderr"],
        fmt="o",
        color=OURS_COLOR,
        ms=5,
        capsize=3,
        label="trained model",
    )
    ax_b.set_xlabel(r"data rotation $\omega$")
    ax_b.set_ylabel(r"entropy production $\dot\Sigma$")
    ax_b.legend(fontsize=7)

    ax_c.plot(sw["omega"], sw["MA_norm"], "o-", color="tab:red", label=r"$\|M_A\|_F$")
    ax_c.set_xlabel(r"data rotation $\omega$")
    ax_c.set_ylabel(r"acquired asymmetry $\|M_A\|_F$", color="tab:red")
    right = ax_c.twinx()
    right.plot(
        sw["omega"],
        sw["non_normality"],
        "s--",
        color="tab:green",
        label=r"$\mathcal{N}$",
    )
    right.set_ylabel(r"non-normality $\mathcal{N} = \|[J, J^T]\|_F$", color="tab:green")

    x = np.arange(2)
    ax_d.bar(
        x,
        [inter["sigma_before"], inter["sigma_after"]],
        yerr=[inter["sigma_before_stderr"], inter["sigma_after_stderr"]],
        color=[OURS_COLOR, "0.6"],
        capsize=3,
    )
    ax_d.set_xticks(x, ["trained", r"symmetrised $M_S$"])
    ax_d.set_ylabel(r"entropy production $\dot\Sigma$")
    ax_d.set_title(
        rf"$\mathcal{{N}}$: {inter['N_before']:.3g} $\to$ "
        rf"{inter['N_after']:.2g}",
        fontsize=9,
    )

    values = [ex["circulating"], ex["relaxational"]]
    lows = [
        v - ci[0]
        for v, ci in zip(
            values, (ex["circulating_ci"], ex["relaxational_ci"]), strict=True
        )
    ]
    ax_e.bar(x, values, yerr=lows, color=["tab:red", "tab:blue"], capsize=4)
    ax_e.axhline(0.0, color="k", lw=0.6)
    ax_e.set_xticks(
        x, [rf"circulating $\omega = {inter['omega']:g}$", r"relaxational $\omega = 0$"]
    )
    ax_e.set_ylabel("excess one-step NLL after symmetrising (nats)")

    current_streamlines(ax_f, field, min_count=_CURRENT_MIN_COUNT)
    ax_f.set_title(
        rf"trained model's current, $\dot\Sigma = "
        rf"{inter['sigma_before']:.2f}$",
        fontsize=9,
    )

    for ax, label in zip(axes.ravel(), "abcdef", strict=True):
        panel_label(ax, label)
    return fig


def reproduce_fig2(
    out_dir: str | os.PathLike,
    *,
    quick: bool = False,
    seed: int = 0,
    scheduler: str | None = None,
    progress: Callable[[int, int], Any] | None = None,
) -> dict[str, Any]:
    """Reproduce Fig. 2: acquisition, sweep, intervention, excess loss, current.

    Parameters
    ----------
    out_dir : path
        Receives ``fig2.png``, ``fig2.json`` and ``fig2.md``; model
        checkpoints go under ``models/`` and the per-point results under
        ``sweeps/fig2/`` (both reused on a re-run, and by Fig. 3).
    quick : bool
        Three values of ``omega``, 5 x 10^4 training transitions and 150
        steps instead of six, 2 x 10^5 and 300; measurements on
        5 x 10^5 instead of 2 x 10^6 transitions.
    seed : int
        Base seed; every point derives its own (:func:`derive_seed`).
    scheduler : str, optional
        Address of a Dask scheduler; default a local cluster. Workers must
        see ``out_dir`` (they write the checkpoints).
    progress : callable, optional
        ``progress(done, total)`` after every finished point.

    Returns
    -------
    dict
        The record written to ``fig2.json``: ``training`` (``step``,
        ``MA_norm``, ``sigma``), ``sweep`` (``omega``, ``exact``,
        ``measured``, ``MA_norm``, ``non_normality``, ...),
        ``intervention`` (``sigma_before``, ``sigma_after``, ``N_before``,
        ``N_after``, ...), ``excess_loss`` (``circulating``,
        ``circulating_ci``, ``relaxational``, ``relaxational_ci``),
        ``settings`` and ``seconds``.
    """
    start = time.perf_counter()
    out = check_figure_args(out_dir, seed, scheduler)
    points, results = run_fig2_sweep(out, quick, seed, scheduler, progress)
    record = _collect(results)
    main = next(r for r in results if r["omega"] == OMEGA_CIRCULATING)
    record["settings"] = {
        "quick": bool(quick),
        "seed": seed,
        "a": A,
        "diffusion": DIFFUSION,
        "dt": DT,
        "model": MODEL,
        "lr": _LR,
        "optimizer": "Adam, full batch",
        "burn_in_steps": _BURN_IN,
        **asdict(mode_settings(quick)),
        "n_transitions_train": points[0]["n_paths"] * (points[0]["n_steps"] - 1),
    }

    from pathspace.experiments._plots import save_figure

    save_figure(_figure(record, main["current_field"]), out / "fig2.png")
    record["seconds"] = time.perf_counter() - start
    write_text(out / "fig2.json", json.dumps(record, indent=1) + "\n")
    write_text(out / "fig2.md", "# Fig. 2\n\n" + fig2_table(record))
    _log.info("fig2 written to %s in %.1f s", out, record["seconds"])
    return record
