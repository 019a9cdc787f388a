"""Simulation throughput: pathspace against the alternatives, one run.

For ``ou`` (2-D) and ``paper-softmax`` with 1000 paths x 2000 Euler steps:

- pathspace ``simulate`` (torch, batched, float64);
- a plain NumPy loop doing the same Euler update;
- torchsde ``sdeint`` (method ``euler``) on the same drift and noise;
- the floor: drawing the Gaussian increments alone (NumPy's PCG64, the
  generator pathspace uses).

Writes ``results/simulation.md`` with transitions per second and ratios.
Run: ``python benchmarks/bench_simulation.py``.
"""

from __future__ import annotations

import numpy as np
import torch
from _common import best_time, machine, markdown_table, write_result

from pathspace.dynamics import make_system
from pathspace.simulate import simulate

N_PATHS, N_STEPS, DT = 1000, 2000, 0.01


def numpy_loop(drift_np, D, dim):
    rng = np.random.default_rng(0)
    z = np.zeros((N_PATHS, dim))
    out = np.empty((N_PATHS, N_STEPS, dim))
    L = np.linalg.cholesky(2 * D * DT)
    for k in range(N_STEPS):
        z = z + drift_np(z) * DT + rng.standard_normal((N_PATHS, dim)) @ L.T
        out[:, k] = z
    return out


def torchsde_run(drift, dim):
    import torchsde

    D = torch.as_tensor(drift.diffusion)
    G = torch.linalg.cholesky(2 * D)

    class SDE(torch.nn.Module):
        noise_type = "general"
        sde_type = "ito"

        def f(self, t, y):
            return drift(y)

        def g(self, t, y):
            return G.expand(y.shape[0], dim, dim)

    ts = torch.linspace(0, DT * (N_STEPS - 1), N_STEPS, dtype=torch.float64)
    y0 = torch.zeros(N_PATHS, dim, dtype=torch.float64)
    with torch.no_grad():
        return torchsde.sdeint(SDE(), y0, ts, method="euler", dt=DT)


def softmax_numpy(drift):
    M, m = drift.M, drift.memory
    keys = m @ M.T

    def f(z):
        s = z @ keys.T
        a = np.exp(s - s.max(axis=1, keepdims=True))
        a /= a.sum(axis=1, keepdims=True)
        return -drift.gamma * z + drift.beta * a @ m

    return f


def main() -> None:
    n = N_PATHS * N_STEPS
    rows = []
    cases = {
        "ou": make_system("ou", dim=2),
        "paper-softmax": make_system("paper-softmax", theta=1.0),
    }
    for name, drift in cases.items():
        f_np = (
            (lambda z, F=drift.F: z @ F.T) if name == "ou" else (softmax_numpy(drift))
        )
        timings = {
            "pathspace simulate": best_time(
                lambda d=drift: simulate(d, N_PATHS, N_STEPS, DT, seed=0)
            ),
            "NumPy loop": best_time(
                lambda f=f_np, d=drift: numpy_loop(f, d.diffusion, d.dim)
            ),
            "torchsde sdeint": best_time(
                lambda d=drift: torchsde_run(d, d.dim), repeat=1
            ),
            "Gaussian increments only": best_time(
                lambda d=drift: np.random.default_rng(0).standard_normal(
                    (N_STEPS, N_PATHS, d.dim)
                )
            ),
        }
        ours = timings["pathspace simulate"]
        for method, seconds in timings.items():
            rows.append([name, method, n / seconds, seconds / ours])
    text = (
        "# Simulation throughput\n\n"
        f"{N_PATHS} paths x {N_STEPS} Euler steps (dt = {DT}), float64, "
        f"best of 3 (torchsde: 1 run). Machine: {machine()}.\n\n"
        + markdown_table(
            ["system", "method", "transitions / s", "time / pathspace time"], rows
        )
        + "\n\nA ratio above 1 means slower than pathspace. The Gaussian "
        "increments alone are the floor any Euler integrator must pay.\n"
    )
    print(text)
    write_result("simulation.md", text)


if __name__ == "__main__":
    main()
