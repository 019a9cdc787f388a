"""Locality (prediction P1): how much history changes the estimated drift.

Symbols: transitions ``z_t -> z_{t+1}`` over ``dt`` with velocity
``u = (z_{t+1} - z_t) / dt``; ``z_{t-k}`` the state ``lag = k`` samples
earlier. The local drift ``f_local`` is the least-squares projection of
``u`` on basis functions of ``z_t``; the history drift ``f_hist`` the
projection on the same kind of functions of ``(z_t, z_{t-k})``, a span that
contains the local one. The memory parameter of the paper (Eq. 4, Sec. VI.1)
is measured as

    epsilon = sqrt( < |f_hist - f_local|^2 > / < |f_local|^2 > ),

dimensionless. For Markov data ``E[u | z_t, z_{t-k}] = E[u | z_t]`` and
``epsilon = 0`` up to basis error; a hidden slow variable, or observing
fewer coordinates than the process has, makes the past informative and
``epsilon > 0``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from pathspace._errors import PathspaceError
from pathspace.estimators._entropy import _bootstrap_weights
from pathspace.estimators._projection import make_basis
from pathspace.estimators._result import block_status, warn_if_not_ok
from pathspace.simulate import Trajectories

__all__ = ["Locality", "locality"]


@dataclass
class Locality:
    """The locality measurement and its error bar.

    Attributes
    ----------
    epsilon : float
        ``sqrt(max(epsilon_sq, 0))``, dimensionless.
    stderr : float
        Block-bootstrap standard error of ``epsilon``.
    epsilon_sq : float
        Debiased ``< |f_hist - f_local|^2 > / < |f_local|^2 >``; may be
        slightly negative for Markov data (use it for tests against 0).
    epsilon_sq_stderr : float
        Block-bootstrap standard error of ``epsilon_sq``.
    raw : float
        The plug-in ``epsilon`` before the noise terms are removed.
    lag : int
        History lag in samples; ``lag_time`` the same in time units.
    lag_time : float
    n_samples : int
        Transitions with a finite history state.
    n_blocks : int
    basis : str
    status, message : str
        ``"ok"`` or ``"under-sampled"`` with the reason.
    """

    epsilon: float
    stderr: float
    epsilon_sq: float
    epsilon_sq_stderr: float
    raw: float
    lag: int
    lag_time: float
    n_samples: int
    n_blocks: int
    basis: str
    status: str = "ok"
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dictionary."""
        return asdict(self)


def _weighted_u(
    x: np.ndarray, gram: np.ndarray, n: np.ndarray, w: np.ndarray
) -> np.ndarray:
    """Debiased and plug-in ``tr(X G^-1 X^T)`` per bootstrap replicate.

    ``x`` (B, dim, K) block sums of ``u b^T``, ``gram`` (B, K, K) block sums
    of ``b b^T``, ``n`` (B,) counts, ``w`` (R, B) block multiplicities. Only
    products of distinct original blocks enter the numerator.
    """
    G = np.einsum("rk,kab->rab", w, gram) / (w @ n)[:, None, None]
    Ginv = np.linalg.pinv(G, hermitian=True)
    S = np.einsum("rk,kia->ria", w, x)
    full = np.einsum("ria,rab,rib->r", S, Ginv, S)
    own = np.einsum("rk,kia,rab,kib->r", w**2, x, Ginv, x)
    pairs = (w @ n) ** 2 - (w**2) @ (n**2)
    return (full - own) / pairs, full / (w @ n) ** 2


def locality(
    traj: Trajectories,
    lag: int = 1,
    basis: Any = "linear",
    *,
    n_blocks: int = 100,
    n_boot: int = 200,
    seed: int = 0,
) -> Locality:
    """Relative change of the drift when conditioned on history (P1).

    Parameters
    ----------
    traj : Trajectories
        Trajectories, shape (n_paths, n_steps, dim).
    lag : int
        The history state is ``z_{t - lag}`` (in samples, >= 1).
    basis : {"linear", "quadratic", "cubic"} or int
        Polynomial degree of the drift fits; the history fit uses the same
        degree in the joint variable ``(z_t, z_{t - lag})``.
    n_blocks : int
        Independent blocks (whole paths, or contiguous time blocks when
        there are fewer than 20 paths).
    n_boot : int
        Bootstrap replicates for the standard errors.
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    Locality
        ``epsilon`` with its standard error; ``to_dict()`` for JSON.

    Notes
    -----
    Formula. With ``X = < u b^T >`` and ``G = < b b^T >`` for the local
    (``b(z_t)``) and history (``b(z_t, z_{t-k})``) features,
    ``< |f|^2 > = tr(X G^-1 X^T)`` for each fit and, the local span lying
    inside the history span, ``< |f_hist - f_local|^2 >`` is the difference
    of the two.

    Bias. Each plug-in ``tr(X G^-1 X^T)`` carries the noise of ``u``
    (about ``tr(2 D) K / (N dt)``, large at small ``dt``). It is removed by
    keeping only products of block sums from distinct, independent blocks
    (a U-statistic), so Markov data give ``epsilon_sq`` centred on zero.
    ``epsilon`` itself is clipped at 0 and so biased upwards near 0 by
    about its standard error; test ``epsilon_sq`` against 0 instead. A
    basis too poor for the local drift (a linear fit to a nonlinear drift)
    leaves a residual that past states can predict, and reads as memory:
    use a degree that fits ``f``.

    Error bar. Block bootstrap of the whole ratio, Gram matrices included.

    Assumptions: stationary data; blocks longer than the correlation time;
    the drift is Euclidean-normed, so ``epsilon`` is invariant under
    rotations and a common rescaling of the coordinates, not under
    anisotropic rescaling.
    """
    if not isinstance(traj, Trajectories):
        raise PathspaceError(
            f"traj: expected a Trajectories object, got {type(traj).__name__}"
        )
    if isinstance(lag, bool) or int(lag) != lag or lag < 1:
        raise PathspaceError(f"lag: expected an integer >= 1, got {lag!r}")
    if callable(basis):
        raise PathspaceError(
            "basis: expected a name or a polynomial degree for locality, got a "
            "callable; the history fit needs a polynomial family"
        )
    for name, val, low in (("n_blocks", n_blocks, 2), ("n_boot", n_boot, 2)):
        if int(val) != val or val < low:
            raise PathspaceError(f"{name}: expected an integer >= {low}, got {val!r}")

    # Transitions whose history sample lag steps back is finite.
    tr = traj.transitions()
    keep = tr.step >= lag
    hist = traj.z[tr.path[keep], tr.step[keep] - lag]
    keep[keep] = np.all(np.isfinite(hist), axis=1)
    n = int(keep.sum())
    dim = traj.dim
    if n < 20:
        raise PathspaceError(
            f"locality: expected at least 20 transitions with a history "
            f"{lag} steps back, found {n}; record longer paths or lower lag"
        )
    z_t, z_h = tr.start[keep], traj.z[tr.path[keep], tr.step[keep] - lag]
    u = (tr.end[keep] - z_t) / tr.dt[keep, None]
    block, count = tr.blocks(n_blocks)
    block = block[keep]
    used = np.unique(block)
    block = np.searchsorted(used, block)
    count = len(used)

    # Block sums for the local and the history fits.
    phi_l = make_basis(basis, z_t)
    joint = np.hstack([z_t, z_h])
    phi_h = make_basis(basis, joint)
    sums = {}
    for key, feats in (("local", phi_l(z_t)), ("hist", phi_h(joint))):
        K = feats.shape[1]
        x = np.zeros((count, dim, K))
        g = np.zeros((count, K, K))
        for k in range(count):
            sel = block == k
            x[k] = u[sel].T @ feats[sel]
            g[k] = feats[sel].T @ feats[sel]
        sums[key] = (x, g)
    counts = np.bincount(block, minlength=count).astype(np.float64)

    rng = np.random.default_rng(seed)
    w = np.vstack([np.ones((1, count)), _bootstrap_weights(count, n_boot, rng)])
    loc, loc_raw = _weighted_u(*sums["local"], counts, w)
    his, his_raw = _weighted_u(*sums["hist"], counts, w)
    eps_sq = (his - loc) / loc
    eps = np.sqrt(np.maximum(eps_sq, 0.0))
    raw = float(np.sqrt(max(his_raw[0] - loc_raw[0], 0.0) / loc_raw[0]))

    status, message = block_status(count)
    if status == "ok" and loc[0] <= 0:
        status = "under-sampled"
        message = (
            "the local drift is not resolved above the noise; record "
            "more data or a coarser dt"
        )
    warn_if_not_ok(status, message, "locality")
    dt_mean = float(np.mean(tr.dt))
    return Locality(
        epsilon=float(eps[0]),
        stderr=float(np.std(eps[1:], ddof=1)),
        epsilon_sq=float(eps_sq[0]),
        epsilon_sq_stderr=float(np.std(eps_sq[1:], ddof=1)),
        raw=raw,
        lag=int(lag),
        lag_time=float(lag * dt_mean),
        n_samples=n,
        n_blocks=count,
        basis=str(basis),
        status=status,
        message=message,
    )
