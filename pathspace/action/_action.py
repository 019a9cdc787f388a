"""Discretised Onsager-Machlup action, path likelihood and its time reversal.

A path is a sequence of states ``z_0, ..., z_n`` of shape ``(n_steps + 1, dim)``
(or ``(batch, n_steps + 1, dim)``) sampled every ``dt`` from
``dz = f(z) dt + sqrt(2 D) dW``. With the increment ``dz_k = z_{k+1} - z_k``
each step contributes ``l(z_k, z_{k+1})`` to ``A = sum_k l`` (Eq. 6):

- ``"ito"``: ``r_k = dz_k - dt f(z_k)``, ``l = r_k^T D^-1 r_k / (4 dt)``. This
  is exactly minus the log of the Euler transition density, up to the
  constant ``c = dim/2 ln(4 pi dt) + 1/2 ln det D`` per step; no divergence.
- ``"stratonovich"``: ``r_k = dz_k - dt f(m_k)`` at the midpoint
  ``m_k = (z_k + z_{k+1}) / 2`` and ``l = r_k^T D^-1 r_k / (4 dt)
  + dt/2 div f(m_k)``, the midpoint form of Eq. 6.
- ``"paper-eq18"``: the Euler residual with ``+ dt/2 div f(z_k)``, as Eq. 18
  of the paper writes it. It is neither a consistent density nor the midpoint
  form; against an exact density it is off by ``1/2 int div f dt``. Kept only
  to show that offset.
- ``"exact"`` (linear drift only): ``l = -ln N(z_{k+1}; exp(F dt) z_k,
  Sigma_dt) - c``, the exact Ornstein-Uhlenbeck transition, as a reference.

The path log-likelihood is ``ln P = -A - n c``; the path entropy production
``Sigma = ln P[path] / P[reversed path] = A[reversed] - A[path]`` (Eq. 9),
optionally plus the boundary term ``ln rho(z_0) - ln rho(z_n)``.

References
----------
L. Onsager and S. Machlup, Phys. Rev. 91, 1505 (1953); U. Seifert, Rep.
Prog. Phys. 75, 126001 (2012) for the pathwise entropy production.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from pathspace._errors import PathspaceError
from pathspace.dynamics import Drift, LinearDrift

__all__ = [
    "CONVENTIONS",
    "ActionSplit",
    "action_split",
    "entropy_production_path",
    "onsager_machlup_action",
    "path_log_likelihood",
    "reverse_path",
    "step_action",
]

CONVENTIONS = ("ito", "stratonovich", "paper-eq18", "exact")


@dataclass(frozen=True)
class ActionSplit:
    """The action split into its time-symmetric and irreversible parts (Eq. 8).

    Attributes
    ----------
    total : ndarray or Tensor of shape (batch,) or ()
        ``A[path]``.
    symmetric : ndarray or Tensor
        ``A_sym = (A[path] + A[reversed]) / 2``, even under reversal.
    irreversible : ndarray or Tensor
        ``A_irr = (A[path] - A[reversed]) / 2 = -Sigma / 2``, odd under
        reversal; for a linear drift in the midpoint convention it equals
        ``-1/2 sum_k dz_k^T D^-1 v(m_k)`` plus a boundary term.
    convention : str
        Discretisation used.
    """

    total: Any
    symmetric: Any
    irreversible: Any
    convention: str


def _check_convention(convention: str, drift: Drift) -> None:
    if convention not in CONVENTIONS:
        raise PathspaceError(
            f"convention: expected one of {', '.join(CONVENTIONS)}, got {convention!r}"
        )
    if convention == "exact" and not isinstance(drift, LinearDrift):
        raise NotImplementedError(
            "convention='exact' needs a LinearDrift (closed-form transition); "
            "use 'ito' or 'stratonovich' for this drift"
        )


def _as_path(path: Any, drift: Drift) -> tuple[torch.Tensor, bool]:
    """Path as a float64 tensor of shape (batch, n_steps + 1, dim)."""
    is_torch = isinstance(path, torch.Tensor)
    z = path if is_torch else torch.as_tensor(np.asarray(path, dtype=np.float64))
    if not z.is_floating_point():
        z = z.to(torch.float64)
    if z.ndim not in (2, 3) or z.shape[-1] != drift.dim:
        raise PathspaceError(
            f"path: expected shape (n_steps + 1, {drift.dim}) or (batch, "
            f"n_steps + 1, {drift.dim}), got {tuple(z.shape)}"
        )
    if z.shape[-2] < 2:
        raise PathspaceError(
            f"path: expected at least 2 time points, got {z.shape[-2]}; a path "
            "needs one step or more"
        )
    return z, is_torch


def _check_dt(dt: float) -> float:
    if not np.isfinite(dt) or dt <= 0:
        raise PathspaceError(f"dt: expected a positive finite time step, got {dt!r}")
    return float(dt)


def _out(value: torch.Tensor, is_torch: bool, batched: bool) -> Any:
    value = value if batched else value[0]
    return value if is_torch else value.detach().numpy()


def _step_constant(drift: Drift, dt: float) -> float:
    """``c = dim/2 ln(4 pi dt) + 1/2 ln det D``: Euler normalisation per step."""
    _, logdet = np.linalg.slogdet(drift.diffusion)
    return 0.5 * drift.dim * np.log(4 * np.pi * dt) + 0.5 * logdet


def _exact_steps(
    drift: LinearDrift, za: torch.Tensor, zb: torch.Tensor, dt: float
) -> torch.Tensor:
    """``-ln N(zb; A za, Sigma_dt) - c`` for the exact OU transition."""
    A, S = drift.transition(dt)
    r = zb - za @ torch.as_tensor(A, dtype=za.dtype).T
    Sinv = torch.as_tensor(np.linalg.inv(S), dtype=za.dtype)
    quad = 0.5 * torch.einsum("...i,ij,...j->...", r, Sinv, r)
    _, logdet_S = np.linalg.slogdet(S)
    _, logdet_2D = np.linalg.slogdet(2 * dt * drift.diffusion)
    return quad + 0.5 * (logdet_S - logdet_2D)


def step_action(
    drift: Drift,
    za: torch.Tensor,
    zb: torch.Tensor,
    dt: float,
    convention: str = "stratonovich",
) -> torch.Tensor:
    """Per-step action ``l(z_k, z_{k+1})`` for states of shape ``(..., dim)``.

    The building block of every other function here; differentiable with
    ``torch.func`` and unchecked (callers validate). See the module docstring
    for the formula of each convention.

    Returns
    -------
    Tensor of shape (...)
        Dimensionless (nats).
    """
    if convention == "exact":
        return _exact_steps(drift, za, zb, dt)
    Dinv = torch.as_tensor(np.linalg.inv(drift.diffusion), dtype=za.dtype)

    # The drift is evaluated at the left point (Ito, Eq. 18) or the midpoint.
    zf = 0.5 * (za + zb) if convention == "stratonovich" else za
    r = zb - za - dt * drift.forward(zf)
    l = torch.einsum("...i,ij,...j->...", r, Dinv, r) / (4 * dt)
    if convention == "ito":
        return l
    return l + 0.5 * dt * drift.divergence(zf)


def _steps(drift: Drift, z: torch.Tensor, dt: float, convention: str) -> torch.Tensor:
    return step_action(drift, z[..., :-1, :], z[..., 1:, :], dt, convention)


def onsager_machlup_action(
    drift: Drift, path: Any, dt: float, *, convention: str = "stratonovich"
) -> Any:
    """Discretised Onsager-Machlup action ``A = sum_k l(z_k, z_{k+1})`` (Eq. 6).

    Parameters
    ----------
    drift : Drift
        Drift ``f`` and diffusion ``D``.
    path : array_like or Tensor of shape (n_steps + 1, dim) or (batch, n_steps + 1, dim)
        States at times ``0, dt, ..., n_steps dt``.
    dt : float
        Time step (units of time).
    convention : {"stratonovich", "ito", "paper-eq18", "exact"}
        Discretisation, see the module docstring. ``"ito"`` is exactly minus
        the log Euler density up to constants; ``"stratonovich"`` is the
        midpoint form with ``+ dt/2 div f(m_k)``.

    Returns
    -------
    float64 ndarray or Tensor of shape () or (batch,)
        The action in nats; a tensor (differentiable) when ``path`` is one.
    """
    _check_convention(convention, drift)
    dt = _check_dt(dt)
    z, is_torch = _as_path(path, drift)
    batched = z.ndim == 3
    z = z if batched else z[None]
    return _out(_steps(drift, z, dt, convention).sum(-1), is_torch, batched)


def path_log_likelihood(
    drift: Drift, path: Any, dt: float, *, convention: str = "ito"
) -> Any:
    """Log of the product of Gaussian transition densities along the path.

    ``ln P = -A - n_steps c`` with ``c = dim/2 ln(4 pi dt) + 1/2 ln det D``.
    In the ``"ito"`` convention this is exactly ``sum_k ln p_Euler(z_{k+1} |
    z_k)``; with ``"exact"`` (linear drift) it is the exact OU log-density;
    with ``"stratonovich"`` it is the midpoint approximation, whose
    ``dt/2 div f`` term stands for the Jacobian of the implicit step.

    Parameters
    ----------
    drift, path, dt, convention
        As in :func:`onsager_machlup_action`; the initial state is
        conditioned on (no density for ``z_0``).

    Returns
    -------
    float64 ndarray or Tensor of shape () or (batch,)
        Log-density in nats, with respect to Lebesgue measure on
        ``z_1, ..., z_n``.
    """
    A = onsager_machlup_action(drift, path, dt, convention=convention)
    n_steps = np.shape(path)[-2] - 1
    return -A - n_steps * _step_constant(drift, dt)


def reverse_path(path: Any) -> Any:
    """Time reversal ``z_k -> z_{n-k}`` of a path of shape (..., n_steps + 1, dim)."""
    if isinstance(path, torch.Tensor):
        return torch.flip(path, dims=(-2,))
    return np.flip(np.asarray(path), axis=-2).copy()


def entropy_production_path(
    drift: Drift,
    path: Any,
    dt: float,
    *,
    convention: str = "stratonovich",
    log_density: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Any:
    """Pathwise entropy production ``Sigma = ln P[path] / P[reversed]`` (Eq. 9).

    ``Sigma = A[reversed] - A[path]`` in nats; the normalisation constants
    cancel. With ``log_density`` (the log stationary density ``ln rho``) the
    boundary term ``ln rho(z_0) - ln rho(z_n)`` is added, so that for paths
    started from ``rho`` and a density matching their law the integral
    fluctuation theorem ``<exp(-Sigma)> = 1`` holds exactly.

    Parameters
    ----------
    drift, path, dt, convention
        As in :func:`onsager_machlup_action`. In the midpoint convention
        ``Sigma = sum_k dz_k^T D^-1 f(m_k)``, the Stratonovich integral of Eq. 9
        (the divergence terms cancel); ``"ito"`` gives the trapezoidal sum
        ``sum_k dz_k^T D^-1 (f(z_k) + f(z_{k+1})) / 2`` plus
        ``dt/4 (f^T D^-1 f)(z_n) - dt/4 (f^T D^-1 f)(z_0)``.
    log_density : callable, optional
        Maps states of shape (..., dim) to ``ln rho`` of shape (...).

    Returns
    -------
    float64 ndarray or Tensor of shape () or (batch,)
        Entropy produced along the path, nats.

    Notes
    -----
    The steady mean of ``Sigma / T`` is the entropy production rate
    ``sigma_dot`` up to an ``O(dt)`` discretisation bias; the boundary term
    has zero mean in the steady state.
    """
    forward = onsager_machlup_action(drift, path, dt, convention=convention)
    backward = onsager_machlup_action(
        drift, reverse_path(path), dt, convention=convention
    )
    sigma = backward - forward
    if log_density is None:
        return sigma
    z = path.detach().numpy() if isinstance(path, torch.Tensor) else np.asarray(path)
    boundary = np.asarray(log_density(z[..., 0, :]) - log_density(z[..., -1, :]))
    if isinstance(sigma, torch.Tensor):
        return sigma + torch.as_tensor(boundary, dtype=sigma.dtype)
    return sigma + boundary


def action_split(
    drift: Drift, path: Any, dt: float, *, convention: str = "stratonovich"
) -> ActionSplit:
    """Split ``A`` into its reversal-even and reversal-odd parts (Eq. 8).

    ``A_sym = (A[path] + A[reversed]) / 2`` and ``A_irr = (A[path] -
    A[reversed]) / 2 = -Sigma / 2``, with ``Sigma`` from
    :func:`entropy_production_path` (no boundary term).

    Parameters
    ----------
    drift, path, dt, convention
        As in :func:`onsager_machlup_action`.

    Returns
    -------
    ActionSplit
        Each part of shape () or (batch,), nats.
    """
    forward = onsager_machlup_action(drift, path, dt, convention=convention)
    backward = onsager_machlup_action(
        drift, reverse_path(path), dt, convention=convention
    )
    return ActionSplit(
        total=forward,
        symmetric=0.5 * (forward + backward),
        irreversible=0.5 * (forward - backward),
        convention=convention,
    )
