"""A trainable attention world model with value-tied memory (paper Sec. VII.3).

The latent state ``z`` (dimension ``d``) queries ``n`` learnable memory
slots ``m_j`` whose values are tied to their keys:

    f(z) = -gamma z + beta sum_j a_j(z) m_j,
    a_j(z) = softmax_j(z^T M m_j / sqrt(d)),   M = W_Q^T W_K,

and one step of the world model is the Gaussian transition

    z' ~ N(z + f(z) dt, 2 D dt I),

whose negative log-likelihood is the Ito (Euler) discretisation of the
Onsager-Machlup action (paper Eq. 18 without the divergence term; see the
design notes). ``W_Q`` and ``W_K`` start equal, so ``M`` is symmetric and the
asymmetry index ``Q = ||M_A||_F / ||M||_F`` (Eq. 30) is 0: with values tied
to keys, ``M_A`` is the only channel for an antisymmetric drift Jacobian
(Eq. 22), so any circulation the model predicts has to be learned into it.

The trained model is a :class:`~pathspace.dynamics.SoftmaxAttentionDrift`
(:meth:`AttentionWorldModel.as_drift`), so every simulator and estimator of
pathspace applies to it.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import torch

from pathspace._errors import PathspaceError
from pathspace.dynamics import SoftmaxAttentionDrift, ring_slots

__all__ = ["AttentionWorldModel"]

_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def _positive(value: Any, name: str) -> float:
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise PathspaceError(f"{name}: expected a finite value > 0, got {value!r}")
    return value


class AttentionWorldModel(torch.nn.Module):
    """Softmax attention over learnable, value-tied memory slots.

    Parameters
    ----------
    dim : int
        Latent dimension ``d``.
    n_slots : int
        Number of memory slots.
    slot_radius : float
        Initial slots lie evenly on a circle of this radius in the first
        plane (``dim == 2``: a ring that should span the data region).
    qk_scale : float
        Initial ``W_Q = W_K = qk_scale * I``, so ``M = qk_scale^2 I``.
    gamma, beta : float
        Initial relaxation rate and readout strength.
    diffusion : float
        Initial scalar diffusion ``D`` of the one-step transition.
    learn_memory, learn_gamma, learn_beta, learn_diffusion : bool
        Which of these are trained (``W_Q`` and ``W_K`` always are).
    dtype : {"float32", "float64"}
        Dtype of the parameters.

    Notes
    -----
    ``gamma``, ``beta`` and ``D`` are stored as logarithms, so they stay
    positive during training.
    """

    def __init__(
        self,
        dim: int = 2,
        n_slots: int = 16,
        *,
        slot_radius: float = 3.0,
        qk_scale: float = 0.5,
        gamma: float = 1.0,
        beta: float = 1.0,
        diffusion: float = 0.5,
        learn_memory: bool = True,
        learn_gamma: bool = True,
        learn_beta: bool = True,
        learn_diffusion: bool = True,
        dtype: str = "float32",
    ) -> None:
        super().__init__()
        if int(dim) != dim or dim < 2:
            raise PathspaceError(f"dim: expected an integer >= 2, got {dim!r}")
        if int(n_slots) != n_slots or n_slots < 2:
            raise PathspaceError(f"n_slots: expected an integer >= 2, got {n_slots!r}")
        if dtype not in _DTYPES:
            raise PathspaceError(
                f"dtype: expected one of {', '.join(_DTYPES)}, got {dtype!r}"
            )
        self.config = {
            "dim": int(dim),
            "n_slots": int(n_slots),
            "slot_radius": _positive(slot_radius, "slot_radius"),
            "qk_scale": _positive(qk_scale, "qk_scale"),
            "gamma": _positive(gamma, "gamma"),
            "beta": _positive(beta, "beta"),
            "diffusion": _positive(diffusion, "diffusion"),
            "learn_memory": bool(learn_memory),
            "learn_gamma": bool(learn_gamma),
            "learn_beta": bool(learn_beta),
            "learn_diffusion": bool(learn_diffusion),
            "dtype": dtype,
        }
        kind = _DTYPES[dtype]
        eye = torch.eye(dim, dtype=kind)
        self.W_Q = torch.nn.Parameter(qk_scale * eye.clone())
        self.W_K = torch.nn.Parameter(qk_scale * eye.clone())
        slots = torch.as_tensor(ring_slots(n_slots, slot_radius, dim), dtype=kind)
        self.memory = torch.nn.Parameter(slots, requires_grad=learn_memory)
        self.log_gamma = self._scalar(math.log(gamma), learn_gamma, kind)
        self.log_beta = self._scalar(math.log(beta), learn_beta, kind)
        self.log_diffusion = self._scalar(math.log(diffusion), learn_diffusion, kind)

    @staticmethod
    def _scalar(value: float, learn: bool, dtype: torch.dtype) -> torch.nn.Parameter:
        return torch.nn.Parameter(torch.tensor(value, dtype=dtype), requires_grad=learn)

    @property
    def dim(self) -> int:
        return self.config["dim"]

    @property
    def score_scale(self) -> float:
        """``1 / sqrt(d)``, the transformer's logit scale."""
        return 1.0 / math.sqrt(self.dim)

    def query_key(self) -> torch.Tensor:
        """``M = W_Q^T W_K``, shape (dim, dim)."""
        return self.W_Q.T @ self.W_K

    def drift(self, z: torch.Tensor) -> torch.Tensor:
        """``f(z)`` for states of shape ``(..., dim)``."""
        keys = self.memory @ self.query_key().T  # rows M m_j
        a = torch.softmax(self.score_scale * z @ keys.T, dim=-1)
        return -self.log_gamma.exp() * z + self.log_beta.exp() * a @ self.memory

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.drift(z)

    def nll(self, start: torch.Tensor, end: torch.Tensor, dt: float) -> torch.Tensor:
        """Negative log-likelihood of each transition, shape ``(n,)``.

        ``|z' - z - f(z) dt|^2 / (4 D dt) + (d / 2) ln(4 pi D dt)``, in nats.
        """
        D = self.log_diffusion.exp()
        residual = end - start - self.drift(start) * dt
        quad = (residual**2).sum(-1) / (4.0 * D * dt)
        return quad + 0.5 * self.dim * torch.log(4.0 * math.pi * D * dt)

    @torch.no_grad()
    def rollout(self, z0: Any, n_steps: int, dt: float) -> np.ndarray:
        """Deterministic rollout ``z_{k+1} = z_k + f(z_k) dt`` (the mean map).

        Parameters
        ----------
        z0 : array_like of shape (n, dim)
            Initial states.
        n_steps : int
            Steps to take.
        dt : float
            Time step (the one the model was trained on).

        Returns
        -------
        ndarray of shape (n, n_steps + 1, dim)
            Float64 states, the first being ``z0``.
        """
        z = torch.as_tensor(np.asarray(z0, dtype=np.float64)).reshape(-1, self.dim)
        z = z.to(self.W_Q.dtype)
        out = [z]
        for _ in range(int(n_steps)):
            z = z + self.drift(z) * dt
            out.append(z)
        return torch.stack(out, dim=1).double().numpy()

    def parameters_numpy(self) -> dict[str, Any]:
        """``M``, memory, gamma, beta and D as float64 NumPy values."""
        with torch.no_grad():
            return {
                "M": self.query_key().double().numpy(),
                "memory": self.memory.double().numpy(),
                "gamma": float(self.log_gamma.exp()),
                "beta": float(self.log_beta.exp()),
                "diffusion": float(self.log_diffusion.exp()),
            }

    def asymmetry_norm(self) -> float:
        """``||M_A||_F`` with ``M_A = (M - M^T) / 2``."""
        M = self.parameters_numpy()["M"]
        return float(np.linalg.norm(0.5 * (M - M.T)))

    def as_drift(self, name: str = "attention-world-model") -> SoftmaxAttentionDrift:
        """The model's drift as a pathspace drift (float64, analytic Jacobian).

        Its diffusion is the learned ``D``, so simulating it with the
        Euler scheme at the training ``dt`` samples the model's own
        one-step transitions.
        """
        p = self.parameters_numpy()
        return SoftmaxAttentionDrift(
            p["M"],
            p["memory"],
            gamma=p["gamma"],
            beta=p["beta"],
            score_scale=self.score_scale,
            diffusion=p["diffusion"],
            name=name,
            params={
                "gamma": p["gamma"],
                "beta": p["beta"],
                "D": p["diffusion"],
                "n_slots": self.config["n_slots"],
            },
        )

    def symmetrized(self) -> AttentionWorldModel:
        """A copy with ``M`` replaced by ``M_S = (M + M^T) / 2``.

        Where ``M_S`` is positive definite the copy has
        ``W_Q = W_K = M_S^(1/2)`` (the symmetric square root); otherwise
        ``W_Q = I`` and ``W_K = M_S``. Everything else is unchanged.
        """
        twin = copy.deepcopy(self)
        with torch.no_grad():
            M = self.query_key().double()
            M_S = 0.5 * (M + M.T)
            lam, V = torch.linalg.eigh(M_S)
            if bool((lam > 0).all()):
                root = V @ torch.diag(lam.sqrt()) @ V.T
                W_Q, W_K = root, root
            else:
                W_Q, W_K = torch.eye(self.dim, dtype=M.dtype), M_S
            twin.W_Q.copy_(W_Q.to(twin.W_Q.dtype))
            twin.W_K.copy_(W_K.to(twin.W_K.dtype))
        return twin
