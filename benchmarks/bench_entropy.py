"""Entropy-production estimators against the exact value, one run.

Paper setting: ``paper-linear`` (f = (-I + M^T) z, M = I/2 + theta A0,
D = 0.25), exact entropy production ``4 theta^2``, dt = 0.01, samples drawn
with the exact Ornstein-Uhlenbeck transition (no integrator bias).

1. Error against the number of transitions for theta in {0, 0.25, 1, 2},
   for (a) the paper's estimator and (b) the default debiased one.
2. At 4 x 10^6 transitions (400 paths x 10^4 steps) and 20 seeds per
   theta in {0, 1, 2}: mean, spread, and how often (b)'s 95 % interval
   covers the exact value.

Writes ``results/entropy.md``. Run: ``python benchmarks/bench_entropy.py``
(about 10 minutes on two cores; ``--quick`` for a smoke run).
"""

from __future__ import annotations

import sys
import time

import numpy as np
from _common import machine, markdown_table, write_result

from pathspace.dynamics import make_system
from pathspace.estimators import entropy_production
from pathspace.simulate import simulate


def run(theta: float, n_paths: int, n_steps: int, seed: int, estimator: str):
    drift = make_system("paper-linear", theta=theta)
    traj = simulate(drift, n_paths, n_steps + 1, 0.01, seed=seed, scheme="exact")
    return entropy_production(traj, estimator, seed=seed)


def main(quick: bool = False) -> None:
    start = time.perf_counter()
    thetas = [0.0, 0.25, 1.0, 2.0]
    sizes = [(100, 1000), (200, 2500), (400, 4000), (400, 10000)]
    seeds_scan = 2 if quick else 4
    if quick:
        sizes = sizes[:2]
    rows = []
    for n_paths, n_steps in sizes:
        for theta in thetas:
            exact = 4 * theta**2
            for est in ("paper", "stratonovich"):
                vals, ses = [], []
                for seed in range(seeds_scan):
                    e = run(theta, n_paths, n_steps, seed, est)
                    vals.append(e.value)
                    ses.append(e.stderr)
                err = np.mean(vals) - exact
                rms = np.sqrt(np.mean((np.array(vals) - exact) ** 2))
                rows.append(
                    [
                        n_paths * n_steps,
                        theta,
                        est,
                        exact,
                        float(np.mean(vals)),
                        float(err),
                        float(rms),
                        float(np.mean(ses)),
                    ]
                )
    scan = markdown_table(
        [
            "transitions",
            "theta",
            "estimator",
            "exact",
            "mean",
            "bias",
            "rms error",
            "mean stderr",
        ],
        rows,
    )

    n_seeds = 4 if quick else 20
    n_paths, n_steps = (100, 2000) if quick else (400, 10000)
    cover_rows = []
    for theta in (0.0, 1.0, 2.0):
        exact = 4 * theta**2
        b = [
            run(theta, n_paths, n_steps, 100 + s, "stratonovich")
            for s in range(n_seeds)
        ]
        a = [run(theta, n_paths, n_steps, 100 + s, "paper") for s in range(n_seeds)]
        vals = np.array([e.value for e in b])
        covered = np.mean([lo <= exact <= hi for lo, hi in (e.interval() for e in b)])
        rel = (abs(vals.mean() - exact) / exact) if exact else np.nan
        cover_rows.append(
            [
                theta,
                exact,
                float(np.mean([e.value for e in a])),
                float(vals.mean()),
                float(vals.std(ddof=1)),
                float(np.mean([e.stderr for e in b])),
                float(np.abs(vals).max()) if exact == 0 else rel,
                f"{100 * covered:.0f} %",
            ]
        )
    cover = markdown_table(
        [
            "theta",
            "exact",
            "(a) paper, mean",
            "(b) default, mean",
            "(b) spread over seeds",
            "(b) mean stderr",
            "(b) max |value| (theta=0) or |rel. error| of mean",
            "(b) 95 % CI covers exact",
        ],
        cover_rows,
    )

    text = (
        "# Entropy production: estimator error\n\n"
        f"Machine: {machine()}. Total time {time.perf_counter() - start:.0f} s."
        "\n\n## Error against the number of transitions\n\n"
        f"Mean over {seeds_scan} seeds. (a) `paper`: the published grid "
        "estimator (60 bins per axis). (b) `stratonovich`: the default.\n\n"
        + scan
        + f"\n\n## The paper's setting: {n_paths * n_steps:.1e} transitions, "
        f"{n_seeds} seeds\n\n" + cover + "\n"
    )
    print(text)
    write_result("entropy-quick.md" if quick else "entropy.md", text)


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
