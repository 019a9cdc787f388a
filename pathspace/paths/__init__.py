"""Prediction (most probable path), planning (fixed ends or terminal cost),
and the Jacobi operator with its marginal covariances (Secs. III-IV of the
paper), by damped Newton on the block-tridiagonal Hessian of the action."""

from pathspace.paths._api import (
    PathResult,
    Plan,
    Prediction,
    conserved_energy,
    euler_lagrange_residual,
    jacobi_operator,
    plan_path,
    predict_path,
    rollout,
)
from pathspace.paths._operator import JacobiOperator

__all__ = [
    "JacobiOperator",
    "PathResult",
    "Plan",
    "Prediction",
    "conserved_energy",
    "euler_lagrange_residual",
    "jacobi_operator",
    "plan_path",
    "predict_path",
    "rollout",
]
