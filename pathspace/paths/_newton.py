"""Damped Newton minimisation of a path action on its banded Hessian.

Each iteration solves ``(H + lambda s I) p = -g`` with the Cholesky factor
of the block-tridiagonal Hessian ``H`` (``s`` the mean absolute
diagonal entry, ``lambda >= 0`` a Levenberg-Marquardt damping). A step is
taken when it meets the Armijo condition ``A(x + p) <= A(x) + 1e-4 g^T p``;
otherwise ``lambda`` grows tenfold. A failed factorisation (an indefinite
``H``) also grows ``lambda``, so far from the optimum the method behaves as
scaled gradient descent and close to it as Newton's method, converging
quadratically.

References
----------
J. Nocedal and S. J. Wright, Numerical Optimization, 2nd ed., Secs. 3.4
and 10.3 (Levenberg-Marquardt).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sps
import scipy.sparse.linalg as spla

from pathspace.paths._operator import JacobiOperator, PathProblem

__all__ = ["NewtonOutcome", "lowest_mode", "newton_minimise"]

_ARMIJO = 1e-4
_MAX_DAMPING = 1e12
_ROUNDING = 1e-10  # Newton decrement / |action| below which steps are noise


@dataclass(frozen=True)
class NewtonOutcome:
    """Where damped Newton stopped: state, action, gradient norm, status."""

    x: np.ndarray
    action: float
    grad_norm: float
    n_iterations: int
    converged: bool
    status: str
    message: str


def newton_minimise(
    problem: PathProblem,
    x0: np.ndarray,
    gtol: float,
    max_iterations: int,
    max_step: float = np.inf,
) -> NewtonOutcome:
    """Minimise ``problem`` from ``x0`` until ``|grad A|_2 <= gtol``.

    Parameters
    ----------
    problem : PathProblem
        Action, gradient and block-tridiagonal Hessian.
    x0 : ndarray of shape (N, d)
        Initial free states.
    gtol : float
        Tolerance on the Euclidean norm of the gradient (nats per unit of z).
    max_iterations : int
        Cap on Newton iterations.
    max_step : float
        Largest move of any one state per iteration (a trust radius in units
        of z); longer steps are shortened along the same direction.

    Returns
    -------
    NewtonOutcome
        ``status`` is ``"converged"``, ``"max-iterations"`` or ``"stalled"``
        (no step decreases the action even with heavy damping).
    """
    x = np.array(x0, dtype=np.float64)
    A, g = problem.value_and_grad(x)
    damping = 0.0
    for it in range(max_iterations + 1):
        gnorm = float(np.linalg.norm(g))
        if gnorm <= gtol:
            return NewtonOutcome(
                x,
                A,
                gnorm,
                it,
                True,
                "converged",
                f"gradient norm {gnorm:.2e} <= {gtol:.1e}",
            )
        if it == max_iterations:
            break
        H = problem.operator(x)
        scale = float(np.abs(np.diagonal(H.diag, axis1=1, axis2=2)).mean()) or 1.0

        # Where H is indefinite, first try to descend along its lowest mode:
        # damped steps alone cannot leave a symmetric saddle (g . v = 0 there).
        if H.cholesky() is None:
            moved = _negative_curvature_step(problem, H, x, A, g, max_step)
            if moved is not None:
                x, A, g = moved
                continue

        # Grow the damping until the shifted Hessian factorises and the step
        # decreases the action (or, at rounding level, the gradient norm).
        while True:
            factor = H.cholesky(damping * scale)
            if factor is not None:
                p = -factor.solve(g)
                p *= min(1.0, max_step / np.linalg.norm(p, axis=1).max())
                A_new, g_new = problem.value_and_grad(x + p)
                slope = float(np.vdot(g, p))
                armijo = A_new <= A + _ARMIJO * slope
                flat = abs(A_new - A) <= 1e-13 * max(1.0, abs(A))
                better = np.linalg.norm(g_new) < gnorm
                if np.isfinite(A_new) and (armijo or (flat and better)):
                    break
            damping = max(10.0 * damping, 1e-8)
            if damping > _MAX_DAMPING:
                return NewtonOutcome(
                    x,
                    A,
                    gnorm,
                    it,
                    False,
                    "stalled",
                    f"no step decreases the action (gradient norm {gnorm:.2e}); "
                    "try more steps or another initial path",
                )
        x, A, g = x + p, A_new, g_new
        # A full Newton step that neither shrinks the gradient nor promises a
        # decrease above rounding (the Newton decrement g^T H^-1 g / 2 against
        # the size of the action) means the optimum is reached to the precision
        # of floating point: a large action leaves a gradient above gtol.
        stuck = np.linalg.norm(g) > 0.5 * gnorm
        if damping == 0.0 and stuck and -0.5 * slope <= _ROUNDING * max(1.0, abs(A)):
            gnorm = float(np.linalg.norm(g))
            return NewtonOutcome(
                x,
                A,
                gnorm,
                it + 1,
                True,
                "converged",
                f"gradient norm {gnorm:.2e} is at the rounding level of the "
                f"action {A:.3g}: Newton steps no longer change it",
            )
        damping = 0.0 if damping < 1e-6 else damping / 10.0
    return NewtonOutcome(
        x,
        A,
        gnorm,
        max_iterations,
        False,
        "max-iterations",
        f"gradient norm {gnorm:.2e} > {gtol:.1e} after {max_iterations} "
        "iterations; raise max_iterations (--max-iterations) or loosen gtol (--gtol)",
    )


def _negative_curvature_step(
    problem: PathProblem,
    H: JacobiOperator,
    x: np.ndarray,
    A: float,
    g: np.ndarray,
    max_step: float,
) -> tuple[np.ndarray, float, np.ndarray] | None:
    """Backtracking move along the lowest eigenvector of an indefinite ``H``.

    The direction ``v`` is signed so that ``g . v <= 0`` and scaled so the
    largest state move is ``min(max_step, 1)``; halved up to 20 times until
    the action decreases. Returns the new ``(x, A, g)`` or ``None``.
    """
    v = lowest_mode(H.banded()).reshape(x.shape)
    v *= -1.0 if np.vdot(g, v) > 0 else 1.0
    v *= min(max_step, 1.0) / np.linalg.norm(v, axis=1).max()
    for _ in range(20):
        A_new, g_new = problem.value_and_grad(x + v)
        if np.isfinite(A_new) and A_new < A:
            return x + v, A_new, g_new
        v = 0.5 * v
    return None


def lowest_mode(ab: np.ndarray) -> np.ndarray:
    """Eigenvector of the lowest eigenvalue of a symmetric banded matrix.

    ``ab`` is in LAPACK lower banded storage. The eigenvalue alone comes
    from ``eig_banded`` (no transformation matrix, cost linear in the
    size); the vector from one shift-invert Lanczos solve just below it,
    on the sparse matrix. Asking ``eig_banded`` for the vector instead
    forms a dense orthogonal matrix and costs quadratic time and memory
    (seconds for a few thousand path states).
    """
    lowest = sla.eig_banded(
        ab, lower=True, eigvals_only=True, select="i", select_range=(0, 0)
    )[0]
    n, width = ab.shape[1], ab.shape[0]
    bands = [ab[k, : n - k] for k in range(width)]
    H = sps.diags(
        bands + bands[1:],
        [0, *(-k for k in range(1, width)), *range(1, width)],
        format="csc",
    )
    shift = lowest - 1e-8 * max(1.0, float(np.abs(ab[0]).max()))
    try:
        _, vectors = spla.eigsh(H, k=1, sigma=shift, which="LM")
    except (RuntimeError, spla.ArpackError):
        _, vectors = sla.eig_banded(ab, lower=True, select="i", select_range=(0, 0))
    return vectors[:, 0]
