"""Binned fields: Kramers-Moyal drift and diffusion, density, current.

Symbols: transitions ``dz`` over ``dt`` from ``z`` to ``z'``; ``rho`` the
stationary density; ``J`` the probability current; ``v = J / rho`` the
circulating drift (mean local velocity); ``D`` the constant diffusion
matrix.

- Drift (Eq. 25): ``f(z) = E[dz | z] / dt``, binned by the start point.
- Local diffusion (Eq. 26): ``2 D(z) = Cov[dz | z] / dt``.
- Current: ``J(z) = rho(z) E[dz | (z + z')/2 = z] / dt`` (Stratonovich
  midpoint); ``v = J / rho`` needs no density gradient.
- Gradient form of Eq. 27: ``v = f - D grad ln rho``, with finite
  differences of the binned density, for comparison.

Bins with fewer than ``min_count`` transitions are NaN, never 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pathspace.estimators._binned import binned_sums
from pathspace.estimators._grid import Grid, make_grid
from pathspace.simulate import Trajectories

__all__ = ["GridFields", "grid_fields"]


@dataclass(frozen=True)
class GridFields:
    """Fields estimated on a grid; arrays are shaped like the grid.

    Attributes
    ----------
    grid : Grid
    counts : ndarray, grid.shape
        Transitions starting in each bin.
    density : ndarray, grid.shape
        Stationary density from start-point occupation, normalised so that
        ``sum(density * volume) = 1`` over the grid.
    drift, drift_stderr : ndarray, grid.shape + (dim,)
        Ito Kramers-Moyal drift and its standard error.
    local_diffusion : ndarray, grid.shape + (dim, dim)
        ``Cov[dz | z] / (2 dt)`` per bin.
    velocity : ndarray, grid.shape + (dim,)
        Stratonovich mean local velocity ``v = J / rho``.
    current : ndarray, grid.shape + (dim,)
        Probability current ``J = rho v`` (midpoint occupation density).
    midpoint_density : ndarray, grid.shape
        Density of midpoints, the ``rho`` that pairs with ``velocity``.
    min_count : int
        Bins with fewer transitions are NaN.
    """

    grid: Grid
    counts: np.ndarray
    density: np.ndarray
    drift: np.ndarray
    drift_stderr: np.ndarray
    local_diffusion: np.ndarray
    velocity: np.ndarray
    current: np.ndarray
    midpoint_density: np.ndarray
    min_count: int

    def circulating_drift_gradient_form(self, diffusion: Any) -> np.ndarray:
        """Eq. 27 as written: ``v = f - D grad ln rho`` (finite differences).

        Parameters
        ----------
        diffusion : array_like of shape (dim, dim)
            The constant diffusion matrix.
        """
        D = np.atleast_2d(np.asarray(diffusion, dtype=np.float64))
        with np.errstate(divide="ignore", invalid="ignore"):
            log_rho = np.log(self.density)
        grads = np.gradient(log_rho, *self.grid.centers)
        grads = grads if isinstance(grads, list | tuple) else [grads]
        grad = np.stack(grads, axis=-1)
        return self.drift - grad @ D.T

    def mask(self) -> np.ndarray:
        """True where the bin holds at least ``min_count`` transitions."""
        return np.isfinite(self.drift[..., 0])


def grid_fields(
    traj: Trajectories, *, bins: Any = None, bounds: Any = None, min_count: int = 10
) -> GridFields:
    """Estimate drift, diffusion, density, current and velocity on a grid.

    Parameters
    ----------
    traj : Trajectories
        Stationary trajectories with ``dim <= 3``.
    bins : int or sequence, optional
        Bins per axis or explicit edges (default:
        :func:`~pathspace.estimators.default_bins`).
    bounds : sequence of (low, high), optional
        Range per axis; default the data's range.
    min_count : int
        Bins with fewer transitions are NaN.

    Notes
    -----
    Bias: the binned drift averages ``f`` over the bin (error of order
    ``h^2 f''``) and carries an ``O(dt)`` discretisation bias; its standard
    error is ``sqrt(2 D_ii / T_b)`` with ``T_b`` the time spent in the bin,
    assuming independent increments.
    """
    tr = traj.transitions()
    grid = make_grid(np.concatenate([tr.start, tr.end]), bins, bounds)
    zeros = np.zeros(len(tr), dtype=np.int64)
    start = binned_sums(
        grid.index(tr.start), zeros, grid.size, 1, tr.dt, tr.increment
    ).total()
    mid = binned_sums(
        grid.index(tr.midpoint), zeros, grid.size, 1, tr.dt, tr.increment
    ).total()
    vol = grid.volumes()
    shape = grid.shape

    ok = start.count >= max(min_count, 2)
    T_b = np.where(ok, start.time, np.nan)
    drift = start.s1 / T_b[:, None]
    outer = start.s1[:, :, None] * start.s1[:, None, :] / T_b[:, None, None]
    local = (start.s2 - outer) / (2.0 * (start.count - 1.0))[:, None, None]
    local[~ok] = np.nan
    diag = np.diagonal(local, axis1=1, axis2=2)
    drift_se = np.sqrt(2.0 * diag / T_b[:, None])
    density = start.count / (start.count.sum() * vol)

    ok_mid = mid.count >= max(min_count, 2)
    velocity = mid.s1 / np.where(ok_mid, mid.time, np.nan)[:, None]
    mid_density = mid.count / (mid.count.sum() * vol)
    current = velocity * mid_density[:, None]
    return GridFields(
        grid=grid,
        counts=start.count.reshape(shape),
        density=density.reshape(shape),
        drift=drift.reshape(*shape, -1),
        drift_stderr=drift_se.reshape(*shape, -1),
        local_diffusion=local.reshape(*shape, grid.dim, grid.dim),
        velocity=velocity.reshape(*shape, -1),
        current=current.reshape(*shape, -1),
        midpoint_density=mid_density.reshape(shape),
        min_count=min_count,
    )
