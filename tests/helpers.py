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


def expected_binned_sums(F, D, dt: float, lag: int, edges, sub: int = 8):
    """Infinite-data per-bin sums of exact OU transitions binned by midpoint.

    For a stationary OU process the midpoint ``m = (z + z') / 2`` and the
    increment ``dz = z' - z`` over ``lag * dt`` are jointly Gaussian, so
    ``E[dz | m] = K m`` and ``Cov(dz | m) = C`` are exact; the per-bin
    moments of ``m`` come from a midpoint rule with ``sub`` points per bin
    and axis (2-D grids). Returned as two identical half-blocks, shapes as
    :class:`~pathspace.estimators._binned.BinnedSums`, for one transition in
    total: feeding them to the estimator gives its large-data limit.
    """
    from scipy import stats

    from pathspace.estimators._binned import BinnedSums

    drift = LinearDrift(F, D)
    S = drift.exact_stationary_covariance()
    h = lag * dt
    A, Q = drift.transition(h)
    eye = np.eye(2)
    Pm, Pd = (eye + A) / 2, A - eye
    Cmm = Pm @ S @ Pm.T + Q / 4
    Cdm = Pd @ S @ Pm.T + Q / 2
    Cdd = Pd @ S @ Pd.T + Q
    K = Cdm @ np.linalg.inv(Cmm)
    C = Cdd - K @ Cdm.T

    axes, weights, owner = [], [], []
    for e in edges:
        w = np.diff(e)
        offsets = (np.arange(sub) + 0.5) / sub
        axes.append((e[:-1, None] + w[:, None] * offsets).ravel())
        weights.append(np.repeat(w / sub, sub))
        owner.append(np.repeat(np.arange(len(w)), sub))
    X, Y = np.meshgrid(*axes, indexing="ij")
    pts = np.stack([X.ravel(), Y.ravel()], axis=-1)
    mass = stats.multivariate_normal(np.zeros(2), Cmm).pdf(pts)
    mass = mass * np.outer(*weights).ravel()
    n_bins = (len(edges[0]) - 1) * (len(edges[1]) - 1)
    index = (owner[0][:, None] * (len(edges[1]) - 1) + owner[1][None, :]).ravel()

    def per_bin(values):
        return np.bincount(index, weights=mass * values, minlength=n_bins)

    P = per_bin(np.ones(len(pts)))
    m1 = np.stack([per_bin(pts[:, i]) for i in range(2)], axis=-1)
    m2 = np.empty((n_bins, 2, 2))
    for i in range(2):
        for j in range(2):
            m2[:, i, j] = per_bin(pts[:, i] * pts[:, j])
    s1 = m1 @ K.T
    s2 = (np.einsum("ai,bij,cj->bac", K, m2, K) + P[:, None, None] * C) / h
    half = [0.5 * np.stack([a, a]) for a in (P, P * h, s1, s2)]
    return BinnedSums(*half)
