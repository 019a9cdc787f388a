"""The trajectory container shared by simulation, file reading and estimators.

Axis order is ``(n_paths, n_steps, dim)`` everywhere; values are float64.
Time is either a constant step ``dt`` or per-sample timestamps ``t`` of
shape ``(n_paths, n_steps)``. A row with any non-finite entry is a gap: no
increment spans it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from pathspace._errors import PathspaceError
from pathspace._validation import (
    check_dt,
    check_layout,
    check_resolution,
    check_times,
)

__all__ = ["Trajectories", "Transitions"]


@dataclass(frozen=True)
class Transitions:
    """The valid one-step transitions of a set of trajectories.

    Attributes
    ----------
    start, end : ndarray of shape (n, dim)
        States before and after each transition.
    dt : ndarray of shape (n,)
        Elapsed time of each transition.
    path : ndarray of shape (n,)
        Index of the trajectory each transition belongs to.
    step : ndarray of shape (n,)
        Index of the starting sample within its trajectory.
    """

    start: np.ndarray
    end: np.ndarray
    dt: np.ndarray
    path: np.ndarray
    step: np.ndarray

    def __len__(self) -> int:
        return self.dt.shape[0]

    @property
    def increment(self) -> np.ndarray:
        """``end - start``, shape (n, dim)."""
        return self.end - self.start

    @property
    def midpoint(self) -> np.ndarray:
        """``(start + end) / 2``, shape (n, dim) (Stratonovich point)."""
        return 0.5 * (self.start + self.end)

    def blocks(
        self, n_blocks: int = 100, min_length: int = 10
    ) -> tuple[np.ndarray, int]:
        """Assign transitions to contiguous blocks for resampling.

        Whole trajectories form the blocks when there are at least 20 of
        them (grouped into at most ``n_blocks``); otherwise each trajectory
        is cut into contiguous time blocks of at least ``min_length``
        transitions, so that about ``n_blocks`` exist. Empty blocks are
        dropped.

        Returns
        -------
        block : ndarray of shape (n,)
            Block index of every transition, in ``range(count)``.
        count : int
            Number of non-empty blocks.
        """
        n_paths = int(self.path.max()) + 1 if len(self) else 0
        if n_paths >= 20:
            block = (self.path * min(n_blocks, n_paths)) // n_paths
        else:
            last = np.zeros(n_paths, dtype=np.int64)
            np.maximum.at(last, self.path, self.step)
            length = last + 1
            per_path = max(1, int(np.ceil(n_blocks / max(n_paths, 1))))
            cuts = np.clip(length // min_length, 1, per_path)[self.path]
            within = np.minimum(self.step * cuts // length[self.path], cuts - 1)
            block = self.path * per_path + within
        labels, block = np.unique(block, return_inverse=True)
        return block.astype(np.int64), len(labels)


@dataclass(repr=False)
class Trajectories:
    """Sampled trajectories with constant ``dt`` or timestamps ``t``.

    Parameters
    ----------
    z : array_like of shape (n_paths, n_steps, dim) or (n_steps, dim)
        States; converted to float64. Non-finite rows are gaps.
    dt : float, optional
        Constant sampling interval.
    t : array_like of shape (n_paths, n_steps) or (n_steps,), optional
        Timestamps; give exactly one of ``dt`` and ``t``.
    meta : dict, optional
        Provenance (system, parameters, seed, source file).
    """

    z: np.ndarray
    dt: float | None = None
    t: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        z = self.z
        if isinstance(z, torch.Tensor):
            z = z.detach().cpu().numpy()
        try:
            z = np.asarray(z)
        except ValueError:
            raise PathspaceError(
                "z: expected a rectangular array, found rows of different "
                "lengths; pad paths with NaN (gaps) or pass them as separate "
                "Trajectories"
            ) from None
        if z.dtype.kind not in "fiu":
            raise PathspaceError(
                f"z: expected real numbers, found dtype {z.dtype}; convert "
                "the states to float"
            )
        z = check_layout(z)
        check_resolution(z)
        z = z.astype(np.float64, copy=False)
        if (self.dt is None) == (self.t is None):
            found = "neither" if self.dt is None else "both"
            raise PathspaceError(
                f"time: expected exactly one of a constant dt or timestamps t, "
                f"found {found}; pass Trajectories(z, dt=...) or "
                "Trajectories(z, t=...)"
            )
        if z.size == 0:
            raise PathspaceError(
                f"z: expected at least one state, found an empty array of shape "
                f"{z.shape}"
            )
        gaps = ~np.all(np.isfinite(z), axis=-1)
        if gaps.all():
            raise PathspaceError(
                "z: expected finite states, found none (every sample has a NaN "
                "or infinite coordinate); check the data or its loading"
            )
        if gaps.any():
            z = z.copy()
            z[gaps] = np.nan
        self.z = z
        if self.dt is not None:
            self.dt = check_dt(self.dt)
        else:
            self.t = check_times(self.t, z)

    def __repr__(self) -> str:
        time = f"dt={self.dt:g}" if self.dt is not None else "t=(timestamps)"
        return (
            f"Trajectories(n_paths={self.n_paths}, n_steps={self.n_steps}, "
            f"dim={self.dim}, {time})"
        )

    @property
    def n_paths(self) -> int:
        return self.z.shape[0]

    @property
    def n_steps(self) -> int:
        return self.z.shape[1]

    @property
    def dim(self) -> int:
        return self.z.shape[2]

    def times(self) -> np.ndarray:
        """Timestamps of every sample, shape (n_paths, n_steps)."""
        if self.t is not None:
            return self.t
        return np.broadcast_to(np.arange(self.n_steps) * self.dt, self.z.shape[:2])

    def transitions(self, lag: int = 1) -> Transitions:
        """All transitions over ``lag`` samples that span no gap.

        ``lag = 1`` gives the one-step transitions; ``lag = 2`` the
        overlapping two-step ones (used to extrapolate in ``dt``).
        """
        if int(lag) != lag or lag < 1:
            raise PathspaceError(f"lag: expected an integer >= 1, got {lag!r}")
        z = self.z
        ok = np.all(np.isfinite(z), axis=-1)
        n = self.n_steps - lag
        valid = np.ones((self.n_paths, max(n, 0)), dtype=bool)
        for j in range(lag + 1):
            valid &= ok[:, j : j + n]
        path, step = np.nonzero(valid)
        if self.t is None:
            dt = np.full(path.shape, lag * self.dt)
        else:
            dt = self.t[path, step + lag] - self.t[path, step]
        return Transitions(z[path, step], z[path, step + lag], dt, path, step)

    def finite_states(self) -> np.ndarray:
        """All finite samples, shape (n, dim)."""
        flat = self.z.reshape(-1, self.dim)
        return flat[np.all(np.isfinite(flat), axis=1)]

    def mean_dt(self) -> float:
        """The constant ``dt`` or the mean interval between samples."""
        if self.dt is not None:
            return self.dt
        return float(np.mean(self.transitions().dt))
