"""The figure of ``pathspace measure``: current over stationary density."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from pathspace.estimators import grid_fields  # noqa: E402
from pathspace.experiments._plots import current_streamlines, save_figure  # noqa: E402
from pathspace.simulate import Trajectories  # noqa: E402

__all__ = ["plot_current", "draw_current"]


def _principal_plane(traj: Trajectories) -> tuple[Trajectories, list[str]]:
    """Project trajectories on their two leading principal components."""
    states = traj.finite_states()
    mean = states.mean(axis=0)
    _, s, vt = np.linalg.svd(states - mean, full_matrices=False)
    share = s**2 / np.sum(s**2)
    z = (traj.z - mean) @ vt[:2].T
    labels = [f"PC{i + 1} ({100 * share[i]:.0f} % of variance)" for i in range(2)]
    if traj.t is not None:
        return Trajectories(z, t=traj.t), labels
    return Trajectories(z, dt=traj.dt), labels


def draw_current(
    ax: plt.Axes,
    traj: Trajectories,
    bins: int = 40,
    labels: tuple[str, str] = ("z0", "z1"),
) -> None:
    """Streamlines of the measured current over the measured density (2-D)."""
    fields = grid_fields(traj, bins=bins, min_count=20)
    x, y = fields.grid.centers
    field = {
        "x": x,
        "y": y,
        "density": fields.midpoint_density,
        "current": fields.current,
        "counts": fields.counts,
    }
    current_streamlines(ax, field, min_count=20)
    ax.set_aspect("auto")  # coordinates of data may carry different units
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])


def plot_current(traj: Trajectories, path: Path, title: str = "") -> None:
    """Write the measure figure: current streamlines over density.

    Two-dimensional data are drawn as they are; one-dimensional data show
    the density and the drift; higher dimensions are projected on the two
    leading principal components (the projected current of the projected
    data, labelled as such).
    """
    fig, ax = plt.subplots(figsize=(5.5, 4.8))
    if traj.dim == 1:
        fields = grid_fields(traj, bins=60, min_count=20)
        x = fields.grid.centers[0]
        ax.plot(x, fields.density, color="0.3", label="density")
        twin = ax.twinx()
        twin.plot(x, fields.drift[:, 0], color="darkred", label="drift")
        ax.set_xlabel(traj.meta.get("labels", ["z0"])[0])
        ax.set_ylabel("stationary density")
        twin.set_ylabel("drift (Kramers-Moyal)", color="darkred")
    else:
        labels = tuple(traj.meta.get("labels", ("z0", "z1")))
        if traj.dim > 2:
            traj, labels = _principal_plane(traj)
        draw_current(ax, traj, labels=labels)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)
