"""Lowest mode of the path Hessian: what leaving a saddle costs.

Where the action's Hessian is indefinite, Newton first moves along the
eigenvector of its lowest eigenvalue. The Hessian of a path of ``n`` states
in ``d`` dimensions is banded (``n d`` rows, ``2 d - 1`` sub-diagonals).
Side by side, on the same matrices:

- ``eig_banded`` asked for the vector (LAPACK ``?sbevx``), which builds a
  dense orthogonal matrix of the band reduction;
- pathspace: the eigenvalue alone from ``eig_banded``, then the vector from
  one shift-invert Lanczos solve (``scipy.sparse.linalg.eigsh``).

Then the whole prediction that needs it: ``predict_path`` on the 2-D
``paper-softmax`` drift, 1000 steps. Writes ``results/lowest_mode.md``.
Run: ``python benchmarks/benchlowest_mode.py`` (about a minute).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla
from _common import best_time, machine, markdown_table, write_result

import pathspace as ps
from pathspace.paths._newton import lowest_mode


def random_path_hessian(n_states: int, dim: int, seed: int) -> np.ndarray:
    """Symmetric banded matrix in lower storage with one negative mode."""
    rng = np.random.default_rng(seed)
    ab = rng.standard_normal((2 * dim, n_states * dim)) * 0.3
    ab[0] += 2.0
    ab[0, n_states * dim // 2] = -1.0
    return ab


def main() -> None:
    rows = []
    for n_states, dim in [(1000, 2), (2000, 2), (4000, 2), (250, 8)]:
        ab = random_path_hessian(n_states, dim, seed=0)
        t_dense = best_time(
            lambda ab=ab: sla.eig_banded(
                ab, lower=True, select="i", select_range=(0, 0)
            ),
            repeat=1,
        )
        t_ours = best_time(lambda ab=ab: lowest_mode(ab))
        _, v_ref = sla.eig_banded(ab, lower=True, select="i", select_range=(0, 0))
        overlap = abs(float(lowest_mode(ab) @ v_ref[:, 0]))
        rows.append(
            [
                n_states,
                dim,
                n_states * dim,
                t_dense,
                t_ours,
                f"{t_dense / t_ours:.0f}",
                f"{1 - overlap:.1e}",
            ]
        )
    table = markdown_table(
        [
            "path states",
            "dim",
            "rows",
            "eig_banded with vector (s)",
            "pathspace (s)",
            "ratio",
            "1 - |overlap|",
        ],
        rows,
    )
    drift = ps.make_system("paper-softmax", theta=1.0)
    z0 = np.array([1.0, 0.5])
    ps.predict_path(drift, z0, 10.0, 1000)  # warm-up of torch.func
    t_predict = best_time(lambda: ps.predict_path(drift, z0, 10.0, 1000))
    text = (
        "# Lowest Hessian mode: leaving a saddle\n\n"
        f"Machine: {machine()}.\n\n" + table + "\n\n"
        "`predict_path` on `paper-softmax` (2-D, theta = 1, z0 = (1, 0.5), "
        f"T = 10, 1000 steps), which meets indefinite Hessians on its way: "
        f"{t_predict:.2f} s (best of 3).\n"
    )
    print(text)
    write_result("lowest_mode.md", text)


if __name__ == "__main__":
    main()
