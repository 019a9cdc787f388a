"""Value-tied softmax attention as a drift (paper Secs. V and VII.1).

The state ``z`` queries fixed memory slots ``m_j`` whose values are tied to
their keys:

    f(z) = -gamma z + beta sum_j a_j(z) m_j,
    a_j(z) = softmax_j(s z^T M m_j),

with ``M = W_Q^T W_K`` and a score scale ``s`` (``1/sqrt(d)`` in a
transformer, 1 in the paper's Fig. 1 toy). Its Jacobian is the
attention-weighted key covariance (Eq. 21 with values tied to keys):

    J = -gamma I + beta s C M^T,   C = Cov_a(m, m),

and its divergence ``-gamma d + beta s tr(C M^T)`` (Eq. 20).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from pathspace._errors import PathspaceError
from pathspace.dynamics._drift import Drift

__all__ = ["SoftmaxAttentionDrift", "ring_slots"]


def ring_slots(n_slots: int, radius: float, dim: int = 2) -> np.ndarray:
    """``n_slots`` memory slots evenly spaced on a circle in the first plane."""
    if n_slots < 1:
        raise PathspaceError(f"n_slots: expected >= 1, got {n_slots}")
    phi = 2 * np.pi * np.arange(n_slots) / n_slots
    slots = np.zeros((n_slots, dim))
    slots[:, 0] = radius * np.cos(phi)
    slots[:, 1] = radius * np.sin(phi)
    return slots


class SoftmaxAttentionDrift(Drift):
    """Softmax attention over fixed, value-tied memory slots.

    Parameters
    ----------
    M : array_like of shape (dim, dim)
        Query-key matrix ``W_Q^T W_K``.
    memory : array_like of shape (n_slots, dim)
        Memory slots ``m_j`` (keys and values).
    gamma : float
        Linear relaxation rate.
    beta : float
        Strength of the attention readout.
    score_scale : float
        Multiplies the logits ``z^T M m_j``.
    diffusion : float or array_like
        Constant diffusion matrix ``D``.
    """

    def __init__(
        self,
        M: Any,
        memory: Any,
        *,
        gamma: float = 1.0,
        beta: float = 1.0,
        score_scale: float = 1.0,
        diffusion: Any = 1.0,
        name: str = "softmax-attention",
        params: dict | None = None,
    ) -> None:
        M = np.asarray(M, dtype=np.float64)
        memory = np.asarray(memory, dtype=np.float64)
        if M.ndim != 2 or M.shape[0] != M.shape[1]:
            raise PathspaceError(f"M: expected a square matrix, got {M.shape}")
        if memory.ndim != 2 or memory.shape[1] != M.shape[0]:
            raise PathspaceError(
                f"memory: expected shape (n_slots, {M.shape[0]}), got {memory.shape}"
            )
        super().__init__(M.shape[0], diffusion, name=name, params=params)
        self.M = M
        self.memory = memory
        self.gamma = float(gamma)
        self.beta = float(beta)
        self.score_scale = float(score_scale)
        self._M = torch.as_tensor(M)
        self._m = torch.as_tensor(memory)
        # logits s z^T M m_j = z @ (s (M m_j) as columns); readout beta a @ m
        self._logit_map = torch.as_tensor(self.score_scale * (memory @ M.T).T)
        self._readout = torch.as_tensor(self.beta * memory)

    def attention(self, z: torch.Tensor) -> torch.Tensor:
        """Weights ``a_j(z)``, shape ``(..., n_slots)``."""
        return torch.softmax(z @ self._logit_map.to(z.dtype), dim=-1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        a = self.attention(z)
        return a @ self._readout.to(z.dtype) - self.gamma * z

    def key_covariance(self, z: Any) -> torch.Tensor:
        """``C(z) = Cov_a(m, m)``, shape ``(..., dim, dim)``."""
        z = self._as_tensor(z)
        a = self.attention(z)
        m = self._m.to(z.dtype)
        mean = a @ m
        second = torch.einsum("...j,ja,jb->...ab", a, m, m)
        return second - mean[..., :, None] * mean[..., None, :]

    def jacobian(self, z: Any) -> torch.Tensor:
        z = self._as_tensor(z)
        C = self.key_covariance(z)
        eye = torch.eye(self.dim, dtype=z.dtype)
        scale = self.beta * self.score_scale
        return -self.gamma * eye + scale * C @ self._M.to(z.dtype).T

    def divergence(self, z: Any) -> torch.Tensor:
        return torch.diagonal(self.jacobian(z), dim1=-2, dim2=-1).sum(-1)

    def exact_entropy_production(self) -> float | None:
        """Zero when the drift is a gradient for an isotropic ``D``, else unknown.

        With ``M = c I`` the readout is ``(beta / c s) grad logsumexp_j(s c
        z^T m_j)``, so ``f = -grad U`` and, with ``D`` a multiple of the
        identity, detailed balance holds. Otherwise no closed form is known.
        """
        c = self.M[0, 0]
        isotropic = np.array_equal(
            self.diffusion, self.diffusion[0, 0] * np.eye(self.dim)
        )
        if np.array_equal(self.M, c * np.eye(self.dim)) and isotropic:
            return 0.0
        return None
