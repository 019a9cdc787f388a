"""Per-bin, per-block sufficient statistics of transitions.

Binned estimators (drift, diffusion, current, entropy production) are
functions of four sums per bin: the number of transitions ``n``, their total
time ``T = sum dt``, the summed increment ``sum dz`` and the time-weighted
outer product ``sum dz dz^T / dt``. The weights make the residual sum
``sum dz dz^T / dt - (sum dz)(sum dz)^T / T`` have expectation
``2 D (n - 1)`` for any mix of intervals ``dt``: the weighted least-squares
fit of a constant velocity in each bin. Keeping the sums per resampling block lets a
block bootstrap recompute any estimator from ``weights @ sums`` without
touching the transitions again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["BinnedSums", "binned_sums"]


@dataclass(frozen=True)
class BinnedSums:
    """Sums over transitions, shape ``(n_blocks, n_bins, ...)`` or summed.

    Attributes
    ----------
    count : ndarray (..., n_bins)
    time : ndarray (..., n_bins)
        ``sum dt``.
    s1 : ndarray (..., n_bins, dim)
        ``sum dz``.
    s2 : ndarray (..., n_bins, dim, dim)
        ``sum dz dz^T / dt``.
    """

    count: np.ndarray
    time: np.ndarray
    s1: np.ndarray
    s2: np.ndarray

    def total(self) -> BinnedSums:
        """Sum over the block axis."""
        return BinnedSums(*(a.sum(axis=0) for a in self._fields()))

    def reweight(self, weights: np.ndarray) -> BinnedSums:
        """Bootstrap replicates: ``weights`` of shape (n_rep, n_blocks)."""
        return BinnedSums(
            *(np.tensordot(weights, a, axes=(1, 0)) for a in self._fields())
        )

    def _fields(self) -> tuple[np.ndarray, ...]:
        return (self.count, self.time, self.s1, self.s2)


def binned_sums(
    index: np.ndarray,
    block: np.ndarray,
    n_bins: int,
    n_blocks: int,
    dt: np.ndarray,
    dz: np.ndarray,
) -> BinnedSums:
    """Accumulate the sums of transitions by (block, bin).

    Transitions with ``index < 0`` (outside the grid) are dropped.
    """
    keep = index >= 0
    key = block[keep] * n_bins + index[keep]
    dt, dz = dt[keep], dz[keep]
    size = n_blocks * n_bins
    dim = dz.shape[1]

    def acc(weights: np.ndarray | None) -> np.ndarray:
        return np.bincount(key, weights=weights, minlength=size).reshape(
            n_blocks, n_bins
        )

    s1 = np.stack([acc(dz[:, i]) for i in range(dim)], axis=-1)
    s2 = np.empty((n_blocks, n_bins, dim, dim))
    for i in range(dim):
        for j in range(i, dim):
            s2[..., i, j] = s2[..., j, i] = acc(dz[:, i] * dz[:, j] / dt)
    return BinnedSums(acc(None), acc(dt), s1, s2)
