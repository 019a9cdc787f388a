"""Batched integrators for dz = f(z) dt + sqrt(2 D) dW.

Schemes
-------
``euler``
    Euler-Maruyama, ``z' = z + f(z) dt + sqrt(2 D dt) xi`` (Ito).
``heun``
    Stochastic Heun (trapezoidal predictor-corrector), consistent with the
    Stratonovich interpretation; for the constant ``D`` used here Ito and
    Stratonovich coincide and Heun has weak order 2 for the drift part.
``exact``
    For :class:`~pathspace.dynamics.LinearDrift` only: draws from the exact
    Gaussian transition of the Ornstein-Uhlenbeck process, so the samples
    carry no discretisation bias at any ``dt``.

Paths are integrated in chunks of paths so that working memory stays
bounded; within a chunk noise is drawn for blocks of steps at a time from
NumPy's PCG64 generator. Seeds are explicit: the same arguments and seed
give the same array.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import torch

from pathspace._errors import PathspaceError
from pathspace._validation import check_dt, check_int, check_seed
from pathspace.dynamics import Drift, LinearDrift
from pathspace.simulate._trajectories import Trajectories

__all__ = ["simulate", "SCHEMES"]

SCHEMES = ("euler", "heun", "exact")
_log = logging.getLogger(__name__)
_log.addHandler(logging.NullHandler())


def _initial_states(
    drift: Drift, n_paths: int, z0: Any, rng: np.random.Generator
) -> torch.Tensor:
    if z0 is not None:
        start = torch.as_tensor(np.asarray(z0, dtype=np.float64))
        if start.shape not in ((drift.dim,), (n_paths, drift.dim)):
            raise PathspaceError(
                f"z0: expected shape ({drift.dim},) or ({n_paths}, "
                f"{drift.dim}), got {tuple(start.shape)}"
            )
        return start.expand(n_paths, drift.dim).clone()
    cov = drift.exact_stationary_covariance()
    if cov is None:
        return torch.zeros(n_paths, drift.dim, dtype=torch.float64)
    try:
        chol = np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise PathspaceError(
            f"{drift.name}: the stationary covariance is not positive definite "
            f"for {drift.params}; check the parameters or give z0"
        ) from None
    xi = rng.standard_normal((n_paths, drift.dim))
    return torch.as_tensor(xi @ chol.T)


def simulate(
    drift: Drift,
    n_paths: int,
    n_steps: int,
    dt: float,
    *,
    z0: Any = None,
    seed: int = 0,
    scheme: str = "euler",
    burn_in: int = 0,
    record_every: int = 1,
    chunk_paths: int = 4096,
) -> Trajectories:
    """Integrate ``n_paths`` independent paths and record ``n_steps`` states.

    Parameters
    ----------
    drift : Drift
        The drift ``f`` and its diffusion matrix ``D``.
    n_paths : int
        Number of independent paths.
    n_steps : int
        Number of recorded states per path (the first is the state after
        burn-in).
    dt : float
        Integration step. Recorded samples are ``record_every * dt`` apart.
    z0 : array_like of shape (dim,) or (n_paths, dim), optional
        Initial states. By default a draw from the exact stationary law
        where the drift knows it (linear systems), else the origin; use
        ``burn_in`` to forget the start.
    seed : int
        Seed of the noise; the same seed gives the same array.
    scheme : {"euler", "heun", "exact"}
        Integration scheme (see module docstring).
    burn_in : int
        Integration steps discarded before the first recorded state.
    record_every : int
        Record every k-th integration step.
    chunk_paths : int
        Paths integrated together; bounds working memory.

    Returns
    -------
    Trajectories
        States of shape ``(n_paths, n_steps, dim)`` with
        ``dt = record_every * dt``.

    Raises
    ------
    PathspaceError
        On invalid arguments, or when a state turns non-finite (the message
        names the system and the step).
    """
    if not isinstance(drift, Drift):
        raise PathspaceError(
            f"drift: expected a pathspace Drift, got {type(drift).__name__}; "
            "build one with make_system(name, **params), LinearDrift(F, D) or "
            "FunctionDrift(f, dim, D)"
        )
    n_paths = check_int(n_paths, "n_paths")
    n_steps = check_int(n_steps, "n_steps")
    burn_in = check_int(burn_in, "burn_in", 0)
    record_every = check_int(record_every, "record_every")
    chunk_paths = check_int(chunk_paths, "chunk_paths")
    dt = check_dt(dt)
    if scheme not in SCHEMES:
        raise PathspaceError(
            f"scheme: expected one of {', '.join(SCHEMES)}, got {scheme!r}"
        )
    if scheme == "exact" and not isinstance(drift, LinearDrift):
        raise PathspaceError(
            f"scheme 'exact' needs a linear drift, got {drift.name}; use "
            "'euler' or 'heun' with a small dt"
        )

    _check_memory(n_paths * n_steps * drift.dim * 8)
    rng = np.random.default_rng(check_seed(seed))
    start = _initial_states(drift, n_paths, z0, rng)
    out = np.empty((n_steps, n_paths, drift.dim))  # time-major while writing
    for lo in range(0, n_paths, chunk_paths):
        hi = min(lo + chunk_paths, n_paths)
        record = torch.from_numpy(out[:, lo:hi])
        _integrate_chunk(
            drift, start[lo:hi], record, dt, scheme, burn_in, record_every, rng
        )
    out = np.ascontiguousarray(out.transpose(1, 0, 2))
    meta = {
        "system": drift.name,
        "params": drift.params,
        "seed": seed,
        "scheme": scheme,
        "integration_dt": dt,
    }
    return Trajectories(out, dt=dt * record_every, meta=meta)


def _check_memory(n_bytes: int) -> None:
    """Refuse an output array that would not fit in the available memory."""
    try:
        import psutil

        available = psutil.virtual_memory().available
    except ImportError:  # pragma: no cover - psutil comes with dask
        return
    if 2 * n_bytes > available:
        raise PathspaceError(
            f"simulate: the trajectories need {n_bytes / 2**30:.3g} GiB (twice "
            f"that while recording), {available / 2**30:.3g} GiB are free; "
            "record fewer paths or steps, or use record_every"
        )


def _stepper(drift: Drift, dt: float, scheme: str):
    """Return the noise factor ``L`` and ``step(z, noise)`` advancing by ``dt``.

    ``noise`` is ``xi @ L^T`` for standard normals ``xi``, drawn for a block of
    steps at once.
    """
    f = drift.forward  # inputs are validated once, not at every step
    if scheme == "exact":
        A, cov = drift.transition(dt)
        At = torch.as_tensor(A.T).contiguous()
        return np.linalg.cholesky(cov), lambda z, noise: torch.addmm(noise, z, At)
    L = np.linalg.cholesky(2.0 * drift.diffusion * dt)
    if scheme == "euler":
        return L, lambda z, noise: torch.add(z, f(z), alpha=dt).add_(noise)

    def heun(z: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        f0 = f(z)
        guess = torch.add(z, f0, alpha=dt).add_(noise)
        return torch.add(z, f0.add_(f(guess)), alpha=0.5 * dt).add_(noise)

    return L, heun


def _integrate_chunk(
    drift: Drift,
    z: torch.Tensor,
    record: torch.Tensor,
    dt: float,
    scheme: str,
    burn_in: int,
    record_every: int,
    rng: np.random.Generator,
) -> None:
    """Integrate one chunk of paths, writing states into ``record``.

    ``record`` has shape ``(n_steps, n, dim)`` (time-major).
    """
    L, step = _stepper(drift, dt, scheme)
    Lt = torch.as_tensor(L.T).contiguous()
    n_steps, n, dim = record.shape
    total = burn_in + (n_steps - 1) * record_every
    # noise for a block of steps at a time; small blocks stay in cache
    block = max(1, min(total, 2**16 // max(n * dim, 1)))
    k, saved = 0, 0
    if burn_in == 0:
        record[0] = z
        saved = 1
    with torch.no_grad():
        while k < total:
            m = min(block, total - k)
            noise = torch.from_numpy(rng.standard_normal((m, n, dim))) @ Lt
            for i in range(m):
                z = step(z, noise[i])
                k += 1
                if k >= burn_in and (k - burn_in) % record_every == 0:
                    record[saved] = z
                    saved += 1
            if not torch.isfinite(z).all():
                bad = int(k)
                raise PathspaceError(
                    f"{drift.name}: the state became non-finite by integration "
                    f"step {bad} (dt={dt}); reduce dt or check the parameters "
                    f"{drift.params}"
                )
    assert saved == n_steps
