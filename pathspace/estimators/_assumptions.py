"""Checks that trajectories fit what the entropy-production estimators assume.

The estimators assume independent stationary paths of a diffusion with
additive noise, stored ``(n_paths, n_steps, dim)``. Each check returns a
one-line reason when the data break that, or ``""``;
:func:`assumption_violation` gives the first reason found, most specific
first. They look at the data alone, so they run for every estimator.
"""

from __future__ import annotations

import warnings

import numpy as np

from pathspace._errors import PathspaceError
from pathspace.estimators._diffusion import diffusive_scaling
from pathspace.simulate import Trajectories

__all__ = [
    "assumption_violation",
    "grid_violation",
    "leading_sample",
    "sampled_scaling",
    "scaling_violation",
    "stationarity_violation",
    "time_major_violation",
]

# Mean squared difference between consecutive paths at the same step, over
# that between consecutive steps, below which the array looks stored
# time-major. Independent stationary paths sit near tr(C) / (tr(D) dt) >> 1
# for covariance C, paths started together near n_steps >> 1; an array
# (n_steps, n_paths, dim) read as (n_paths, n_steps, dim) gives the inverse,
# about dt times the relaxation rate.
TIME_MAJOR = 0.25

# Lag-doubling ratio of the apparent diffusion (see diffusive_scaling).
# Above GROW a coordinate is smooth, not diffusive. Below SHRINK successive
# increments are anti-correlated: an Ornstein-Uhlenbeck process reaches it
# only at a sampling interval of 0.35 relaxation times (ratio
# (1 + exp(-2 a dt)) / 2), white measurement noise sits at 0.5.
GROW, SHRINK = 1.3, 0.75

# Values on a grid: the smallest gap between distinct values along an axis,
# as a fraction of the root mean square increment, above which rounding
# matters (it adds noise of variance h^2 / 6 to every increment, a relative
# bias of (h / rms)^2 / 6 in the diffusion: 0.2 % at the limit). Continuous
# values leave gaps near range / n^2, far below it.
GRID_RESOLUTION = 0.1

# States the layout, grid and scaling checks look at: the leading paths (or
# the leading steps of one long path). Their thresholds are coarse, so this
# many pin them down (the lag-doubling ratio to about 0.2 %) at a fraction
# of the cost of the full data.
SAMPLE = 500_000

# Stationarity: the first and last fifth of the record are compared through
# the per-path means of z and z^2; under stationarity each difference has
# mean zero and is independent across paths, so its t statistic over paths
# exceeds this only by chance (below 1e-3 per statistic even for 10 paths).
DRIFT_T = 6.0
MIN_PATHS_FOR_STATIONARITY = 10


def leading_sample(traj: Trajectories) -> Trajectories:
    """The leading paths, or steps of one path, holding about SAMPLE states."""
    n_paths, n_steps = traj.z.shape[:2]
    if n_paths * n_steps <= SAMPLE:
        return traj
    keep = max(1, SAMPLE // n_steps)
    steps = slice(0, max(SAMPLE // keep, 2))
    if traj.t is None:
        return Trajectories(traj.z[:keep, steps], dt=traj.dt)
    return Trajectories(traj.z[:keep, steps], t=traj.t[:keep, steps])


def sampled_scaling(traj: Trajectories, *, seed: int = 0) -> np.ndarray | None:
    """:func:`diffusive_scaling` of the leading sample, or None if too short."""
    try:
        return diffusive_scaling(leading_sample(traj), seed=seed)
    except PathspaceError:  # too few samples or lag-2 pairs to compare
        return None


def time_major_violation(traj: Trajectories) -> str:
    """Reason if consecutive paths lie closer together than consecutive steps."""
    z = leading_sample(traj).z
    if z.shape[0] < 3:
        return ""
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        across = np.nanmean(np.sum((z[1:] - z[:-1]) ** 2, axis=-1))
        along = np.nanmean(np.sum((z[:, 1:] - z[:, :-1]) ** 2, axis=-1))
    if not along > 0 or not across < TIME_MAJOR * along:
        return ""
    return (
        f"consecutive paths differ {along / max(across, 1e-300):.3g} times less "
        "than consecutive steps: the array looks stored time-major, "
        f"(n_steps, n_paths, dim) = {z.shape}; pathspace reads "
        "(n_paths, n_steps, dim), so swap the first two axes "
        "(np.swapaxes(z, 0, 1))"
    )


def scaling_violation(scaling: np.ndarray) -> str:
    """Reason if the lag-doubling ratios are not those of a diffusion."""
    if scaling.max() > GROW:
        return (
            f"apparent diffusion grows {scaling.max():.2g}-fold when the lag "
            "doubles along some direction: that coordinate is smooth, not "
            "diffusive (e.g. a position whose noise enters through its "
            "velocity); the entropy production treating every coordinate as "
            "even and diffusive is not well defined and grows as dt shrinks"
        )
    if scaling.min() < SHRINK:
        return (
            f"apparent diffusion shrinks to {scaling.min():.2g} of itself when "
            "the lag doubles along some direction (a diffusion keeps it near "
            "1): successive increments are anti-correlated, as from "
            "measurement noise added to the states or from samples far apart "
            "against the relaxation time; the data are not a finely sampled "
            "diffusion, so the entropy production is not reliable"
        )
    return ""


def stationarity_violation(traj: Trajectories) -> str:
    """Reason if the first and last fifth of the record differ in law."""
    z = traj.z
    n_paths, n_steps, dim = z.shape
    if n_paths < MIN_PATHS_FOR_STATIONARITY or n_steps < 10:
        return ""
    k = n_steps // 5

    def moments(seg: np.ndarray) -> np.ndarray:
        return np.concatenate([np.nanmean(seg, 1), np.nanmean(seg**2, 1)], -1)

    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        d = moments(z[:, -k:]) - moments(z[:, :k])
    d = d[np.all(np.isfinite(d), axis=1)]
    if len(d) < MIN_PATHS_FOR_STATIONARITY:
        return ""
    se = d.std(axis=0, ddof=1) / np.sqrt(len(d))
    t = np.where(se > 0, d.mean(axis=0) / np.where(se > 0, se, 1.0), 0.0)
    j = int(np.argmax(np.abs(t)))
    if abs(t[j]) <= DRIFT_T:
        return ""
    what = f"z{j}" if j < dim else f"z{j - dim}^2"
    return (
        f"the data are not stationary: the mean of {what} over the last fifth "
        f"of the steps differs from the first fifth by {abs(t[j]):.3g} "
        "standard errors over paths; the estimators assume a stationary "
        "state: drop the first steps (a burn-in) or record longer"
    )


def grid_violation(traj: Trajectories) -> str:
    """Reason if the states are rounded to a grid as coarse as their steps."""
    z = leading_sample(traj).z
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        rms = np.sqrt(np.nanmean(np.diff(z, axis=1) ** 2, axis=(0, 1)))
    for i in range(z.shape[-1]):
        values = np.unique(z[..., i][np.isfinite(z[..., i])])
        if values.size < 2 or not rms[i] > 0:
            continue
        gap = float(np.min(np.diff(values)))
        if gap > GRID_RESOLUTION * rms[i]:
            return (
                f"the values of z{i} lie on a grid of spacing {gap:.3g} or "
                f"more, against increments of rms {rms[i]:.3g}: rounding that "
                "coarse (few decimals, integers, float32 far from zero) biases "
                "the diffusion and the entropy production; record at a finer "
                "resolution or keep float64 from the start"
            )
    return ""


def assumption_violation(traj: Trajectories, scaling: np.ndarray | None) -> str:
    """The first reason the data do not fit the estimators, or ``""``.

    ``scaling`` is :func:`sampled_scaling` of the same data (None skips it).
    """
    reason = time_major_violation(traj) or grid_violation(traj)
    if not reason and scaling is not None:
        reason = scaling_violation(scaling)
    return reason or stationarity_violation(traj)
