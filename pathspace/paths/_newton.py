"""Damped Newton minimisation of a path action on its banded Hessian.

Each iteration solves ``(H + lambda s I) p = -g`` with the banded Cholesky
factor of the block-tridiagonal Hessian ``H`` (``s`` the mean absolute
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

from pathspace.paths._blocks import banded_cholesky, solve_banded_cholesky
from pathspace.paths._operator import PathProblem

__all__ = ["NewtonOutcome", "newton_minimise"]

_ARMIJO = 1e-4
_MAX_DAMPING = 1e12


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
    problem: PathProblem, x0: np.ndarray, gtol: float, max_iterations: int
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
            return NewtonOutcome(x, A, gnorm, it, True, "converged",
                                 f"gradient norm {gnorm:.2e} <= {gtol:.1e}")
        if it == max_iterations:
            break
        H = problem.operator(x)
        scale = float(np.abs(np.diagonal(H.diag, axis1=1, axis2=2)).mean()) or 1.0

        # Grow the damping until the shifted Hessian factorises and the step
        # decreases the action (or, at rounding level, the gradient norm).
        while True:
            factor = banded_cholesky(H.banded(damping * scale))
            if factor is not None:
                p = -solve_banded_cholesky(factor, g.ravel()).reshape(x.shape)
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
                    x, A, gnorm, it, False, "stalled",
                    f"no step decreases the action (gradient norm {gnorm:.2e}); "
                    "try more steps or another initial path",
                )
        x, A, g = x + p, A_new, g_new
        damping = 0.0 if damping < 1e-6 else damping / 10.0
    return NewtonOutcome(
        x, A, gnorm, max_iterations, False, "max-iterations",
        f"gradient norm {gnorm:.2e} > {gtol:.1e} after {max_iterations} "
        "iterations; raise max_iterations or loosen gtol",
    )
