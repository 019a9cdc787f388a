"""Entropy production accumulated along observed paths under a given model.

Symbols: transitions ``z -> z'`` over ``dt`` with ``dz = z' - z`` and
midpoint ``m = (z + z') / 2``; ``f`` the model's drift and ``D`` its
constant diffusion matrix. Per transition the entropy produced is the log
ratio of the model's forward and reversed transition densities (paper
Eq. 9, one step at a time):

``"stratonovich"``
    Midpoint densities (``+ dt/2 div f(m)`` in both directions, which
    cancels): ``s = dz^T D^-1 f(m)``.
``"ito"``
    Euler densities ``N(z'; z + f(z) dt, 2 D dt)``:
    ``s = dz^T D^-1 (f(z) + f(z')) / 2 + dt (|f(z')|^2 - |f(z)|^2)_D / 4``
    with ``|a|^2_D = a^T D^-1 a``.
``"exact"``
    For a :class:`~pathspace.dynamics.LinearDrift`: the exact
    Ornstein-Uhlenbeck transition densities.

The rate is ``sum s / sum dt``. These are the one-step differences of
``pathspace.action.step_action`` evaluated on the data.
"""

from __future__ import annotations

import numpy as np
import torch

from pathspace._errors import PathspaceError
from pathspace.dynamics import Drift, LinearDrift
from pathspace.estimators._result import Estimate, block_status, warn_if_not_ok
from pathspace.simulate import Trajectories

__all__ = ["PATHWISE_CONVENTIONS", "pathwise_entropy_production"]

PATHWISE_CONVENTIONS = ("stratonovich", "ito", "exact")
_CHUNK = 1 << 16


def _step_entropy(
    drift: Drift, a: np.ndarray, e: np.ndarray, dt: np.ndarray, convention: str
) -> np.ndarray:
    """``ln p(e | a) / p(a | e)`` per transition, shape (n,)."""
    Dinv = np.linalg.inv(drift.diffusion)
    dz = e - a
    if convention == "exact":
        return _exact_step_entropy(drift, a, e, dt)
    if convention == "stratonovich":
        f = drift.numpy(torch.as_tensor(0.5 * (a + e)))
        return np.einsum("ni,ij,nj->n", dz, Dinv, f)
    fa, fe = drift.numpy(torch.as_tensor(a)), drift.numpy(torch.as_tensor(e))
    cross = np.einsum("ni,ij,nj->n", dz, Dinv, 0.5 * (fa + fe))
    kinetic = np.einsum("ni,ij,nj->n", fe, Dinv, fe) - np.einsum(
        "ni,ij,nj->n", fa, Dinv, fa
    )
    return cross + 0.25 * dt * kinetic


def _exact_step_entropy(
    drift: LinearDrift, a: np.ndarray, e: np.ndarray, dt: np.ndarray
) -> np.ndarray:
    out = np.empty(len(a))
    for h in np.unique(dt):
        sel = dt == h
        A, cov = drift.transition(float(h))
        P = np.linalg.inv(cov)
        fwd = e[sel] - a[sel] @ A.T
        bwd = a[sel] - e[sel] @ A.T
        out[sel] = 0.5 * (
            np.einsum("ni,ij,nj->n", bwd, P, bwd)
            - np.einsum("ni,ij,nj->n", fwd, P, fwd)
        )
    return out


def pathwise_entropy_production(
    traj: Trajectories,
    drift: Drift,
    convention: str = "stratonovich",
    *,
    n_blocks: int = 100,
) -> Estimate:
    """Entropy production rate of data under a model's transition densities.

    Parameters
    ----------
    traj : Trajectories
        Stationary trajectories, shape (n_paths, n_steps, dim).
    drift : Drift
        The model: its drift ``f`` and diffusion matrix ``D``.
    convention : {"stratonovich", "ito", "exact"}
        Discretisation of the transition density (module docstring);
        ``"exact"`` needs a :class:`~pathspace.dynamics.LinearDrift`.
    n_blocks : int
        Blocks (whole paths, or contiguous time blocks when there are fewer
        than 20 paths) for the standard error.

    Returns
    -------
    Estimate
        ``value = sum s / sum dt`` in nats per unit time; ``raw`` equals
        ``value`` (nothing is removed).

    Notes
    -----
    When the model is the process that made the data, this is the steady
    entropy production ``< v^T D^-1 v >`` (the mean of ``dz^T D^-1 f(m)``
    per unit time is ``< v^T D^-1 f >``, and ``< v^T grad ln rho > = 0``).
    For another model it is ``< v_data^T D^-1 f_model >``, the entropy the
    model assigns to the observed paths, not the data's own.

    Bias: relative ``O(dt)`` for ``"stratonovich"`` and ``"ito"``, none for
    ``"exact"`` on an exact linear model. Error bar: the cluster-robust
    standard error of a ratio of block sums (block sums independent).
    Assumptions: stationary data; blocks longer than the correlation time.
    """
    if not isinstance(drift, Drift):
        raise PathspaceError(
            f"drift: expected a pathspace Drift, got {type(drift).__name__}; "
            "wrap a function with pathspace.dynamics.FunctionDrift"
        )
    if convention not in PATHWISE_CONVENTIONS:
        raise PathspaceError(
            f"convention: expected one of {', '.join(PATHWISE_CONVENTIONS)}, "
            f"got {convention!r}"
        )
    if convention == "exact" and not isinstance(drift, LinearDrift):
        raise PathspaceError(
            f"convention 'exact' needs a linear drift, got {drift.name}; use "
            "'stratonovich'"
        )
    if not isinstance(traj, Trajectories):
        raise PathspaceError(
            f"traj: expected a Trajectories object, got {type(traj).__name__}"
        )
    if traj.dim != drift.dim:
        raise PathspaceError(
            f"drift: expected dimension {traj.dim} to match the data, got {drift.dim}"
        )
    tr = traj.transitions()
    if len(tr) < 10:
        raise PathspaceError(
            f"entropy production: expected at least 10 transitions, found "
            f"{len(tr)}; record longer trajectories"
        )

    s = np.concatenate(
        [
            _step_entropy(
                drift,
                tr.start[lo : lo + _CHUNK],
                tr.end[lo : lo + _CHUNK],
                tr.dt[lo : lo + _CHUNK],
                convention,
            )
            for lo in range(0, len(tr), _CHUNK)
        ]
    )
    block, count = tr.blocks(n_blocks)
    s_k = np.bincount(block, s, count)
    t_k = np.bincount(block, tr.dt, count)
    value = float(s_k.sum() / t_k.sum())
    resid = (s_k - value * t_k) / t_k.sum()
    stderr = float(np.sqrt(count / max(count - 1, 1) * np.sum(resid**2)))

    status, message = block_status(count)
    warn_if_not_ok(status, message, "entropy production")
    return Estimate(
        value=value,
        stderr=stderr,
        raw=value,
        bias=0.0,
        n_samples=len(tr),
        estimator=f"pathwise-{convention}",
        status=status,
        message=message,
        details={
            "model": drift.name,
            "convention": convention,
            "n_blocks": count,
            "total_time": float(t_k.sum()),
        },
    )
