"""Drift fields of the latent dynamics dz = f(z) dt + sqrt(2 D) dW.

A :class:`Drift` is the one object every layer shares. It evaluates ``f`` on
a batch of states (torch, float64 by default), its Jacobian
``J_ij = d f_i / d z_j`` and divergence ``div f = tr J``, and carries the
constant diffusion matrix ``D`` (symmetric positive definite; a scalar means
``D * I``). Jacobians default to ``torch.func`` autodiff; subclasses override
them where a closed form is known.

Named systems also carry what is known exactly (stationary covariance,
entropy production, transition density) through the ``exact_*`` methods,
which return ``None`` when nothing exact is known.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch
from torch.func import jacrev, vmap

from pathspace._errors import PathspaceError

__all__ = ["Drift", "FunctionDrift", "as_diffusion_matrix"]


def as_diffusion_matrix(diffusion: Any, dim: int) -> np.ndarray:
    """Return ``D`` as a symmetric positive-definite ``(dim, dim)`` float64 array.

    Parameters
    ----------
    diffusion : float or array_like of shape (dim,) or (dim, dim)
        A scalar means ``D * I``; a vector means ``diag(D)``.
    dim : int
        State dimension.
    """
    D = np.asarray(diffusion, dtype=np.float64)
    if D.ndim == 0:
        D = float(D) * np.eye(dim)
    elif D.ndim == 1:
        D = np.diag(D)
    if D.shape != (dim, dim):
        raise PathspaceError(
            f"diffusion: expected a scalar, {dim} diagonal entries or a "
            f"({dim}, {dim}) matrix, got shape {D.shape}; give D in one of "
            "those forms"
        )
    if not np.all(np.isfinite(D)):
        raise PathspaceError(
            "diffusion: expected finite entries, found NaN or inf; give a finite D"
        )
    if not np.allclose(D, D.T, rtol=1e-12, atol=1e-14):
        raise PathspaceError(
            "diffusion: expected a symmetric matrix, got an asymmetric one; "
            "use (D + D.T) / 2"
        )
    if np.linalg.eigvalsh(D).min() <= 0:
        raise PathspaceError(
            "diffusion: expected a positive-definite matrix, found an "
            "eigenvalue <= 0; every direction needs noise"
        )
    return D


class Drift:
    """Base class of drift fields ``f`` with a constant diffusion ``D``.

    Subclasses implement :meth:`forward` on a torch tensor of shape
    ``(..., dim)``; everything else has a default.

    Parameters
    ----------
    dim : int
        State dimension.
    diffusion : float or array_like
        Constant diffusion matrix ``D`` (see :func:`as_diffusion_matrix`).
    name : str, optional
        A label used in messages and plots.
    params : mapping, optional
        The parameters that define this drift, for records and plots.
    """

    def __init__(
        self,
        dim: int,
        diffusion: Any = 1.0,
        *,
        name: str = "drift",
        params: Mapping[str, Any] | None = None,
    ) -> None:
        if int(dim) != dim or dim < 1:
            raise PathspaceError(f"dim: expected a positive integer, got {dim!r}")
        self.dim = int(dim)
        self.diffusion = as_diffusion_matrix(diffusion, self.dim)
        self.name = name
        self.params = dict(params or {})

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Evaluate ``f(z)`` for ``z`` of shape ``(..., dim)``."""
        raise NotImplementedError

    def __call__(self, z: Any) -> torch.Tensor:
        return self.forward(self._as_tensor(z))

    def jacobian(self, z: Any) -> torch.Tensor:
        """Jacobian ``J_ij = d f_i / d z_j``, shape ``(..., dim, dim)``."""
        z = self._as_tensor(z)
        flat = z.reshape(-1, self.dim)
        J = vmap(jacrev(self.forward))(flat)
        return J.reshape(*z.shape, self.dim)

    def divergence(self, z: Any) -> torch.Tensor:
        """Divergence ``div f = tr J``, shape ``(...)``."""
        return torch.diagonal(self.jacobian(z), dim1=-2, dim2=-1).sum(-1)

    def numpy(self, z: Any) -> np.ndarray:
        """``f(z)`` as a float64 NumPy array, for estimators and plots."""
        with torch.no_grad():
            return self(z).detach().cpu().numpy().astype(np.float64)

    def diffusion_tensor(self, like: torch.Tensor | None = None) -> torch.Tensor:
        """``D`` as a torch tensor matching ``like``'s dtype and device."""
        dtype = like.dtype if like is not None else torch.float64
        device = like.device if like is not None else None
        return torch.as_tensor(self.diffusion, dtype=dtype, device=device)

    def exact_stationary_covariance(self) -> np.ndarray | None:
        """Stationary covariance, where known in closed form."""
        return None

    def exact_entropy_production(self) -> float | None:
        """Steady-state entropy production rate (nats per unit time)."""
        return None

    def _as_tensor(self, z: Any) -> torch.Tensor:
        if isinstance(z, torch.Tensor):
            t = z if z.is_floating_point() else z.to(torch.float64)
        else:
            t = torch.as_tensor(np.asarray(z, dtype=np.float64))
        if t.shape[-1:] != (self.dim,):
            raise PathspaceError(
                f"{self.name}: expected states with last axis of length "
                f"{self.dim}, got shape {tuple(t.shape)}"
            )
        return t

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.name}({inner})"


class FunctionDrift(Drift):
    """A drift given by a Python function of a torch tensor.

    Parameters
    ----------
    fn : callable
        Maps a tensor of shape ``(..., dim)`` to one of the same shape. It
        must use torch operations so that Jacobians come from autodiff.
    dim : int
        State dimension.
    diffusion : float or array_like
        Constant diffusion matrix ``D``.

    Examples
    --------
    >>> import torch
    >>> from pathspace import FunctionDrift
    >>> well = FunctionDrift(lambda z: z - z**3, dim=1, diffusion=0.1)
    >>> float(well.divergence(torch.tensor([0.5])))
    0.25
    """

    def __init__(
        self,
        fn: Callable[[torch.Tensor], torch.Tensor],
        dim: int,
        diffusion: Any = 1.0,
        *,
        name: str = "function",
        params: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(dim, diffusion, name=name, params=params)
        self._fn = fn

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self._fn(z)
