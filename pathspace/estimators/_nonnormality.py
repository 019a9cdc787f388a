"""Non-normality of the drift Jacobian (paper Eq. 29).

``N(z) = ||[J, J^T]||_F = 2 ||[J_A, J_S]||_F`` with ``J_ij = d f_i / d z_j``,
``J_S`` and ``J_A`` its symmetric and antisymmetric parts. ``N = 0`` exactly
when ``J`` is normal (for instance symmetric); it is frame invariant.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import torch
from torch.func import jacrev, vmap

from pathspace._errors import PathspaceError
from pathspace.dynamics import Drift
from pathspace.estimators._entropy import _bootstrap_weights
from pathspace.estimators._result import Estimate
from pathspace.simulate import Trajectories

__all__ = ["non_normality", "drift_non_normality", "data_non_normality"]


def non_normality(J: Any) -> np.ndarray | float:
    """``||J J^T - J^T J||_F`` for matrices of shape (..., d, d)."""
    if hasattr(J, "detach"):
        J = J.detach().cpu().numpy()
    J = np.asarray(J, dtype=np.float64)
    Jt = np.swapaxes(J, -1, -2)
    N = np.linalg.norm(J @ Jt - Jt @ J, axis=(-2, -1))
    return float(N) if np.ndim(N) == 0 else N


def drift_non_normality(drift: Drift, states: Any) -> Estimate:
    """Mean of ``N(z)`` over given states (e.g. stationary samples).

    The standard error assumes independent states; pass thinned samples.
    """
    states = np.asarray(states, dtype=np.float64).reshape(-1, drift.dim)
    N = non_normality(drift.jacobian(states))
    N = np.atleast_1d(N)
    se = float(N.std(ddof=1) / np.sqrt(N.size)) if N.size > 1 else np.nan
    mean = float(N.mean())
    return Estimate(
        value=mean,
        stderr=se,
        raw=mean,
        bias=0.0,
        n_samples=int(N.size),
        estimator="drift-jacobian",
    )


def _monomials(z: torch.Tensor, degree: int) -> torch.Tensor:
    """All monomials of the coordinates up to ``degree``, shape (..., p)."""
    dim = z.shape[-1]
    terms = [torch.ones_like(z[..., :1])]
    for k in range(1, degree + 1):
        for combo in itertools.combinations_with_replacement(range(dim), k):
            terms.append(torch.prod(z[..., list(combo)], dim=-1, keepdim=True))
    return torch.cat(terms, dim=-1)


def data_non_normality(
    traj: Trajectories,
    *,
    degree: int = 1,
    n_points: int = 2000,
    n_boot: int = 100,
    n_blocks: int = 100,
    seed: int = 0,
) -> Estimate:
    """Mean ``N(z)`` over the data, from a polynomial fit of the drift.

    The drift is fitted by weighted least squares of ``dz / dt`` on all
    monomials up to ``degree`` of the start point (Ito, Eq. 25); ``N`` is
    evaluated from the fit's exact Jacobian at up to ``n_points`` data
    states and averaged. The standard error is a block bootstrap of the fit.

    Notes
    -----
    Bias: a drift that is not a polynomial of this degree is replaced by its
    best approximation in the data's measure; noise in the coefficients
    biases ``N`` upwards by order ``stderr^2 / N``.
    """
    if int(degree) != degree or degree < 1:
        raise PathspaceError(f"degree: expected an integer >= 1, got {degree!r}")
    tr = traj.transitions()
    phi = _monomials(torch.as_tensor(tr.start), degree).numpy()
    block, count = tr.blocks(n_blocks)
    G = np.zeros((count, phi.shape[1], phi.shape[1]))
    H = np.zeros((count, phi.shape[1], traj.dim))
    np.add.at(G, block, (phi * tr.dt[:, None])[:, :, None] * phi[:, None, :])
    np.add.at(H, block, phi[:, :, None] * tr.increment[:, None, :])

    rng = np.random.default_rng(seed)
    pick = rng.choice(len(tr), size=min(n_points, len(tr)), replace=False)
    points = torch.as_tensor(tr.start[pick])
    dphi = vmap(jacrev(lambda z: _monomials(z, degree)))(points).numpy()
    weights = np.vstack([np.ones((1, count)), _bootstrap_weights(count, n_boot, rng)])
    means = []
    for w in weights:
        B = np.linalg.lstsq(np.tensordot(w, G, 1), np.tensordot(w, H, 1), rcond=None)[0]
        J = np.einsum("pi,npj->nij", B, dphi)
        means.append(np.mean(non_normality(J)))
    value = float(means[0])
    return Estimate(
        value=value,
        stderr=float(np.std(means[1:], ddof=1)),
        raw=value,
        bias=0.0,
        n_samples=len(tr),
        estimator=f"polynomial-{degree}",
        message="biased upwards by coefficient noise",
        details={"n_blocks": count},
    )
