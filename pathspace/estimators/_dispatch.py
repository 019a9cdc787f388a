"""One entry point for every entropy-production estimator.

``auto`` picks by dimension: the debiased grid estimator up to two
dimensions, projection on a basis above (grids need data exponential in the
dimension).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from pathspace._errors import PathspaceError
from pathspace._validation import check_seed
from pathspace.estimators._assumptions import (
    assumption_violation,
    sampled_scaling,
    time_major_violation,
)
from pathspace.estimators._diffusion import find_jumps
from pathspace.estimators._entropy import grid_entropy_production
from pathspace.estimators._result import Estimate, warn_if_not_ok
from pathspace.simulate import Trajectories

__all__ = ["ESTIMATORS", "choose_estimator", "entropy_production"]

ESTIMATORS = ("auto", "stratonovich", "paper", "projection", "neural")


def choose_estimator(dim: int, n_transitions: int) -> str:
    """The estimator ``auto`` resolves to for data of this shape."""
    return "stratonovich" if dim <= 2 else "projection"


def entropy_production(
    traj: Trajectories, estimator: str = "auto", *, seed: int = 0, **options: Any
) -> Estimate:
    """Steady-state entropy production rate of trajectories.

    Parameters
    ----------
    traj : Trajectories
        Stationary trajectories, shape (n_paths, n_steps, dim).
    estimator : str
        ``"auto"`` (default), ``"stratonovich"`` (debiased grid),
        ``"paper"`` (published grid estimator), ``"projection"`` (basis
        projection, any dimension) or ``"neural"`` (variational bound).
    seed : int
        Seed of the randomised parts (bootstrap, network training); the
        projection estimator's error bar is analytic and uses none.
    **options
        Passed to the chosen estimator.

    Returns
    -------
    Estimate
        Value in nats per unit time with its standard error. Its status is
        ``assumption-violated``, with the reason in ``message``, when the
        data do not look like stationary paths of a diffusion stored
        ``(n_paths, n_steps, dim)`` (see
        :mod:`pathspace.estimators._assumptions`), and ``discontinuous``
        when some increment is a jump.
    """
    if not isinstance(traj, Trajectories):
        raise PathspaceError(
            f"traj: expected pathspace.Trajectories, got {type(traj).__name__}; "
            "wrap an array as Trajectories(z, dt=...) with z of shape "
            "(n_paths, n_steps, dim)"
        )
    check_seed(seed)
    if estimator not in ESTIMATORS:
        raise PathspaceError(
            f"estimator: expected one of {', '.join(ESTIMATORS)}, got {estimator!r}"
        )
    if estimator == "auto":
        estimator = choose_estimator(traj.dim, traj.n_paths * traj.n_steps)
    if estimator in ("stratonovich", "paper"):
        _check_options(grid_entropy_production, options, estimator)
        est = grid_entropy_production(traj, estimator, seed=seed, **options)
    elif estimator == "projection":
        from pathspace.estimators._projection import projection_entropy_production

        _check_options(projection_entropy_production, options, estimator)
        est = projection_entropy_production(traj, **options)
    else:
        from pathspace.estimators._neural import neural_entropy_production

        _check_options(neural_entropy_production, options, estimator)
        est = neural_entropy_production(traj, seed=seed, **options)
    jumps = find_jumps(traj)
    if jumps and est.status in ("ok", "coarse-sampling", "biased"):
        est.status, est.message = "discontinuous", jumps
        warn_if_not_ok(est.status, est.message, "entropy production")
    if est.status in ("ok", "coarse-sampling"):
        scaling = sampled_scaling(traj, seed=seed)
        est.details["diffusive_scaling"] = scaling
        reason = assumption_violation(traj, scaling)
    else:
        reason = time_major_violation(traj)
    if reason:
        est.status, est.message = "assumption-violated", reason
        warn_if_not_ok(est.status, est.message, "entropy production")
    return est


def _check_options(fn: Callable[..., Any], options: dict[str, Any], name: str) -> None:
    """Refuse an option the chosen estimator does not take, naming those it does."""
    params = inspect.signature(fn).parameters
    accepted = sorted(
        k
        for k, p in params.items()
        if p.default is not p.empty and k not in ("estimator", "seed")
    )
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise PathspaceError(
            f"estimator {name!r}: unknown option {', '.join(unknown)}; it accepts "
            f"{', '.join(accepted) or 'no options'} (the estimator itself is "
            "chosen with estimator=...)"
        )
