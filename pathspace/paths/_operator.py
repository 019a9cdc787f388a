"""The discretised action as a function of the free states of a path.

A path ``z_0, ..., z_n`` on the grid ``t_k = k dt`` has a fixed start ``z_0``
and either a fixed end ``z_n`` (planning, Dirichlet ends) or a free end
(prediction: natural end condition, optionally with a terminal cost
``c(z_n)``). The free states ``x`` are ``z_1, ..., z_{n-1}`` or
``z_1, ..., z_n``. This module evaluates ``A(x)``, its exact gradient and its
block-tridiagonal Hessian, the discrete Jacobi operator of Eqs. 16-17, whose
blocks come from ``torch.func.hessian`` of the per-step term
``l(z_k, z_{k+1})`` (a ``2 d x 2 d`` matrix per step), vectorised with
``vmap``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch.func import hessian, jacrev, vmap

from pathspace.action import step_action
from pathspace.dynamics import Drift
from pathspace.paths._blocks import (
    BlockTridiagonalCholesky,
    block_diagonal_of_inverse,
    to_lower_banded,
)

__all__ = ["JacobiOperator", "PathProblem"]


@dataclass(frozen=True)
class JacobiOperator:
    """Hessian of the discretised action with respect to the free states.

    Attributes
    ----------
    diag : ndarray of shape (N, d, d)
        Diagonal blocks ``d^2 A / dx_j^2``.
    sub : ndarray of shape (N - 1, d, d)
        Sub-diagonal blocks ``d^2 A / dx_{j+1} dx_j``.
    """

    diag: np.ndarray
    sub: np.ndarray

    def banded(self, shift: float = 0.0) -> np.ndarray:
        """Lower band storage, bandwidth ``2 d - 1`` (see ``to_lower_banded``)."""
        return to_lower_banded(self.diag, self.sub, shift)

    def cholesky(self, shift: float = 0.0) -> BlockTridiagonalCholesky | None:
        """Cholesky factor of ``H + shift I``, ``None`` when not positive definite."""
        return BlockTridiagonalCholesky.factorise(self.diag, self.sub, shift)

    def dense(self) -> np.ndarray:
        """The full ``(N d, N d)`` matrix (for small problems and tests)."""
        N, d, _ = self.diag.shape
        H = np.zeros((N * d, N * d))
        for j in range(N):
            H[j * d : (j + 1) * d, j * d : (j + 1) * d] = self.diag[j]
        for j in range(N - 1):
            block = self.sub[j]
            H[(j + 1) * d : (j + 2) * d, j * d : (j + 1) * d] = block
            H[j * d : (j + 1) * d, (j + 1) * d : (j + 2) * d] = block.T
        return H

    def log_det(self) -> float:
        """``ln det H`` from the banded Cholesky factor; NaN if not PD."""
        factor = self.cholesky()
        return float("nan") if factor is None else factor.log_det()

    def marginal_covariances(self) -> np.ndarray:
        """Diagonal blocks of ``H^-1``, shape (N, d, d), in ``O(N d^3)``."""
        return block_diagonal_of_inverse(self.diag, self.sub)


class PathProblem:
    """Action of a path with fixed start and fixed or free end.

    Parameters
    ----------
    drift : Drift
        Drift ``f`` and diffusion ``D``.
    z0 : ndarray of shape (d,)
        Fixed initial state.
    dt : float
        Time step.
    n_steps : int
        Number of steps ``n``.
    convention : str
        ``"ito"`` or ``"stratonovich"`` (see :mod:`pathspace.action`).
    zT : ndarray of shape (d,), optional
        Fixed final state; ``None`` leaves ``z_n`` free.
    terminal_cost : callable, optional
        ``c(z_n)`` for a free end, a torch function of a ``(d,)`` tensor.
    """

    def __init__(
        self,
        drift: Drift,
        z0: np.ndarray,
        dt: float,
        n_steps: int,
        convention: str,
        zT: np.ndarray | None = None,
        terminal_cost: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> None:
        self.drift = drift
        self.d = drift.dim
        self.dt = dt
        self.n = n_steps
        self.convention = convention
        self.z0 = torch.as_tensor(z0, dtype=torch.float64)
        self.zT = None if zT is None else torch.as_tensor(zT, dtype=torch.float64)
        self.terminal_cost = terminal_cost
        self.n_free = n_steps - 1 if zT is not None else n_steps

    def full_path(self, x: torch.Tensor) -> torch.Tensor:
        """States ``z_0, ..., z_n`` from the free states ``x`` of shape (N, d)."""
        parts = [self.z0[None], x]
        if self.zT is not None:
            parts.append(self.zT[None])
        return torch.cat(parts, dim=0)

    def _pair(self, w: torch.Tensor) -> torch.Tensor:
        d = self.d
        return step_action(self.drift, w[:d], w[d:], self.dt, self.convention)

    def value(self, x: np.ndarray) -> float:
        """Action ``A(x)`` in nats (plus the terminal cost, if any)."""
        with torch.no_grad():
            return float(self._value(torch.as_tensor(x)))

    def _value(self, x: torch.Tensor) -> torch.Tensor:
        z = self.full_path(x)
        A = step_action(self.drift, z[:-1], z[1:], self.dt, self.convention).sum()
        if self.terminal_cost is not None:
            A = A + self.terminal_cost(z[-1])
        return A

    def value_and_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """``A(x)`` and its exact gradient, shape (N, d)."""
        xt = torch.as_tensor(x, dtype=torch.float64).clone().requires_grad_(True)
        A = self._value(xt)
        (g,) = torch.autograd.grad(A, xt)
        return float(A.detach()), g.numpy()

    def _step_hessians(self, z: torch.Tensor) -> np.ndarray:
        """Exact ``2 d x 2 d`` Hessians of ``l(z_k, z_{k+1})``, shape (n, 2d, 2d).

        With ``y = alpha z_k + (1 - alpha) z_{k+1}`` the drift's point
        (``alpha = 1`` Ito, ``1/2`` midpoint), ``r = dz - dt f(y)`` and
        ``lam = D^-1 r``, the chain rule gives
        ``H = R^T D^-1 R / (2 dt) + w w^T (x) Q`` with ``R = dr/d(z_k, z_{k+1})``,
        ``w = (alpha, 1 - alpha)`` and ``Q = hess_y[-lam . f / 2 + kappa dt/2
        div f]`` (``kappa = 1`` midpoint, 0 Ito); ``Q`` comes from
        ``torch.func`` (``jacrev`` twice, vmapped over steps) over ``d``
        rather than ``2 d`` variables.
        """
        d, dt, drift = self.d, self.dt, self.drift
        alpha = 0.5 if self.convention == "stratonovich" else 1.0
        kappa = 1.0 if self.convention == "stratonovich" else 0.0
        Dinv = torch.as_tensor(np.linalg.inv(drift.diffusion))
        y = alpha * z[:-1] + (1 - alpha) * z[1:]
        with torch.no_grad():
            lam = (z[1:] - z[:-1] - dt * drift.forward(y)) @ Dinv
            J = drift.jacobian(y)

        def g(v: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
            extra = 0.5 * dt * drift.divergence(v) if kappa else 0.0
            return -0.5 * (m * drift.forward(v)).sum() + extra

        # Reverse-over-reverse: faster than forward-over-reverse here.
        Q = vmap(jacrev(jacrev(g)))(y, lam)
        eye = torch.eye(d, dtype=z.dtype)
        R = torch.cat([-eye - dt * alpha * J, eye - dt * (1 - alpha) * J], dim=2)
        H = R.transpose(1, 2) @ Dinv @ R / (2 * dt)
        w = torch.tensor([alpha, 1 - alpha], dtype=z.dtype)
        H = H + torch.einsum("a,b,kij->kaibj", w, w, Q).reshape(-1, 2 * d, 2 * d)
        return H.detach().numpy()

    def operator(self, x: np.ndarray) -> JacobiOperator:
        """Block-tridiagonal Hessian at ``x`` (the discrete Jacobi operator)."""
        d, n = self.d, self.n
        z = self.full_path(torch.as_tensor(x, dtype=torch.float64))
        if self.convention in ("ito", "stratonovich"):
            H = self._step_hessians(z)
        else:
            H = vmap(hessian(self._pair))(torch.cat([z[:-1], z[1:]], dim=1)).numpy()
        Haa, Hba, Hbb = H[:, :d, :d], H[:, d:, :d], H[:, d:, d:]

        # Point i collects the end of step i - 1 and the start of step i.
        if self.zT is not None:
            diag = Hbb[: n - 1] + Haa[1:]
            sub = Hba[1 : n - 1]
        else:
            diag = Hbb.copy()
            diag[:-1] += Haa[1:]
            sub = Hba[1:]
        if self.terminal_cost is not None:
            diag[-1] += hessian(self.terminal_cost)(z[-1]).numpy()
        diag = 0.5 * (diag + np.swapaxes(diag, -1, -2))
        return JacobiOperator(diag=diag, sub=np.ascontiguousarray(sub))
