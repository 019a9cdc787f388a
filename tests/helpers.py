"""Reference problems with exact answers, shared by the tests."""

from __future__ import annotations

import numpy as np

from pathspace.dynamics import LinearDrift
from pathspace.simulate import Trajectories, simulate

# Relative bias budget of the default grid estimator at dt = 0.01 on the
# systems below: finite dt costs about (relaxation rate) x dt (<= 1 %), bin
# averaging about h^2 / (6 l^2) (< 0.5 % at the default bins).
GRID_RELATIVE_BIAS = 0.015


def kronecker_lyapunov(F: np.ndarray, D: np.ndarray) -> np.ndarray:
    """Solve F S + S F^T + 2 D = 0 by a dense Kronecker system (reference)."""
    n = F.shape[0]
    eye = np.eye(n)
    A = np.kron(eye, F) + np.kron(F, eye)
    return np.linalg.solve(A, -2.0 * D.reshape(-1)).reshape(n, n)


def random_stable_matrix(dim: int, rng: np.random.Generator) -> np.ndarray:
    """A random non-normal matrix with eigenvalues of real part <= -0.3."""
    A = rng.normal(size=(dim, dim)) / np.sqrt(dim)
    shift = np.linalg.eigvals(A).real.max() + 0.3
    return A - shift * np.eye(dim)


def exact_ou_paths(
    F, D, n_paths: int, n_steps: int, dt: float, seed: int
) -> Trajectories:
    """Stationary OU paths sampled with the exact transition."""
    drift = LinearDrift(F, D)
    return simulate(drift, n_paths, n_steps, dt, seed=seed, scheme="exact")


def nonuniform_ou_paths(
    F, D, n_paths: int, n_steps: int, dt_range, seed: int
) -> Trajectories:
    """Exact OU paths at random, non-uniform sampling intervals."""
    drift = LinearDrift(F, D)
    rng = np.random.default_rng(seed)
    S = drift.exact_stationary_covariance()
    dim = drift.dim
    z = np.empty((n_paths, n_steps, dim))
    t = np.zeros((n_paths, n_steps))
    z[:, 0] = rng.multivariate_normal(np.zeros(dim), S, size=n_paths)
    dts = rng.uniform(*dt_range, size=n_steps - 1)
    for k, h in enumerate(dts):
        A, cov = drift.transition(h)
        noise = rng.multivariate_normal(np.zeros(dim), cov, size=n_paths)
        z[:, k + 1] = z[:, k] @ A.T + noise
        t[:, k + 1] = t[:, k] + h
    return Trajectories(z, t=t)
