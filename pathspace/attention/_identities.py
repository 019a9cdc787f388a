"""Analytic identities of value-tied softmax attention drifts (Eqs. 20-23).

For ``f(z) = -gamma z + beta sum_j a_j(z) m_j`` with
``a_j = softmax_j(s z^T M m_j)`` (values tied to keys ``m_j``, score scale
``s``, ``s = 1/sqrt(d)`` in a transformer), write ``<.>_a`` for the
attention average and ``C = Cov_a(m, m)`` for the key covariance. Then

- Jacobian (Eq. 21): ``J = -gamma I + beta s Cov_a(m, M m) = -gamma I
  + beta s C M^T``;
- divergence (Eq. 20): ``div f = -gamma d + beta s Cov_a(M m, m)
  = -gamma d + beta s sum_j a_j (M m_j - <M m>_a) . m_j``;
- antisymmetric Jacobian (Eq. 22), with ``M_S = (M + M^T)/2`` and
  ``M_A = (M - M^T)/2``:
  ``J_A = (beta s / 2) ([C, M_S] - {C, M_A})``, a state-dependent
  commutator and an architectural anticommutator. The paper's prefactor
  ``1 / (2 sqrt(d))`` is the case ``beta = 1``, ``s = 1/sqrt(d)``.

For a linear drift ``f = J z`` the work around a closed cycle ``C`` in a
plane spanned by orthonormal ``u, w`` (Eq. 23) is
``oint f . dz = 2 (J_A)_perp Area(C)`` with ``(J_A)_perp = w^T J_A u``,
positive for a counter-clockwise cycle from ``u`` towards ``w``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from pathspace._errors import PathspaceError
from pathspace.dynamics import SoftmaxAttentionDrift

__all__ = [
    "JacobianSplit",
    "attention_divergence",
    "attention_jacobian",
    "cycle_work",
    "jacobian_split",
    "odd_work_prediction",
]


@dataclass(frozen=True)
class JacobianSplit:
    """``J_A`` of an attention drift split as in Eq. 22.

    Attributes
    ----------
    antisymmetric : ndarray of shape (..., d, d)
        ``J_A = (J - J^T) / 2``.
    commutator : ndarray of shape (..., d, d)
        State-dependent part ``(beta s / 2) [C, M_S]``; survives symmetrising M.
    anticommutator : ndarray of shape (..., d, d)
        Architectural part ``-(beta s / 2) {C, M_A}``; zero iff ``M_A = 0``
        when ``C`` is positive definite.
    key_covariance : ndarray of shape (..., d, d)
        ``C = Cov_a(m, m)``.
    """

    antisymmetric: np.ndarray
    commutator: np.ndarray
    anticommutator: np.ndarray
    key_covariance: np.ndarray


def _check(drift: Any, z: Any) -> torch.Tensor:
    if not isinstance(drift, SoftmaxAttentionDrift):
        raise PathspaceError(
            f"drift: expected a SoftmaxAttentionDrift (value-tied attention), "
            f"got {type(drift).__name__}"
        )
    zt = torch.as_tensor(np.asarray(z, dtype=np.float64))
    if zt.shape[-1:] != (drift.dim,):
        raise PathspaceError(
            f"z: expected states of shape (..., {drift.dim}), got {tuple(zt.shape)}"
        )
    return zt


def _weights(drift: SoftmaxAttentionDrift, z: torch.Tensor) -> tuple[np.ndarray, ...]:
    """Attention weights ``a`` (..., n), slots ``m`` (n, d) and ``M``."""
    a = drift.attention(z).numpy()
    return a, drift.memory, drift.M


def attention_jacobian(drift: SoftmaxAttentionDrift, z: Any) -> np.ndarray:
    """``J = -gamma I + beta s Cov_a(m, M m)`` (Eq. 21), from the weights.

    Parameters
    ----------
    drift : SoftmaxAttentionDrift
    z : array_like of shape (..., d)

    Returns
    -------
    ndarray of shape (..., d, d)
        ``J_ij = d f_i / d z_j`` (units of 1/time).
    """
    a, m, M = _weights(drift, _check(drift, z))
    km = m @ M.T  # rows M m_j
    cross = np.einsum("...j,ja,jb->...ab", a, m, km)
    cross -= np.einsum("...a,...b->...ab", a @ m, a @ km)
    eye = np.eye(drift.dim)
    return -drift.gamma * eye + drift.beta * drift.score_scale * cross


def attention_divergence(drift: SoftmaxAttentionDrift, z: Any) -> np.ndarray:
    """``div f = -gamma d + beta s Cov_a(M m, m)`` (Eq. 20).

    ``Cov_a(M m, m) = sum_j a_j (M m_j - <M m>_a) . m_j``, the attention-weighted
    covariance of key projections and values under the softmax denominator.

    Returns
    -------
    ndarray of shape (...)
        Units of 1/time.
    """
    a, m, M = _weights(drift, _check(drift, z))
    km = m @ M.T
    centred = km[None] - (a @ km)[..., None, :]
    cov = np.einsum("...j,...ja,ja->...", a, centred, m)
    return -drift.gamma * drift.dim + drift.beta * drift.score_scale * cov


def jacobian_split(drift: SoftmaxAttentionDrift, z: Any) -> JacobianSplit:
    """Split ``J_A`` into ``[C, M_S]`` and ``{C, M_A}`` parts (Eq. 22).

    ``J_A = (beta s / 2) ([C, M_S] - {C, M_A})`` with ``C = Cov_a(m, m)``;
    the two returned parts sum to ``J_A`` exactly.

    Parameters
    ----------
    drift : SoftmaxAttentionDrift
    z : array_like of shape (..., d)

    Returns
    -------
    JacobianSplit
    """
    a, m, M = _weights(drift, _check(drift, z))
    mean = a @ m
    C = np.einsum("...j,ja,jb->...ab", a, m, m)
    C -= np.einsum("...a,...b->...ab", mean, mean)
    MS, MA = 0.5 * (M + M.T), 0.5 * (M - M.T)

    half = 0.5 * drift.beta * drift.score_scale
    commutator = half * (C @ MS - MS @ C)
    anticommutator = -half * (C @ MA + MA @ C)
    J = attention_jacobian(drift, z)
    return JacobianSplit(
        antisymmetric=0.5 * (J - np.swapaxes(J, -1, -2)),
        commutator=commutator,
        anticommutator=anticommutator,
        key_covariance=C,
    )


def cycle_work(F: Any, cycle: Any) -> float:
    """``W = oint (F z) . dz`` around a closed polygon, exactly.

    For a linear drift ``f = F z`` the integral along each straight edge
    ``z(s) = p + s (q - p)`` is ``(q - p)^T F (p + q) / 2`` (exact, since the
    integrand is linear in ``s``).

    Parameters
    ----------
    F : array_like of shape (d, d)
        Drift matrix (units of 1/time).
    cycle : array_like of shape (n_vertices, d)
        Vertices in order; the last edge closes back to the first vertex.

    Returns
    -------
    float
        Work per cycle, units of z^2 / time.
    """
    F = np.asarray(F, dtype=np.float64)
    p = np.asarray(cycle, dtype=np.float64)
    if F.ndim != 2 or p.ndim != 2 or p.shape[1] != F.shape[0] or len(p) < 3:
        raise PathspaceError(
            f"cycle_work: expected F of shape (d, d) and at least 3 vertices of "
            f"shape (n, d), got {F.shape} and {p.shape}"
        )
    q = np.roll(p, -1, axis=0)
    return float(np.einsum("ka,ab,kb->", q - p, F, p + q) / 2)


def odd_work_prediction(F: Any, u: Any, w: Any, area: float) -> float:
    """``2 (J_A)_perp Area`` with ``(J_A)_perp = w^T J_A u`` (Eq. 23).

    Parameters
    ----------
    F : array_like of shape (d, d)
        Drift matrix ``J`` of the linear drift.
    u, w : array_like of shape (d,)
        Orthonormal vectors spanning the plane of the cycle, oriented from
        ``u`` towards ``w``.
    area : float
        Enclosed area.
    """
    F = np.asarray(F, dtype=np.float64)
    JA = 0.5 * (F - F.T)
    return float(2.0 * np.asarray(w) @ JA @ np.asarray(u) * area)
