"""Linear drifts ``f(z) = F z`` and their exact Ornstein-Uhlenbeck references.

For ``dz = F z dt + sqrt(2 D) dW`` with ``F`` stable (all eigenvalues with
negative real part):

- stationary covariance ``S`` solves the Lyapunov equation
  ``F S + S F^T + 2 D = 0``;
- the circulating drift is ``v(z) = (F + D S^-1) z`` (Eq. 27 of the paper,
  written for a matrix ``D``);
- the entropy production rate is
  ``sigma_dot = tr((F + D S^-1)^T D^-1 (F + D S^-1) S)`` (Eq. 28);
- the transition density over a time ``t`` is Gaussian with mean
  ``exp(F t) z0`` and covariance ``int_0^t exp(F s) 2D exp(F^T s) ds``,
  computed by Van Loan's block-exponential (valid for any ``F``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg as sla
import torch

from pathspace._errors import PathspaceError
from pathspace.dynamics._drift import Drift

__all__ = [
    "LinearDrift",
    "lyapunov_covariance",
    "lyapunov_entropy_production",
    "ou_transition",
]


def _check_stable(F: np.ndarray) -> None:
    growth = np.linalg.eigvals(F).real.max()
    if growth >= 0:
        raise PathspaceError(
            "linear drift: a stationary state needs every eigenvalue of the "
            f"drift matrix F with negative real part, found one with real part "
            f"{growth + 0.0:.3g}; make the relaxation outweigh any growth "
            "(e.g. theta > 0 for ou)"
        )


def lyapunov_covariance(F: Any, D: Any) -> np.ndarray:
    """Stationary covariance ``S`` with ``F S + S F^T + 2 D = 0``.

    Parameters
    ----------
    F : array_like of shape (dim, dim)
        Stable drift matrix.
    D : array_like of shape (dim, dim)
        Diffusion matrix.
    """
    F = np.asarray(F, dtype=np.float64)
    D = np.asarray(D, dtype=np.float64)
    _check_stable(F)
    S = sla.solve_continuous_lyapunov(F, -2.0 * D)
    return 0.5 * (S + S.T)


def lyapunov_entropy_production(F: Any, D: Any) -> float:
    """Exact steady entropy production of the linear process, nats per time.

    ``sigma_dot = tr(V^T D^-1 V S)`` with ``V = F + D S^-1`` the matrix of
    the circulating drift ``v = V z``.
    """
    F = np.asarray(F, dtype=np.float64)
    D = np.asarray(D, dtype=np.float64)
    S = lyapunov_covariance(F, D)
    V = F + D @ np.linalg.inv(S)
    return float(np.trace(V.T @ np.linalg.solve(D, V) @ S))


def ou_transition(F: Any, D: Any, t: float) -> tuple[np.ndarray, np.ndarray]:
    """Propagator ``A = exp(F t)`` and covariance ``Sigma_t`` of the OU step.

    ``z(t) | z(0) ~ N(A z(0), Sigma_t)`` with
    ``Sigma_t = int_0^t exp(F s) 2D exp(F^T s) ds`` (Van Loan, 1978).
    """
    F = np.asarray(F, dtype=np.float64)
    D = np.asarray(D, dtype=np.float64)
    n = F.shape[0]
    block = np.zeros((2 * n, 2 * n))
    block[:n, :n] = -F
    block[:n, n:] = 2.0 * D
    block[n:, n:] = F.T
    E = sla.expm(block * t)
    A = E[n:, n:].T
    cov = A @ E[:n, n:]
    return A, 0.5 * (cov + cov.T)


class LinearDrift(Drift):
    """Linear drift ``f(z) = F z`` with every exact reference available.

    Parameters
    ----------
    F : array_like of shape (dim, dim)
        Drift matrix.
    diffusion : float or array_like
        Constant diffusion matrix ``D``.
    """

    def __init__(
        self,
        F: Any,
        diffusion: Any = 1.0,
        *,
        name: str = "linear",
        params: dict | None = None,
    ) -> None:
        F = np.atleast_2d(np.asarray(F, dtype=np.float64))
        if F.ndim != 2 or F.shape[0] != F.shape[1]:
            raise PathspaceError(
                f"linear drift: expected a square matrix F, got shape {F.shape}"
            )
        if not np.all(np.isfinite(F)):
            raise PathspaceError("linear drift: F has NaN or inf entries")
        super().__init__(
            F.shape[0],
            diffusion,
            name=name,
            params=params if params is not None else {"F": F.tolist()},
        )
        self.F = F
        self._F_torch = torch.as_tensor(F)
        self._Ft = self._F_torch.T.contiguous()

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        Ft = self._Ft if z.dtype == torch.float64 else self._Ft.to(z.dtype)
        return z @ Ft

    def jacobian(self, z: Any) -> torch.Tensor:
        z = self._as_tensor(z)
        return self._F_torch.to(z.dtype).expand(*z.shape[:-1], self.dim, self.dim)

    def divergence(self, z: Any) -> torch.Tensor:
        z = self._as_tensor(z)
        return torch.full(z.shape[:-1], float(np.trace(self.F)), dtype=z.dtype)

    def exact_stationary_covariance(self) -> np.ndarray:
        return lyapunov_covariance(self.F, self.diffusion)

    def exact_entropy_production(self) -> float:
        return lyapunov_entropy_production(self.F, self.diffusion)

    def circulating_matrix(self) -> np.ndarray:
        """Matrix ``V`` of the circulating drift ``v(z) = V z``."""
        S = self.exact_stationary_covariance()
        return self.F + self.diffusion @ np.linalg.inv(S)

    def transition(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        """Exact propagator and covariance over time ``t`` (see ou_transition)."""
        return ou_transition(self.F, self.diffusion, t)
