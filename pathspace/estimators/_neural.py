"""Entropy production by a neural variational estimator (NEEP).

Symbols: transitions ``z -> z'`` over ``dt`` with ``dz = z' - z`` and
midpoint ``m = (z + z') / 2``. A network ``g`` defines the antisymmetric
function

    h(z, z') = g(m, dz) - g(m, -dz) = -h(z', z),

trained to maximise ``J[h] = < h - exp(-h) >`` over observed transitions.
The maximiser is the log ratio of forward and reversed pair densities,
``h* = ln p(z, z') / p(z', z)``, whose mean is the entropy produced per
step; for any ``h``, ``J[h] + 1`` is a lower bound on it (the NWJ bound
with the reversed pairs as the reference). The rate is ``< h > / < dt >``
on held-out transitions, in nats per unit time.

Reference: D.-K. Kim, Y. Bae, S. Lee and H. Jeong, Phys. Rev. Lett. 125,
140604 (2020).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch

from pathspace._errors import ConvergenceWarning, PathspaceError
from pathspace.estimators._result import Estimate
from pathspace.simulate import Trajectories

__all__ = ["neural_entropy_production"]

_MIN_STEPS = 200  # fewer optimiser steps cannot show a plateau
_N_EVALS = 20


class _Antisymmetric(torch.nn.Module):
    """``h(z, z') = g(m, dz) - g(m, -dz)`` with ``g`` a small MLP."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.g = torch.nn.Sequential(
            torch.nn.Linear(2 * dim, hidden),
            torch.nn.SiLU(),
            torch.nn.Linear(hidden, hidden),
            torch.nn.SiLU(),
            torch.nn.Linear(hidden, 1),
        )

    def forward(self, m: torch.Tensor, dz: torch.Tensor) -> torch.Tensor:
        fwd = self.g(torch.cat([m, dz], -1))
        bwd = self.g(torch.cat([m, -dz], -1))
        return (fwd - bwd).squeeze(-1)


def _objective(h: torch.Tensor) -> torch.Tensor:
    return (h - torch.exp(-h)).mean()


def neural_entropy_production(
    traj: Trajectories,
    *,
    hidden: int = 64,
    steps: int = 1000,
    lr: float = 3e-3,
    batch_size: int = 4096,
    holdout: float = 0.3,
    n_blocks: int = 100,
    seed: int = 0,
    num_threads: int | None = 1,
) -> Estimate:
    """Entropy production rate from a learned antisymmetric function.

    Parameters
    ----------
    traj : Trajectories
        Stationary trajectories, shape (n_paths, n_steps, dim).
    hidden : int
        Width of the two hidden layers of ``g``.
    steps : int
        Adam steps on minibatches of training transitions.
    lr : float
        Adam learning rate.
    batch_size : int
        Transitions per step.
    holdout : float
        Fraction of blocks (whole paths, or contiguous time blocks when
        there are fewer than 20 paths) held out to evaluate the estimate.
    n_blocks : int
        Number of blocks for the split and for the error bar.
    seed : int
        Seed of the initialisation, the split and the minibatches.
    num_threads : int or None
        Torch threads while training (restored afterwards). One is fastest
        for networks this small and on a shared machine; None leaves the
        setting alone.

    Returns
    -------
    Estimate
        ``value = < h > / < dt >`` on the held-out transitions, nats per
        unit time; ``raw`` the same on the training transitions, so
        ``bias`` is the optimism of the fit. Status ``"not-converged"``
        (value NaN, the number reached in ``details["unconverged_value"]``)
        when the held-out objective was still rising over the last quarter
        of training or the budget was too small to tell.

    Notes
    -----
    Bias: the held-out value is not biased by overfitting, but an
    under-trained ``h`` underestimates (``< h >`` approaches the entropy
    per step from below as ``h -> h*``), and the per-step entropy of pairs
    sampled ``dt`` apart is itself below ``sigma_dot dt`` by a relative
    ``O(dt)``. Error bar: cluster-robust standard error of the held-out
    ratio over blocks, with ``h`` fixed; the variability of training is not
    included. Assumptions: stationary Markov data whose coordinates are
    even under time reversal; blocks longer than the correlation time.
    """
    _check(traj, hidden, steps, lr, batch_size, holdout, n_blocks)
    tr = traj.transitions()
    block, count = tr.blocks(n_blocks)
    rng = np.random.default_rng(seed)
    n_test = max(1, int(round(holdout * count)))
    test_blocks = rng.permutation(count)[:n_test]
    is_test = np.isin(block, test_blocks)
    if is_test.all() or not is_test.any():
        raise PathspaceError(
            f"holdout: {holdout} leaves no training or no held-out block "
            f"among {count}; record more paths or change holdout"
        )

    # Whitened midpoints and scaled increments as network inputs.
    m, dz = tr.midpoint, tr.increment
    mean, scale = m.mean(0), m.std(0) + 1e-300
    dz_scale = dz.std(0) + 1e-300
    m_t = torch.as_tensor((m - mean) / scale)
    dz_t = torch.as_tensor(dz / dz_scale)
    train = torch.as_tensor(np.nonzero(~is_test)[0])
    test = torch.as_tensor(np.nonzero(is_test)[0])

    # Train in float32 (twice as fast); evaluate the estimate in float64.
    threads = torch.get_num_threads()
    try:
        if num_threads is not None:
            torch.set_num_threads(int(num_threads))
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            net = _Antisymmetric(traj.dim, hidden).float()
            history, snapshots = _train(
                net, m_t.float(), dz_t.float(), train, test, steps, lr, batch_size
            )
        with torch.no_grad():
            h = net.to(torch.float64)(m_t, dz_t).numpy()
    finally:
        torch.set_num_threads(threads)
    t_k = np.bincount(block, tr.dt, count)
    h_k = np.bincount(block, h, count)
    value, stderr = _ratio(h_k[test_blocks], t_k[test_blocks])
    train_blocks = np.setdiff1d(np.arange(count), test_blocks)
    raw, _ = _ratio(h_k[train_blocks], t_k[train_blocks])
    bound = float((h[is_test] - np.exp(-h[is_test]) + 1.0).sum() / tr.dt[is_test].sum())

    status, message = _convergence(history, snapshots, steps, block[is_test])
    details: dict[str, Any] = {
        "held_out_objective": history,
        "lower_bound": bound,
        "n_train": int(len(train)),
        "n_test": int(len(test)),
        "n_blocks": count,
        "steps": steps,
        "hidden": hidden,
    }
    if status != "ok":
        warnings.warn(
            f"neural entropy production: {message}", ConvergenceWarning, stacklevel=2
        )
        details["unconverged_value"] = value
        value, stderr = float("nan"), float("nan")
    return Estimate(
        value=value,
        stderr=stderr,
        raw=raw,
        bias=raw - value,
        n_samples=len(tr),
        estimator="neural",
        status=status,
        message=message,
        details=details,
    )


def _check(
    traj: Any,
    hidden: int,
    steps: int,
    lr: float,
    batch_size: int,
    holdout: float,
    n_blocks: int,
) -> None:
    if not isinstance(traj, Trajectories):
        raise PathspaceError(
            f"traj: expected a Trajectories object, got {type(traj).__name__}"
        )
    for name, val, low in (
        ("hidden", hidden, 1),
        ("steps", steps, 1),
        ("batch_size", batch_size, 1),
        ("n_blocks", n_blocks, 2),
    ):
        if isinstance(val, bool) or int(val) != val or val < low:
            raise PathspaceError(f"{name}: expected an integer >= {low}, got {val!r}")
    if not (np.isfinite(lr) and lr > 0):
        raise PathspaceError(f"lr: expected a positive learning rate, got {lr!r}")
    if not 0 < holdout < 1:
        raise PathspaceError(
            f"holdout: expected a fraction strictly between 0 and 1, got {holdout!r}"
        )
    if traj.n_paths * (traj.n_steps - 1) < 100:
        raise PathspaceError(
            "entropy production: the neural estimator needs at least 100 "
            "transitions; record longer trajectories"
        )


def _train(
    net: _Antisymmetric,
    m: torch.Tensor,
    dz: torch.Tensor,
    train: torch.Tensor,
    test: torch.Tensor,
    steps: int,
    lr: float,
    batch_size: int,
) -> tuple[list[float], list[np.ndarray]]:
    """Adam on minibatches: constant rate for 3/4 of the steps, then cosine
    decay to zero. Returns the held-out objective every few steps and the
    held-out terms ``h - exp(-h)`` at 1/2 and 3/4 of the steps."""
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    hold = int(0.75 * steps)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt,
        lambda k: (
            1.0 if k < hold else 0.5 * (1 + np.cos(np.pi * (k - hold) / (steps - hold)))
        ),
    )
    every = max(1, steps // _N_EVALS)
    marks = {max(1, steps // 2), max(1, hold)}
    history: list[float] = []
    snapshots: list[np.ndarray] = []
    for k in range(1, steps + 1):
        pick = train[torch.randint(len(train), (min(batch_size, len(train)),))]
        loss = -_objective(net(m[pick], dz[pick]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if k % every == 0 or k == steps or k in marks:
            with torch.no_grad():
                h = net(m[test], dz[test])
                terms = (h - torch.exp(-h)).double().numpy()
            if k in marks:
                snapshots.append(terms)
            if k % every == 0 or k == steps:
                history.append(float(terms.mean()))
    return history, snapshots


def _ratio(s_k: np.ndarray, t_k: np.ndarray) -> tuple[float, float]:
    """``sum s / sum t`` and its cluster-robust standard error."""
    value = s_k.sum() / t_k.sum()
    resid = (s_k - value * t_k) / t_k.sum()
    n = len(s_k)
    return float(value), float(np.sqrt(n / max(n - 1, 1) * np.sum(resid**2)))


def _convergence(
    history: list[float],
    snapshots: list[np.ndarray],
    steps: int,
    block_test: np.ndarray,
) -> tuple[str, str]:
    """``("ok", "")`` when the held-out objective had plateaued.

    Compared at 1/2 and 3/4 of the steps (both at the full learning rate),
    on the same held-out transitions: a rise larger than twice its paired
    block standard error and than 5 % of the total gain means training was
    still making progress when the rate began to decay.
    """
    if steps < _MIN_STEPS or len(snapshots) < 2:
        return (
            "not-converged",
            f"{steps} optimiser steps are too few to check for a plateau; "
            f"use steps >= {_MIN_STEPS}",
        )
    labels = np.unique(block_test, return_inverse=True)[1]
    diff = np.bincount(labels, snapshots[1] - snapshots[0])
    counts = np.bincount(labels).astype(np.float64)
    rise, se = _ratio(diff, counts)
    gain_total = max(history) - history[0]
    if rise > max(2.0 * se, 0.05 * gain_total):
        return (
            "not-converged",
            f"the held-out objective still rose by {rise:.3g} (+- {se:.2g}) "
            "between 1/2 and 3/4 of training; raise steps or lr",
        )
    return "ok", ""
