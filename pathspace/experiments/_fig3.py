"""Fig. 3 of the paper: irreversibility is a resource for prediction.

The models are those of Fig. 2 (same sweep, same checkpoints; see
:mod:`pathspace.experiments._fig2` for the data, the model and the
training). For each trained model and its symmetrised copy
(``M -> (M + M^T) / 2``) the deterministic rollout
``z_{k+1} = z_k + f(z_k) dt`` (the mean of the model's one-step transition,
iterated) is compared with the true conditional mean
``mu(z, h) = exp(W_omega h) z`` of the data, ``W_omega = -a I + omega R``
(Sec. VII.4). The error at horizon ``h`` is the root-mean-square distance
``sqrt(< |z_hat(h) - mu(z, h)|^2 >)`` over starting states drawn from the
data's stationary law ``N(0, D / a I)``, for ``h`` up to 5 time units (two
relaxation times ``1 / a``). The peak error of a model is the largest of
these over the horizon.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import numpy as np

from pathspace.experiments._fig2 import (
    DIFFUSION,
    DT,
    OMEGA_CIRCULATING,
    A,
    mode_settings,
    run_fig2_sweep,
)
from pathspace.experiments._sweep import check_figure_args, write_text

__all__ = ["reproduce_fig3"]

_log = logging.getLogger(__name__)
_log.addHandler(logging.NullHandler())


def _collect(results: list[dict]) -> dict[str, Any]:
    by_omega = {r["omega"]: r for r in results}
    main, relax = by_omega[OMEGA_CIRCULATING], by_omega[0.0]
    horizon = main["rollout"]["horizon"]

    def errors(r: dict) -> dict[str, list[float]]:
        return {
            "omega": r["omega"],
            "trained": r["rollout"]["trained"],
            "symmetrized": r["rollout"]["symmetrized"],
        }

    resource = {
        "omega": [r["omega"] for r in results],
        "exact": [r["exact"] for r in results],
        "sigma": [r["trained"]["sigma"] for r in results],
        "sigma_stderr": [r["trained"]["sigma_stderr"] for r in results],
        "peak_error": [max(r["rollout"]["symmetrized"]) for r in results],
        "peak_error_trained": [max(r["rollout"]["trained"]) for r in results],
    }
    return {
        "horizon": horizon,
        "circulating": errors(main),
        "relaxational": errors(relax),
        "resource": resource,
        "example": main["rollout"]["example"],
    }


def fig3_table(record: dict[str, Any]) -> str:
    """Markdown table of the paper's statements beside our numbers."""
    circ, relax = record["circulating"], record["relaxational"]
    res = record["resource"]
    h = record["horizon"][-1]
    k = int(np.argmax(circ["symmetrized"]))
    relax_gap = np.max(np.abs(np.subtract(relax["trained"], relax["symmetrized"])))
    rows = [
        (
            f"circulating error at h = {h:g}: trained vs symmetrised",
            "trained tracks, symmetrised fails",
            f"{circ['trained'][-1]:.4f} vs {circ['symmetrized'][-1]:.4f} "
            f"({circ['symmetrized'][-1] / circ['trained'][-1]:.1f}x)",
        ),
        (
            f"circulating peak error (h = {record['horizon'][k]:g})",
            "-",
            f"{max(circ['trained']):.4f} vs {circ['symmetrized'][k]:.4f}",
        ),
        (
            f"relaxational error at h = {h:g}: trained vs symmetrised",
            "indistinguishable",
            f"{relax['trained'][-1]:.4f} vs {relax['symmetrized'][-1]:.4f}",
        ),
        (
            "relaxational largest gap over the horizon",
            "~ 0",
            f"{relax_gap:.2e}",
        ),
    ]
    for omega, sigma, peak, peak_t in zip(
        res["omega"],
        res["sigma"],
        res["peak_error"],
        res["peak_error_trained"],
        strict=True,
    ):
        shown = 0.0 if abs(sigma) < 0.005 else sigma  # no "-0.00"
        rows.append(
            (
                f"peak error, omega = {omega:g} (sigma = {shown:.2f})",
                "grows with sigma",
                f"{peak:.4f} (trained {peak_t:.4f})",
            )
        )
    header = "| quantity | paper | ours |\n|---|---|---|\n"
    body = "".join(f"| {' | '.join(r)} |\n" for r in rows)
    notes = (
        "\nErrors are root-mean-square distances to the true conditional "
        "mean exp(W_omega h) z over starts from the stationary law.\n"
    )
    return header + body + notes


def _figure(record: dict[str, Any]):
    from matplotlib.figure import Figure

    from pathspace.experiments._plots import OURS_COLOR, panel_label

    fig = Figure(figsize=(10, 8), layout="constrained")
    axes = fig.subplots(2, 2)
    (ax_a, ax_b), (ax_c, ax_d) = axes
    h = np.asarray(record["horizon"])

    for ax, key, title in (
        (ax_a, "circulating", "circulating"),
        (ax_b, "relaxational", "relaxational"),
    ):
        block = record[key]
        ax.plot(h, block["trained"], "-", color=OURS_COLOR, label="trained")
        ax.plot(
            h,
            block["symmetrized"],
            "--",
            color="tab:red",
            label=r"symmetrised ($\mathcal{Q} \to 0$)",
        )
        ax.set_xlabel("horizon $h$")
        ax.set_ylabel(r"rollout error vs $e^{W_\omega h} z$ (RMS)")
        ax.set_title(rf"{title} data, $\omega = {block['omega']:g}$", fontsize=9)
        ax.legend(fontsize=7)
    top = max(max(record["circulating"]["symmetrized"]), 1e-12)
    ax_b.set_ylim(0, 1.05 * top)

    res = record["resource"]
    ax_c.errorbar(
        res["sigma"],
        res["peak_error"],
        xerr=res["sigma_stderr"],
        fmt="o-",
        color="tab:red",
        ms=5,
        capsize=3,
        label="symmetrised",
    )
    ax_c.plot(
        res["sigma"],
        res["peak_error_trained"],
        "s-",
        color=OURS_COLOR,
        ms=5,
        label="trained",
    )
    ax_c.set_xlabel(r"entropy production $\dot\Sigma$ of the trained model")
    ax_c.set_ylabel("peak rollout error")
    ax_c.legend(fontsize=7)

    ex = record["example"]
    for key, style, color, label in (
        ("truth", "-", "k", r"true mean $e^{W_\omega h} z_0$"),
        ("trained", "-", OURS_COLOR, "trained"),
        ("symmetrized", "--", "tab:red", "symmetrised"),
    ):
        path = np.asarray(ex[key])
        ax_d.plot(
            path[:, 0],
            path[:, 1],
            style,
            color=color,
            label=label,
            lw=2.2 if key == "truth" else 1.3,
        )
    ax_d.plot(*np.asarray(ex["truth"])[0], "ko", ms=5)
    ax_d.set_aspect("equal")
    ax_d.set_xlabel("$z_1$")
    ax_d.set_ylabel("$z_2$")
    ax_d.set_title(
        rf"example rollout, $\omega = {record['circulating']['omega']:g}$", fontsize=9
    )
    ax_d.legend(fontsize=7)

    for ax, label in zip(axes.ravel(), "abcd", strict=True):
        panel_label(ax, label)
    return fig


def reproduce_fig3(
    out_dir: str | os.PathLike,
    *,
    quick: bool = False,
    seed: int = 0,
    scheduler: str | None = None,
    progress: Callable[[int, int], Any] | None = None,
) -> dict[str, Any]:
    """Reproduce Fig. 3: rollout error of trained and symmetrised models.

    Parameters
    ----------
    out_dir : path
        Receives ``fig3.png``, ``fig3.json`` and ``fig3.md``. The models
        and sweep results of Fig. 2 in the same folder are reused; missing
        ones are trained here (resuming any checkpoint).
    quick : bool
        The quick sizes of Fig. 2.
    seed : int
        Base seed (the same as Fig. 2's to reuse its models).
    scheduler : str, optional
        Address of a Dask scheduler; default a local cluster.
    progress : callable, optional
        ``progress(done, total)`` after every finished point.

    Returns
    -------
    dict
        The record written to ``fig3.json``: ``horizon`` (time units),
        ``circulating`` and ``relaxational`` (``trained``, ``symmetrized``:
        RMS error per horizon), ``resource`` (``omega``, ``sigma``,
        ``peak_error`` of the symmetrised and ``peak_error_trained`` of the
        trained models), ``example``, ``settings`` and ``seconds``.
    """
    start = time.perf_counter()
    out = check_figure_args(out_dir, seed, scheduler)
    _, results = run_fig2_sweep(out, quick, seed, scheduler, progress)
    record = _collect(results)
    mode = mode_settings(quick)
    record["settings"] = {
        "quick": bool(quick),
        "seed": seed,
        "a": A,
        "diffusion": DIFFUSION,
        "dt": DT,
        **asdict(mode),
    }

    from pathspace.experiments._plots import save_figure

    save_figure(_figure(record), out / "fig3.png")
    record["seconds"] = time.perf_counter() - start
    write_text(out / "fig3.json", json.dumps(record, indent=1) + "\n")
    write_text(out / "fig3.md", "# Fig. 3\n\n" + fig3_table(record))
    _log.info("fig3 written to %s in %.1f s", out, record["seconds"])
    return record
