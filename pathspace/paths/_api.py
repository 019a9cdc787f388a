"""Prediction, planning and uncertainty from one discretised action.

Symbols: ``z_k`` the state at ``t_k = k dt`` (``dt = T / n``), ``f`` the drift
with Jacobian ``J``, ``J_A = (J - J^T) / 2``, ``D`` the diffusion matrix and
``A`` the discretised Onsager-Machlup action (:mod:`pathspace.action`).

- Prediction (Sec. III): the most probable path from ``z_0`` with a free end,
  ``argmin A`` over ``z_1, ..., z_n``; its end obeys the natural condition
  ``dL/dz_dot = 0``. Beside it, the deterministic rollout ``dz/dt = f``, and
  their difference (P5: they differ wherever ``D grad(div f) != 0``, Eq. 12).
- Planning (Sec. IV.1): fixed ends ``z_0 -> z_T`` (Eq. 13) or a terminal cost.
  The value is ``-ln p(z_T, T | z_0)`` by the saddle-point expansion
  (Eqs. 14-15) written for the discrete chain:

      -ln p = A* + 1/2 ln det H - (N d / 2) ln(2 pi) + n c,

  with ``N = n - 1`` free states, ``H`` the Hessian of ``A`` at the optimum
  and ``c = d/2 ln(4 pi dt) + 1/2 ln det D`` the per-step Euler constant. For
  a linear drift in the Ito convention ``A`` is quadratic and this is exactly
  the density of the Euler chain with the intermediate states integrated out.
- Uncertainty (Sec. IV.3): ``H`` is the discrete Jacobi operator (Eq. 16),
  with Dirichlet ends for plans and the natural end for predictions; the
  marginal covariance at ``t_k`` is the diagonal block of ``H^-1`` (Eq. 17),
  from a selected inversion linear in ``n``.

The Euler-Lagrange residual (Eq. 10 for isotropic ``D``) is, for any ``D``,

    R = z_ddot - J z_dot + D J^T D^-1 (z_dot - f) - D grad(div f),

by central differences at the interior points (the ``div f`` term only in
the midpoint convention, which discretises the Lagrangian that carries it).
It reduces to ``z_ddot - 2 J_A z_dot + grad V_eff`` for ``D = D I``. The
conserved quantity (Eq. 11) is

    E = 1/4 z_dot^T D^-1 z_dot - 1/4 f^T D^-1 f - 1/2 div f,

evaluated at midpoints, in nats per unit time.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.func import grad, vmap

from pathspace._errors import PathspaceError, PathspaceWarning
from pathspace.action._action import _step_constant
from pathspace.dynamics import Drift
from pathspace.paths._newton import NewtonOutcome, lowest_mode, newton_minimise
from pathspace.paths._operator import JacobiOperator, PathProblem

__all__ = [
    "PathResult",
    "Plan",
    "Prediction",
    "euler_lagrange_residual",
    "conserved_energy",
    "jacobi_operator",
    "plan_path",
    "predict_path",
    "rollout",
]

SOLVER_CONVENTIONS = ("ito", "stratonovich")


@dataclass(frozen=True, kw_only=True)
class PathResult:
    """A least-action path with its curvature and diagnostics.

    Attributes
    ----------
    times : ndarray of shape (n_steps + 1,)
        ``t_k = k dt``.
    path : ndarray of shape (n_steps + 1, dim)
        The optimal states, ``z_0`` (and ``z_T`` for a plan) included.
    action : float
        ``A`` at the optimum (plus the terminal cost), nats.
    converged : bool
        Gradient norm met ``gtol`` and ``H`` is positive definite (a minimum).
    grad_norm : float
        Euclidean norm of the gradient of ``A`` over the free states.
    n_iterations : int
        Newton iterations of the start that was kept.
    status : str
        ``"converged"``, ``"saddle"`` (stationary but ``H`` indefinite),
        ``"max-iterations"`` or ``"stalled"``.
    message : str
        One line on the outcome.
    convention : str
        ``"ito"`` or ``"stratonovich"``.
    hessian_positive_definite : bool
        Whether the Jacobi operator at the optimum is positive definite.
    log_det_hessian : float
        ``ln det H`` (NaN if not positive definite).
    covariance : ndarray of shape (n_steps + 1, dim, dim)
        Marginal covariances ``(H^-1)_{kk}``; zero at fixed states.
    std : ndarray of shape (n_steps + 1, dim)
        Marginal standard deviations, square roots of the diagonals.
    el_residual : ndarray of shape (n_steps - 1, dim)
        Euler-Lagrange residual at ``times[1:-1]`` (units of z per time^2).
    energy : ndarray of shape (n_steps,)
        ``E`` of Eq. 11 at the midpoints ``times[:-1] + dt / 2``.
    """

    times: np.ndarray
    path: np.ndarray
    action: float
    converged: bool
    grad_norm: float
    n_iterations: int
    status: str
    message: str
    convention: str
    hessian_positive_definite: bool
    log_det_hessian: float
    covariance: np.ndarray
    std: np.ndarray
    el_residual: np.ndarray
    energy: np.ndarray


@dataclass(frozen=True, kw_only=True)
class Prediction(PathResult):
    """Most probable free-end path (see :class:`PathResult`), plus:

    Attributes
    ----------
    rollout : ndarray of shape (n_steps + 1, dim)
        The deterministic flow ``dz/dt = f`` from ``z_0`` (RK4 on the grid).
    departure : ndarray of shape (n_steps + 1, dim)
        ``path - rollout``: the mode of the future is not the mean-field
        rollout unless ``D grad(div f) = 0`` (Eq. 12).
    """

    rollout: np.ndarray
    departure: np.ndarray


@dataclass(frozen=True, kw_only=True)
class Plan(PathResult):
    """Least-action plan (see :class:`PathResult`), plus:

    Attributes
    ----------
    neg_log_density : float
        ``-ln p(z_T, T | z_0)`` for a fixed end, or ``-ln E[exp(-c(z_T))]``
        for a terminal cost, by the saddle-point expansion (Eqs. 14-15);
        exact for a linear drift in the Ito convention.
    start_actions : tuple of float
        Final action of each start tried (straight, perturbed, escapes from
        saddles), to show the multi-start search.
    """

    neg_log_density: float
    start_actions: tuple[float, ...]


def _vector(value: Any, name: str, dim: int) -> np.ndarray:
    v = np.atleast_1d(np.asarray(value, dtype=np.float64))
    if v.shape != (dim,) or not np.all(np.isfinite(v)):
        raise PathspaceError(
            f"{name}: expected {dim} finite number{'s' if dim > 1 else ''} for "
            f"this {dim}-D drift, got "
            f"{np.asarray(value).tolist()!r}"
        )
    return v


def _check_grid(
    T: float, n_steps: int, convention: str, gtol: float, dim: int = 1
) -> None:
    if not np.isfinite(T) or T <= 0:
        raise PathspaceError(f"T: expected a positive finite horizon, got {T!r}")
    if int(n_steps) != n_steps or n_steps < 2:
        raise PathspaceError(f"n_steps: expected an integer >= 2, got {n_steps!r}")
    _check_path_memory(int(n_steps), dim)
    if convention not in SOLVER_CONVENTIONS:
        raise PathspaceError(
            f"convention: expected 'ito' or 'stratonovich' for path "
            f"optimisation, got {convention!r}"
        )
    if not gtol > 0:
        raise PathspaceError(f"gtol: expected a positive tolerance, got {gtol!r}")


def _check_path_memory(n_steps: int, dim: int) -> None:
    """Refuse a path whose Newton solve would not fit in the free memory.

    The solver holds per-step Jacobian and Hessian blocks, their factors and
    autodiff buffers: measured at about 700 bytes per step in two
    dimensions; the bound here, ``240 (d^2 + d)`` bytes per step, is twice
    that.
    """
    try:
        import psutil

        available = psutil.virtual_memory().available
    except ImportError:  # pragma: no cover - psutil comes with dask
        return
    need = 240 * (dim**2 + dim) * n_steps
    if need > available:
        raise PathspaceError(
            f"n_steps: {n_steps} steps in {dim} dimensions need about "
            f"{need / 2**30:.3g} GiB, {available / 2**30:.3g} GiB are free; use "
            "fewer steps"
        )


def rollout(drift: Drift, z0: Any, T: float, n_steps: int) -> np.ndarray:
    """Deterministic flow ``dz/dt = f(z)`` by classical RK4 on ``n_steps`` steps.

    Returns
    -------
    ndarray of shape (n_steps + 1, dim)
        States at ``t_k = k T / n_steps``; fourth-order accurate in ``dt``.
    """
    z0 = _vector(z0, "z0", drift.dim)
    dt = T / n_steps
    out = np.empty((n_steps + 1, drift.dim))
    out[0] = z0
    z = torch.as_tensor(z0)
    with torch.no_grad():
        for k in range(n_steps):
            k1 = drift.forward(z)
            k2 = drift.forward(z + 0.5 * dt * k1)
            k3 = drift.forward(z + 0.5 * dt * k2)
            k4 = drift.forward(z + dt * k3)
            z = z + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            out[k + 1] = z.numpy()
    return out


def _fields(drift: Drift, z: np.ndarray) -> tuple[torch.Tensor, ...]:
    """``f``, ``J``, ``div f`` and ``grad(div f)`` at states of shape (m, d)."""
    zt = torch.as_tensor(z, dtype=torch.float64)
    f = drift.forward(zt).detach()
    J = drift.jacobian(zt).detach()
    div = drift.divergence(zt).detach()
    grad_div = vmap(grad(lambda x: drift.divergence(x)))(zt).detach()
    return f, J, div, grad_div


def euler_lagrange_residual(
    drift: Drift, path: np.ndarray, dt: float, convention: str = "stratonovich"
) -> np.ndarray:
    """Residual of the Euler-Lagrange equation (Eq. 10) at interior points.

    ``R = z_ddot - J z_dot + D J^T D^-1 (z_dot - f) - D grad(div f)``, with
    central differences for ``z_dot`` and ``z_ddot`` (error ``O(dt^2)``); the
    ``div f`` term is dropped for ``convention="ito"``, whose action has none.

    Parameters
    ----------
    path : ndarray of shape (n_steps + 1, dim)
    dt : float

    Returns
    -------
    ndarray of shape (n_steps - 1, dim)
        Units of z per time squared; zero on an exact instanton.
    """
    z = np.asarray(path, dtype=np.float64)
    zd = (z[2:] - z[:-2]) / (2 * dt)
    zdd = (z[2:] - 2 * z[1:-1] + z[:-2]) / dt**2
    f, J, _, grad_div = (t.numpy() for t in _fields(drift, z[1:-1]))
    D = drift.diffusion
    Dinv = np.linalg.inv(D)

    R = zdd - np.einsum("kij,kj->ki", J, zd)
    w = np.einsum("ij,kj->ki", Dinv, zd - f)
    R += np.einsum("ij,kmj,km->ki", D, J, w)
    if convention == "stratonovich":
        R -= grad_div @ D.T
    return R


def conserved_energy(
    drift: Drift, path: np.ndarray, dt: float, convention: str = "stratonovich"
) -> np.ndarray:
    """``E = 1/4 z_dot^T D^-1 z_dot - 1/4 f^T D^-1 f - 1/2 div f`` (Eq. 11).

    Evaluated at the midpoints with ``z_dot = dz_k / dt``; the divergence term
    is dropped for ``convention="ito"``.

    Returns
    -------
    ndarray of shape (n_steps,)
        Nats per unit time; constant along an exact instanton.
    """
    z = np.asarray(path, dtype=np.float64)
    zd = np.diff(z, axis=0) / dt
    f, _, div, _ = (t.numpy() for t in _fields(drift, 0.5 * (z[1:] + z[:-1])))
    Dinv = np.linalg.inv(drift.diffusion)
    E = 0.25 * np.einsum("ki,ij,kj->k", zd, Dinv, zd)
    E -= 0.25 * np.einsum("ki,ij,kj->k", f, Dinv, f)
    if convention == "stratonovich":
        E -= 0.5 * div
    return E


def jacobi_operator(
    drift: Drift,
    path: Any,
    dt: float,
    *,
    convention: str = "stratonovich",
    ends: str = "dirichlet",
) -> JacobiOperator:
    """Block-tridiagonal Hessian of the action along a path (Eqs. 16-17).

    Parameters
    ----------
    drift : Drift
    path : array_like of shape (n_steps + 1, dim)
    dt : float
    convention : {"stratonovich", "ito"}
    ends : {"dirichlet", "natural"}
        ``"dirichlet"`` fixes ``z_0`` and ``z_n`` (planning covariance);
        ``"natural"`` fixes ``z_0`` only (prediction covariance).

    Returns
    -------
    JacobiOperator
        Blocks over the free states; ``.marginal_covariances()`` gives the
        diagonal blocks of its inverse.
    """
    z = np.asarray(path, dtype=np.float64)
    if z.ndim != 2 or z.shape[1] != drift.dim or z.shape[0] < 3:
        raise PathspaceError(
            f"path: expected shape (n_steps + 1, {drift.dim}) with n_steps >= 2, "
            f"got {z.shape}"
        )
    if ends not in ("dirichlet", "natural"):
        raise PathspaceError(f"ends: expected 'dirichlet' or 'natural', got {ends!r}")
    _check_grid(dt * (len(z) - 1), len(z) - 1, convention, 1.0)
    zT = z[-1] if ends == "dirichlet" else None
    problem = PathProblem(drift, z[0], dt, len(z) - 1, convention, zT)
    return problem.operator(z[1:-1] if zT is not None else z[1:])


def _lowest_mode(op: JacobiOperator) -> np.ndarray:
    """Eigenvector of the lowest eigenvalue of ``H``, shape (N, d)."""
    return lowest_mode(op.banded()).reshape(op.diag.shape[0], op.diag.shape[1])


def _solve(
    problem: PathProblem,
    x0: np.ndarray,
    gtol: float,
    max_iterations: int,
    amplitude: float,
    escapes: int = 3,
) -> tuple[NewtonOutcome, JacobiOperator, bool]:
    """Newton from ``x0``; where ``H`` is indefinite, restart along its lowest
    mode (a saddle, or a stop short of convergence in a concave region)."""
    out = newton_minimise(problem, x0, gtol, max_iterations, amplitude)
    op = problem.operator(out.x)
    pd = op.cholesky() is not None
    for _ in range(escapes):
        if pd:
            break
        v = _lowest_mode(op)
        x1 = out.x + amplitude * v / np.abs(v).max()
        out = newton_minimise(problem, x1, gtol, max_iterations, amplitude)
        op = problem.operator(out.x)
        pd = op.cholesky() is not None
    return out, op, pd


def _record(
    cls: type,
    problem: PathProblem,
    out: NewtonOutcome,
    op: JacobiOperator,
    pd: bool,
    T: float,
    **extra: Any,
) -> PathResult:
    drift, n, d = problem.drift, problem.n, problem.d
    with torch.no_grad():
        path = problem.full_path(torch.as_tensor(out.x)).numpy()
    cov = np.zeros((n + 1, d, d))
    if pd:
        cov[1 : 1 + problem.n_free] = op.marginal_covariances()
    else:
        cov[1 : 1 + problem.n_free] = np.nan
    converged = out.converged and pd

    status, message = out.status, out.message
    if out.converged and not pd:
        status = "saddle"
        message = (
            "stationary path with an indefinite Hessian (a saddle, not the most "
            "probable path); try other initial paths"
        )
    stiffness = problem.dt * float(
        np.linalg.norm(
            drift.jacobian(torch.as_tensor(path)).numpy(), 2, axis=(1, 2)
        ).max()
    )
    if stiffness > 0.1:
        note = (
            f"coarse steps: dt |J| reaches {stiffness:.2g} (> 0.1), so the "
            "discrete action is far from its continuum limit; raise n_steps"
        )
        message = f"{message}; {note}" if message else note
        warnings.warn(note, PathspaceWarning, stacklevel=3)
    return cls(
        times=np.linspace(0.0, T, n + 1),
        path=path,
        action=out.action,
        converged=converged,
        grad_norm=out.grad_norm,
        n_iterations=out.n_iterations,
        status=status,
        message=message,
        convention=problem.convention,
        hessian_positive_definite=pd,
        log_det_hessian=op.log_det() if pd else float("nan"),
        covariance=cov,
        std=np.sqrt(np.clip(np.diagonal(cov, axis1=1, axis2=2), 0, None)),
        el_residual=euler_lagrange_residual(
            drift, path, problem.dt, problem.convention
        ),
        energy=conserved_energy(drift, path, problem.dt, problem.convention),
        **extra,
    )


def predict_path(
    drift: Drift,
    z0: Any,
    T: float,
    n_steps: int,
    *,
    convention: str = "stratonovich",
    initial: Any = None,
    gtol: float = 1e-8,
    max_iterations: int = 100,
) -> Prediction:
    """Most probable future path from ``z0`` over ``[0, T]`` (Sec. III).

    Minimises the discretised action over ``z_1, ..., z_n`` (free end,
    natural end condition) by damped Newton on the block-tridiagonal Hessian
    (cost ``O(n d^3)`` per iteration), starting from the deterministic
    rollout unless ``initial`` is given; a saddle is left along its negative
    mode.

    Parameters
    ----------
    drift : Drift
        Drift ``f`` and diffusion ``D``.
    z0 : array_like of shape (dim,)
        Initial state.
    T : float
        Horizon (time units), ``> 0``.
    n_steps : int
        Number of steps ``n >= 2``; ``dt = T / n``.
    convention : {"stratonovich", "ito"}
        Discretisation of the action (:mod:`pathspace.action`).
    initial : array_like of shape (n_steps + 1, dim), optional
        Initial path; its first state is replaced by ``z0``.
    gtol : float
        Stop when the gradient norm is ``<= gtol``.
    max_iterations : int
        Cap on Newton iterations.

    Returns
    -------
    Prediction
        The path, its action, marginal covariances (natural end), the
        rollout and their difference, Euler-Lagrange residual and ``E``.
    """
    _check_grid(T, n_steps, convention, gtol, drift.dim)
    z0 = _vector(z0, "z0", drift.dim)
    flow = rollout(drift, z0, T, int(n_steps))
    x0 = flow[1:] if initial is None else _initial(initial, n_steps, drift.dim)[1:]
    problem = PathProblem(drift, z0, T / n_steps, int(n_steps), convention)

    amplitude = float(np.sqrt(2 * np.linalg.eigvalsh(drift.diffusion).max() * T))
    out, op, pd = _solve(problem, x0, gtol, max_iterations, amplitude)
    path = problem.full_path(torch.as_tensor(out.x)).detach().numpy()
    return _record(
        Prediction, problem, out, op, pd, T, rollout=flow, departure=path - flow
    )


def _initial(initial: Any, n_steps: int, dim: int) -> np.ndarray:
    x = np.asarray(initial, dtype=np.float64)
    if x.shape != (n_steps + 1, dim) or not np.all(np.isfinite(x)):
        raise PathspaceError(
            f"initial: expected a finite path of shape ({n_steps + 1}, {dim}), "
            f"got shape {x.shape}"
        )
    return x


def plan_path(
    drift: Drift,
    z0: Any,
    zT: Any = None,
    *,
    T: float,
    n_steps: int,
    terminal_cost: Callable[[torch.Tensor], torch.Tensor] | None = None,
    convention: str = "stratonovich",
    n_starts: int = 3,
    seed: int = 0,
    initial: Any = None,
    gtol: float = 1e-8,
    max_iterations: int = 100,
) -> Plan:
    """Least-action plan from ``z0`` to ``zT`` (or under a terminal cost).

    Solves Eq. 13 by damped Newton from several initial paths: the straight
    line (or ``initial``) and ``n_starts - 1`` copies bent by
    ``a sin(pi t / T) u`` with random unit vectors ``u`` and
    ``a = max(|zT - z0|, sqrt(2 D_max T)) / 2``. A start that ends on a saddle
    (indefinite Hessian, e.g. the straight path of the Maier-Stein system at
    ``beta > 4``) is pushed along its negative mode and solved again. The
    lowest-action positive-definite solution is kept.

    Parameters
    ----------
    drift : Drift
    z0 : array_like of shape (dim,)
    zT : array_like of shape (dim,), optional
        Target state; give it or ``terminal_cost``, not both.
    T : float
        Horizon, ``> 0``.
    n_steps : int
        Number of steps ``n >= 2``.
    terminal_cost : callable, optional
        ``c(z_T)`` (torch, on a ``(dim,)`` tensor, nats) for a free end.
    convention : {"stratonovich", "ito"}
    n_starts : int
        Number of initial paths, ``>= 1``.
    seed : int
        Seed of the random bending directions.
    initial : array_like of shape (n_steps + 1, dim), optional
        First initial path instead of the straight line.
    gtol, max_iterations
        As in :func:`predict_path`.

    Returns
    -------
    Plan
        The path, action, ``-ln p(zT, T | z0)`` (Eqs. 14-15; see the module
        docstring for the discrete constants), Dirichlet marginal
        covariances, diagnostics and the actions of all starts.
    """
    _check_grid(T, n_steps, convention, gtol, drift.dim)
    if (zT is None) == (terminal_cost is None):
        raise PathspaceError(
            "plan_path: expected exactly one of zT (fixed end) or terminal_cost "
            "(free end with a cost)"
        )
    if int(n_starts) != n_starts or n_starts < 1:
        raise PathspaceError(f"n_starts: expected an integer >= 1, got {n_starts!r}")
    n, d = int(n_steps), drift.dim
    z0 = _vector(z0, "z0", d)
    zT = None if zT is None else _vector(zT, "zT", d)
    problem = PathProblem(drift, z0, T / n, n, convention, zT, terminal_cost)

    # Straight line to the target (or the rollout under a terminal cost).
    s = np.linspace(0.0, 1.0, n + 1)[:, None]
    end = zT if zT is not None else rollout(drift, z0, T, n)[-1]
    base = z0 + s * (end - z0) if initial is None else _initial(initial, n, d)
    base = base[1:-1] if zT is not None else base[1:]
    gap = float(np.linalg.norm(end - z0))
    amplitude = 0.5 * max(
        gap, np.sqrt(2 * np.linalg.eigvalsh(drift.diffusion).max() * T)
    )

    rng = np.random.default_rng(seed)
    bend = np.sin(np.pi * s[1 : 1 + problem.n_free])
    starts = [base]
    for _ in range(int(n_starts) - 1):
        u = rng.standard_normal(d)
        starts.append(base + amplitude * bend * u / np.linalg.norm(u))

    runs = [_solve(problem, x0, gtol, max_iterations, amplitude) for x0 in starts]
    good = [r for r in runs if r[0].converged and r[2]]
    best = min(good or runs, key=lambda r: r[0].action if good else r[0].grad_norm)
    out, op, pd = best

    N = problem.n_free
    value = (
        out.action
        + 0.5 * op.log_det()
        - 0.5 * N * d * np.log(2 * np.pi)
        + n * _step_constant(drift, T / n)
    )
    return _record(
        Plan,
        problem,
        out,
        op,
        pd,
        T,
        neg_log_density=float(value) if pd else float("nan"),
        start_actions=tuple(float(r[0].action) for r in runs),
    )
