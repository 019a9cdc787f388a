"""Training data for attention world models: exact rotating-OU transitions.

The data process is the rotating Ornstein-Uhlenbeck process of the paper's
Sec. VII.3,

    dz = (-a z + omega R z) dt + sqrt(2 D) dW,

with ``R`` the planar rotation generator. Its drift matrix
``W_omega = -a I + omega R`` is normal, its stationary law is
``N(0, D / a I)`` and its entropy production is ``2 omega^2 / a`` nats per
unit time (``omega = 0`` is relaxational: detailed balance holds). Samples
come from the exact Gaussian transition over ``dt``
(:meth:`~pathspace.dynamics.LinearDrift.transition`), so the data carry no
discretisation error at any ``dt``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from pathspace._errors import PathspaceError
from pathspace.dynamics import LinearDrift, make_system
from pathspace.simulate import Trajectories, simulate

__all__ = ["TransitionData", "rotating_ou", "rotating_ou_mean", "sample_rotating_ou"]


def rotating_ou(a: float, omega: float, diffusion: float) -> LinearDrift:
    """The rotating Ornstein-Uhlenbeck drift ``f = (-a I + omega R) z``.

    Parameters
    ----------
    a : float
        Relaxation rate, > 0.
    omega : float
        Rotation rate (0 gives relaxational data).
    diffusion : float
        Scalar diffusion coefficient ``D`` > 0.
    """
    if not np.isfinite(a) or a <= 0:
        raise PathspaceError(f"a: expected a relaxation rate > 0, got {a!r}")
    if not np.isfinite(omega):
        raise PathspaceError(f"omega: expected a finite rotation rate, got {omega!r}")
    return make_system("rotating-ou", a=a, omega=omega, D=diffusion)


def sample_rotating_ou(
    a: float,
    omega: float,
    diffusion: float,
    dt: float,
    n_paths: int,
    n_steps: int,
    *,
    seed: int = 0,
) -> Trajectories:
    """Exact samples of the rotating OU process, started stationary.

    Parameters
    ----------
    a, omega, diffusion : float
        Process parameters (see :func:`rotating_ou`).
    dt : float
        Time between recorded states.
    n_paths : int
        Independent paths.
    n_steps : int
        States per path (``n_steps - 1`` transitions each).
    seed : int
        Seed; the same arguments give the same array.

    Returns
    -------
    Trajectories
        States of shape ``(n_paths, n_steps, 2)``.
    """
    drift = rotating_ou(a, omega, diffusion)
    return simulate(drift, n_paths, n_steps, dt, seed=seed, scheme="exact")


def rotating_ou_mean(z: Any, h: Any, a: float, omega: float) -> np.ndarray:
    """True conditional mean ``mu(z, h) = exp(W_omega h) z`` of the process.

    Parameters
    ----------
    z : array_like of shape (n, 2)
        Initial states.
    h : array_like of shape (n_h,)
        Horizons (times ahead).
    a, omega : float
        Process parameters.

    Returns
    -------
    ndarray of shape (n, n_h, 2)
    """
    z = np.asarray(z, dtype=np.float64).reshape(-1, 2)
    h = np.atleast_1d(np.asarray(h, dtype=np.float64))
    decay = np.exp(-a * h)[None, :, None]
    c, s = np.cos(omega * h)[None, :], np.sin(omega * h)[None, :]
    x, y = z[:, None, 0], z[:, None, 1]
    rotated = np.stack([c * x - s * y, s * x + c * y], axis=-1)
    return decay * rotated


@dataclass(frozen=True)
class TransitionData:
    """One-step transitions ``z -> z'`` over a constant ``dt``.

    Attributes
    ----------
    start, end : torch.Tensor of shape (n, dim)
        States before and after each transition.
    dt : float
        Time step.
    path : torch.Tensor of shape (n,)
        Index of the path each transition belongs to (for error bars that
        respect the correlation along a path).
    """

    start: torch.Tensor
    end: torch.Tensor
    dt: float
    path: torch.Tensor

    @classmethod
    def from_trajectories(
        cls, traj: Trajectories, dtype: torch.dtype = torch.float32
    ) -> TransitionData:
        """All transitions of trajectories with a constant ``dt``."""
        if traj.t is not None:
            raise PathspaceError(
                "trajectories: expected a constant dt, got timestamps; "
                "resample on a regular grid first"
            )
        z = np.asarray(traj.z)
        if not np.all(np.isfinite(z)):
            raise PathspaceError(
                "trajectories: expected finite states for training, found "
                "gaps (NaN); drop the affected paths"
            )
        n_paths, n_steps, dim = z.shape
        path = np.repeat(np.arange(n_paths), n_steps - 1)
        return cls(
            start=torch.as_tensor(z[:, :-1].reshape(-1, dim), dtype=dtype),
            end=torch.as_tensor(z[:, 1:].reshape(-1, dim), dtype=dtype),
            dt=float(traj.dt),
            path=torch.as_tensor(path),
        )

    def __len__(self) -> int:
        return int(self.start.shape[0])

    @property
    def dim(self) -> int:
        return int(self.start.shape[1])

    def fingerprint(self) -> str:
        """A short hash of the data, to refuse resuming on other data."""
        digest = hashlib.sha1()
        digest.update(self.start.detach().cpu().numpy().tobytes())
        digest.update(self.end.detach().cpu().numpy().tobytes())
        digest.update(repr(self.dt).encode())
        return digest.hexdigest()[:16]
