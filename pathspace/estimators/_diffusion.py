"""The constant diffusion matrix from increments.

``E[dz dz^T / dt | z] = 2 D + f f^T dt`` for ``dz = f dt + sqrt(2 D) dW``,
so the naive ``<dz dz^T> / (2 dt)`` is biased by ``<f f^T> dt / 2`` (a few
per cent for strong drifts at ``dt = 0.01``). The estimator here removes the
drift part first:

- ``binned`` (dim <= 3): the local mean velocity in midpoint bins, with the
  ``v v^T`` term taken from an unbiased cross-block U-statistic (see
  :func:`~pathspace.estimators.grid_entropy_production`);
- ``linear`` (any dim): residuals of the weighted least-squares fit of
  ``dz / dt`` on ``(1, z)``, divided by ``2 (n - p)`` with ``p = dim + 1``.

Both handle non-uniform ``dt`` (each transition weighted by ``1 / dt``) and
give a block-bootstrap standard error per entry.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from pathspace._errors import PathspaceError
from pathspace._validation import check_seed
from pathspace.estimators._binned import binned_sums
from pathspace.estimators._entropy import _bootstrap_weights, stratonovich_sigma
from pathspace.estimators._grid import MAX_GRID_DIM, make_grid
from pathspace.simulate import Trajectories

__all__ = ["MatrixEstimate", "diffusive_scaling", "estimate_diffusion"]


@dataclass
class MatrixEstimate:
    """A matrix-valued estimate with per-entry standard errors."""

    value: np.ndarray
    stderr: np.ndarray
    n_samples: int
    estimator: str
    status: str = "ok"
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["value"] = self.value.tolist()
        out["stderr"] = self.stderr.tolist()
        return out


def _linear_diffusion(
    tr, weights: np.ndarray, block: np.ndarray, count: int
) -> np.ndarray:
    """Residual diffusion after an affine drift fit, per block weighting.

    With ``phi = (1, z)`` and per-block sums ``G = sum phi phi^T dt``,
    ``H = sum phi dz^T`` and ``Q = sum dz dz^T / dt``, the weighted
    least-squares residual sum is ``Q - H^T G^-1 H``; its expectation is
    ``2 D (n - p)``.
    """
    phi = np.hstack([np.ones((len(tr), 1)), tr.start])
    p, dim = phi.shape[1], tr.start.shape[1]
    G = np.zeros((count, p, p))
    H = np.zeros((count, p, dim))
    Q = np.zeros((count, dim, dim))
    np.add.at(G, block, (phi * tr.dt[:, None])[:, :, None] * phi[:, None, :])
    np.add.at(H, block, phi[:, :, None] * tr.increment[:, None, :])
    dz_w = tr.increment / np.sqrt(tr.dt)[:, None]
    np.add.at(Q, block, dz_w[:, :, None] * dz_w[:, None, :])
    n = np.bincount(block, minlength=count).astype(np.float64)

    Gw, Hw = np.tensordot(weights, G, 1), np.tensordot(weights, H, 1)
    resid = np.tensordot(weights, Q, 1) - np.swapaxes(Hw, -1, -2) @ np.linalg.solve(
        Gw, Hw
    )
    return resid / (2.0 * (weights @ n - p))[:, None, None]


def estimate_diffusion(
    traj: Trajectories,
    method: str = "auto",
    *,
    bins: Any = None,
    n_boot: int = 100,
    n_blocks: int = 100,
    seed: int = 0,
) -> MatrixEstimate:
    """Estimate the constant diffusion matrix ``D`` with standard errors.

    Parameters
    ----------
    traj : Trajectories
        Trajectories, shape (n_paths, n_steps, dim).
    method : {"auto", "binned", "linear"}
        ``auto`` uses ``binned`` up to three dimensions, else ``linear``.
    bins : int or sequence, optional
        Grid for ``binned``.
    n_boot, n_blocks, seed
        Block bootstrap settings.

    Returns
    -------
    MatrixEstimate
        ``value`` of shape (dim, dim), symmetric.

    Notes
    -----
    Assumes additive noise (constant ``D``). Remaining bias: ``O(dt)``
    relative, from the time discretisation of the sampled process.
    """
    if method not in ("auto", "binned", "linear"):
        raise PathspaceError(f"method: expected auto, binned or linear, got {method!r}")
    if method == "auto":
        method = "binned" if traj.dim <= MAX_GRID_DIM else "linear"
    tr = traj.transitions()
    block, count = tr.blocks(n_blocks)
    weights = _bootstrap_weights(count, n_boot, np.random.default_rng(check_seed(seed)))
    if method == "binned":
        grid = make_grid(tr.midpoint, bins)
        S = binned_sums(
            grid.index(tr.midpoint), block, grid.size, count, tr.dt, tr.increment
        )
        point = stratonovich_sigma(S)["diffusion"][0]
        reps = stratonovich_sigma(S, weights)["diffusion"]
    else:
        point = _linear_diffusion(tr, np.ones((1, count)), block, count)[0]
        reps = _linear_diffusion(tr, weights, block, count)
    stderr = reps.std(axis=0, ddof=1)
    return MatrixEstimate(
        value=0.5 * (point + point.T),
        stderr=stderr,
        n_samples=len(tr),
        estimator=method,
        details={"n_blocks": count},
    )


def diffusive_scaling(traj: Trajectories, *, seed: int = 0) -> np.ndarray:
    """Check that increments scale diffusively: ``Cov(dz) ~ 2 D dt``.

    Estimates ``D`` from every sample and from every second sample and
    returns the generalised eigenvalues of ``(D_1, D_2)``, i.e. how much the
    apparent diffusion grows along each direction when the lag doubles.
    For a diffusion all are ``1 + O(dt)``. A coordinate whose noise enters
    only through another one (a position driven by a noisy velocity) has
    increments that grow like ``dt^3`` in its noise, and its eigenvalue is
    far above 1; estimators that assume all coordinates diffuse do not
    apply to it.

    Returns
    -------
    ndarray of shape (dim,)
        Eigenvalues of ``D_1^-1 D_2`` in ascending order.
    """
    half = traj.z[:, ::2]
    if half.shape[1] < 3:
        source = traj.meta.get("source", "data")
        raise PathspaceError(
            f"{source}: expected at least 5 samples per path to check the "
            f"diffusive scaling, found {traj.n_steps}; record longer paths"
        )
    if traj.t is not None:
        coarse = Trajectories(half, t=traj.t[:, ::2])
    else:
        coarse = Trajectories(half, dt=2 * traj.dt)
    D1 = estimate_diffusion(traj, n_boot=2, seed=seed).value
    D2 = estimate_diffusion(coarse, n_boot=2, seed=seed).value
    return np.sort(np.real(np.linalg.eigvals(np.linalg.solve(D1, D2))))


JUMP_THRESHOLD = 12.0  # robust standard deviations; Gaussian odds ~4e-33


def find_jumps(traj: Trajectories) -> str:
    """Describe increments too large for a diffusion, or ``""`` if none.

    Each coordinate's increments, divided by ``sqrt(dt)``, are compared with
    their median and a robust spread (1.4826 times the median absolute
    deviation, the standard deviation for Gaussian increments). A diffusion
    sampled finely moves continuously, so an increment beyond
    ``JUMP_THRESHOLD`` spreads is a wrapped angle (a jump of about 2 pi) or a
    glitch; either breaks every estimator built on increments.
    """
    tr = traj.transitions()
    if len(tr) < 10:
        return ""
    scaled = tr.increment / np.sqrt(tr.dt)[:, None]
    centre = np.median(scaled, axis=0)
    spread = 1.4826 * np.median(np.abs(scaled - centre), axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        distance = np.abs(scaled - centre) / spread
    distance = np.where(spread > 0, distance, 0.0)
    outliers = distance > JUMP_THRESHOLD
    if not outliers.any():
        return ""
    axis = int(np.argmax(outliers.sum(axis=0)))
    k = int(np.argmax(distance[:, axis]))
    size = float(tr.increment[k, axis])
    near_2pi = np.isclose(abs(size), 2 * np.pi, rtol=0.2)
    cause = (
        "a periodic coordinate wrapping around (unwrap it, e.g. with np.unwrap, "
        "before measuring)"
        if near_2pi
        else "glitches or a periodic coordinate (mark glitches as NaN gaps, "
        "unwrap periodic coordinates)"
    )
    return (
        f"{int(outliers[:, axis].sum())} of {len(tr)} increments of coordinate "
        f"{axis} jump by more than {JUMP_THRESHOLD:g} robust standard deviations "
        f"(largest {size:+.3g} in path {int(tr.path[k])} at step "
        f"{int(tr.step[k])}); a diffusion moves continuously, so this looks like "
        f"{cause}; estimates from increments are not valid"
    )
