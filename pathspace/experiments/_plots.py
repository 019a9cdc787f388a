"""Plotting helpers shared by the figures.

Figures are built on :class:`matplotlib.figure.Figure` with the Agg canvas,
never through ``pyplot``, so that making a figure changes no global state
and needs no display.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from pathspace.io._atomic import write_atomic

__all__ = [
    "current_streamlines",
    "fig1_figure",
    "panel_label",
    "save_figure",
    "sweep_errorbars",
]

CURRENT_COLOR = "darkred"
OURS_COLOR = "tab:blue"
PAPER_COLOR = "tab:orange"


def save_figure(fig: Figure, path: str | os.PathLike, dpi: int = 150) -> None:
    """Write ``fig`` atomically; the format follows the suffix (PNG default)."""
    path = Path(path)
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=dpi, format=path.suffix.lstrip(".").lower() or "png")
    write_atomic(path, buffer.getvalue())


def panel_label(ax: Axes, label: str) -> None:
    """Bold ``(a)``-style label in the upper-left corner, outside the axes."""
    ax.text(
        -0.14,
        1.04,
        f"({label})",
        transform=ax.transAxes,
        fontweight="bold",
        va="bottom",
        ha="left",
    )


def _array(values: Any) -> np.ndarray:
    """Float array from JSON lists, with None read as NaN."""
    return np.array(values, dtype=np.float64)


def sweep_errorbars(ax: Axes, block: Mapping[str, Any]) -> None:
    """Measured entropy production against ``Q``: both estimators."""
    Q = _array(block["Q"])
    ax.errorbar(
        Q,
        _array(block["measured"]),
        yerr=_array(block["stderr"]),
        fmt="o",
        color=OURS_COLOR,
        ms=5,
        capsize=3,
        label="measured (debiased)",
    )
    ax.errorbar(
        Q,
        _array(block["paper_estimator"]),
        yerr=_array(block["paper_stderr"]),
        fmt="s",
        mfc="none",
        color=PAPER_COLOR,
        ms=5,
        capsize=3,
        label="paper estimator",
    )
    ax.set_xlabel(r"asymmetry $\mathcal{Q} = \|M_A\| / \|M\|$")
    ax.set_ylabel(r"entropy production $\dot\Sigma$")


def current_streamlines(
    ax: Axes,
    field: Mapping[str, Any],
    *,
    scale: float | None = None,
    min_count: int = 1,
) -> float:
    """Probability current as streamlines over the stationary density.

    Parameters
    ----------
    ax : Axes
    field : mapping
        ``x`` (nx,) and ``y`` (ny,) equally spaced bin centres, ``density``
        (nx, ny), ``current`` (nx, ny, 2) and ``counts`` (nx, ny), indexed
        ``[i, j]`` for ``(x_i, y_j)``; None or NaN marks an empty bin.
    scale : float, optional
        Current magnitude drawn at the widest line; default this field's
        largest. Pass one panel's value to another to compare them.
    min_count : int
        Bins with fewer transitions are masked (no streamline crosses them).

    Returns
    -------
    float
        The scale used.

    Notes
    -----
    ``streamplot`` wants arrays indexed ``[row = y, column = x]``, hence
    the transposes. Line width is proportional to ``|J|``, so a current at
    the noise floor draws as hairlines against a coherent one.
    """
    x, y = _array(field["x"]), _array(field["y"])
    rho = _array(field["density"]).T
    J = _array(field["current"]).transpose(1, 0, 2)
    empty = ~(_array(field["counts"]).T >= min_count) | ~np.isfinite(J).all(-1)

    ax.pcolormesh(x, y, np.ma.masked_invalid(rho), cmap="Greys", shading="auto")
    U = np.ma.masked_array(np.nan_to_num(J[..., 0]), mask=empty)
    V = np.ma.masked_array(np.nan_to_num(J[..., 1]), mask=empty)
    speed = np.hypot(U, V)
    if scale is None:
        scale = float(speed.max()) if speed.count() else 1.0
    width = 0.3 + 2.2 * np.clip(speed.filled(0.0) / max(scale, 1e-300), 0, 1)
    ax.streamplot(
        x, y, U, V, color=CURRENT_COLOR, linewidth=width, density=1.1, arrowsize=0.9
    )
    ax.set_xlim(x[0], x[-1])
    ax.set_ylim(y[0], y[-1])
    ax.set_aspect("equal")
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    return scale


def _intervention_bars(ax: Axes, inter: Mapping[str, Any]) -> None:
    labels, xs = [], []
    for k, model in enumerate(("linear", "softmax")):
        r = inter[model]
        for j, (key, tag) in enumerate((("before", "before"), ("after", "after"))):
            x = 3 * k + j
            xs.append(x)
            labels.append(f"{model}\n{tag}")
            ax.bar(
                x - 0.2,
                r[key],
                0.4,
                yerr=r[f"{key}_stderr"],
                color=OURS_COLOR,
                capsize=3,
                label="measured (debiased)" if x == 0 else None,
            )
            ax.bar(
                x + 0.2,
                r[f"paper_{key}"],
                0.4,
                color=PAPER_COLOR,
                hatch="//",
                alpha=0.7,
                label="paper estimator" if x == 0 else None,
            )
        top = max(r["before"] + r["before_stderr"], r["paper_before"])
        ax.text(
            3 * k + 0.5,
            1.03 * top,
            rf"collapse $\geq {r['collapse']:.0f}\times$",
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.set_xticks(xs, labels, fontsize=8)
    ax.set_ylabel(r"entropy production $\dot\Sigma$")
    ax.set_title(rf"$W_Q = W_K$ at $\theta = {inter['theta']:g}$", fontsize=9)
    ax.legend(fontsize=7)
    tops = [
        max(r["before"], r["paper_before"]) for r in (inter["linear"], inter["softmax"])
    ]
    ax.set_ylim(0.0, 1.15 * max(tops))


def fig1_figure(
    record: Mapping[str, Any],
    fields: Mapping[bool, Any],
    *,
    exact_curve: Mapping[str, Any],
) -> Figure:
    """The six panels of Fig. 1 from the record of ``reproduce_fig1``.

    Parameters
    ----------
    record : mapping
        ``linear``, ``softmax`` and ``intervention`` blocks of fig1.json.
    fields : mapping
        Current fields (see :func:`current_streamlines`) of the linear
        model before (key False) and after (key True) symmetrisation.
    exact_curve : mapping
        ``Q`` and ``exact`` on a fine grid of ``theta`` for panel (a) and
        ``theta``, ``Q`` for panel (f).
    """
    fig = Figure(figsize=(12, 7.5), layout="constrained")
    axes = fig.subplots(2, 3)
    ax_a, ax_b, ax_c = axes[0]
    ax_d, ax_e, ax_f = axes[1]

    ax_a.plot(
        exact_curve["Q"],
        exact_curve["exact"],
        color="k",
        lw=1.2,
        label=r"exact (Lyapunov) $4\theta^2$",
    )
    sweep_errorbars(ax_a, record["linear"])
    ax_a.set_title("linear attention", fontsize=9)
    ax_a.legend(fontsize=7)

    sweep_errorbars(ax_b, record["softmax"])
    ax_b.axhline(0.0, color="k", lw=0.6, ls=":")
    ax_b.set_title("softmax attention over fixed slots", fontsize=9)
    ax_b.legend(fontsize=7)

    _intervention_bars(ax_c, record["intervention"])

    inter = record["intervention"]["linear"]
    scale = current_streamlines(ax_d, fields[False], min_count=200)
    ax_d.set_title(
        rf"current, $\mathcal{{Q}} = {inter['Q_before']:.2f}$, "
        rf"$\dot\Sigma = {inter['before']:.2f}$",
        fontsize=9,
    )
    current_streamlines(ax_e, fields[True], scale=scale, min_count=200)
    ax_e.set_title(rf"symmetrised, $\dot\Sigma = {inter['after']:.3f}$", fontsize=9)

    ax_f.plot(exact_curve["theta"], exact_curve["Q"], color="k", lw=1.2)
    lin = record["linear"]
    ax_f.plot(lin["theta"], lin["Q"], "o", color=OURS_COLOR, ms=5, label="sweep points")
    ax_f.set_xlabel(r"$\theta$ in $M = I/2 + \theta A_0$")
    ax_f.set_ylabel(r"$\mathcal{Q}(\theta)$")
    ax_f.set_ylim(0, 1.02)
    ax_f.legend(fontsize=7, loc="lower right")

    for ax, label in zip(axes.ravel(), "abcdef", strict=True):
        panel_label(ax, label)
    return fig
