"""Time to a converged most probable path: banded Newton against Adam.

Drift ``f(z) = -z + W tanh(z)`` with a random ``W`` of spectral norm 0.8
(stable, non-gradient, non-constant divergence), ``D = 0.1``, horizon
``T = 5``, midpoint convention, free end (prediction). Newton stops at a
gradient norm of 1e-9; Adam (lr 1e-2) runs on the same action until the
same tolerance, a step cap or a wall-clock cap, and reports the gradient norm
it reached. Writes ``benchmarks/results/paths.md``.

Run: ``python benchmarks/bench_paths.py`` (about 10 minutes on 2 cores).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
from _common import machine

from pathspace.dynamics import Drift
from pathspace.paths import predict_path
from pathspace.paths._operator import PathProblem

GTOL = 1e-9
T, D = 5.0, 0.1
LENGTHS = (100, 1000, 10000)
DIMS = (1, 2, 8, 32, 64)
ADAM_SECONDS, ADAM_STEPS = 15.0, 20000
SKIP_NEWTON = {(10000, 32), (10000, 64)}  # Hessian blocks alone exceed 0.3 GB
OUT = Path(__file__).parent / "results" / "paths.md"


class TanhDrift(Drift):
    """``f = -z + W tanh(z)``, ``div f = -d + sum_i W_ii sech^2(z_i)``."""

    def __init__(self, d: int, seed: int = 0) -> None:
        super().__init__(d, D, name="tanh")
        G = np.random.default_rng(seed).standard_normal((d, d))
        self._W = torch.as_tensor(0.8 * G / np.linalg.norm(G, 2))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return -z + torch.tanh(z) @ self._W.T

    def divergence(self, z):
        sech2 = 1 - torch.tanh(z) ** 2
        return -self.dim + (sech2 * torch.diagonal(self._W)).sum(-1)


def _adam(drift: Drift, z0: np.ndarray, n: int) -> tuple[float, float, int]:
    problem = PathProblem(drift, z0, T / n, n, "stratonovich")
    x = torch.as_tensor(np.tile(z0, (n, 1))).clone().requires_grad_(True)
    opt = torch.optim.Adam([x], lr=1e-2)
    start, gnorm, step = time.perf_counter(), np.inf, 0
    while step < ADAM_STEPS and time.perf_counter() - start < ADAM_SECONDS:
        opt.zero_grad()
        A = problem._value(x)
        A.backward()
        gnorm = float(x.grad.norm())
        if gnorm <= GTOL:
            break
        opt.step()
        step += 1
    return time.perf_counter() - start, gnorm, step


def main() -> None:
    torch.set_num_threads(2)
    rows = []
    for d in DIMS:
        for n in LENGTHS:
            drift = TanhDrift(d)
            z0 = np.random.default_rng(1).uniform(-1.5, 1.5, d)
            if (n, d) in SKIP_NEWTON:
                rows.append((d, n, None, None, None, None, None, None))
                continue
            start = time.perf_counter()
            res = predict_path(drift, z0, T, n, gtol=GTOL)
            t_newton = time.perf_counter() - start
            t_adam, g_adam, s_adam = _adam(drift, z0, n)
            rows.append(
                (
                    d,
                    n,
                    t_newton,
                    res.n_iterations,
                    res.grad_norm,
                    t_adam,
                    g_adam,
                    s_adam,
                )
            )
            print(
                d,
                n,
                f"{t_newton:.2f}s",
                res.status,
                res.n_iterations,
                f"{res.grad_norm:.1e}",
                f"adam {t_adam:.1f}s {g_adam:.1e}",
                flush=True,
            )
    _write(rows)


def _write(rows: list) -> None:
    lines = [
        "# Most probable path: banded Newton vs Adam",
        "",
        f"Machine: {machine()}.",
        "",
        f"Drift f(z) = -z + W tanh(z) (|W|_2 = 0.8), D = {D}, T = {T}, midpoint "
        f"convention, free end. Newton target: gradient norm <= {GTOL:g}. Adam "
        f"(lr 1e-2) stops at the same target, {ADAM_STEPS} steps or "
        f"{ADAM_SECONDS:g} s, whichever comes first. 2 CPU cores, float64.",
        "",
        "| dim | n_steps | Newton time (s) | Newton iterations | Newton grad norm "
        "| Newton time / n_steps (ms) | Adam time (s) | Adam steps | "
        "Adam grad norm | Adam time / Newton time |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for d, n, tn, it, gn, ta, ga, sa in rows:
        if tn is None:
            lines.append(
                f"| {d} | {n} | skipped (memory/time cap) | | | | skipped | | | |"
            )
            continue
        lines.append(
            f"| {d} | {n} | {tn:.3f} | {it} | {gn:.1e} | {1e3 * tn / n:.3f} | "
            f"{ta:.1f} | {sa} | {ga:.1e} | {ta / tn:.0f} |"
        )
    lines += [
        "",
        "Adam never reaches the target here: the action's Hessian has condition "
        "number ~ (T / dt)^2, so first-order methods stall; its time column is "
        "the cap. Newton's time per step is roughly constant in n_steps (cost "
        "linear in path length); the (10000, 32) and (10000, 64) cases are "
        "skipped to keep the run under 10 minutes on 2 cores. The first row "
        "includes one-time torch.func warm-up.",
    ]
    OUT.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
