"""Onsager-Machlup action, likelihood, reversal and pathwise entropy production.

Exact references: Euler and Ornstein-Uhlenbeck Gaussian transition densities
(scipy.stats, rtol 1e-10 as a reference implementation), discrete-chain
expectations computed in closed form, and Monte Carlo means compared within
4 standard errors.
"""

import numpy as np
import pytest
import scipy.linalg as sla
import torch
from scipy.stats import multivariate_normal

from pathspace._errors import PathspaceError
from pathspace.action import (
    action_split,
    entropy_production_path,
    onsager_machlup_action,
    path_log_likelihood,
    reverse_path,
)
from pathspace.dynamics import LinearDrift, make_system

SEEDS = [0, 1, 2]


def _gyrator():
    return make_system("gyrator", k=1.0, u=0.5, T1=1.0, T2=0.2)


def _rotating(omega=1.0):
    return make_system("rotating-ou", a=1.0, omega=omega, D=0.25)


def _sample(A, S_step, S0, n_paths, n_steps, rng):
    """Gaussian linear chain z_{k+1} = A z_k + N(0, S_step), z_0 ~ N(0, S0)."""
    d = A.shape[0]
    L, L0 = np.linalg.cholesky(S_step), np.linalg.cholesky(S0)
    z = np.empty((n_paths, n_steps + 1, d))
    z[:, 0] = rng.standard_normal((n_paths, d)) @ L0.T
    for k in range(n_steps):
        z[:, k + 1] = z[:, k] @ A.T + rng.standard_normal((n_paths, d)) @ L.T
    return z


def _stationary_paths(drift, dt, n_paths, n_steps, rng):
    A, S_step = drift.transition(dt)
    return _sample(
        A, S_step, drift.exact_stationary_covariance(), n_paths, n_steps, rng
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_ito_likelihood_is_the_euler_transition_density(seed):
    rng = np.random.default_rng(seed)
    drift, dt = _gyrator(), 0.05
    z = rng.standard_normal((3, 11, 2))
    expected = np.zeros(3)
    for k in range(10):
        mean = z[:, k] + dt * drift.numpy(z[:, k])
        for b in range(3):
            expected[b] += multivariate_normal(
                mean[b], 2 * dt * drift.diffusion
            ).logpdf(z[b, k + 1])
    got = path_log_likelihood(drift, z, dt, convention="ito")
    np.testing.assert_allclose(got, expected, rtol=1e-10)
    assert got.shape == (3,)


@pytest.mark.parametrize("seed", SEEDS)
def test_exact_convention_is_the_ou_transition_density(seed):
    rng = np.random.default_rng(seed)
    drift, dt = _gyrator(), 0.3
    A, S = drift.transition(dt)
    z = rng.standard_normal((9, 2))
    expected = sum(multivariate_normal(A @ z[k], S).logpdf(z[k + 1]) for k in range(8))
    got = path_log_likelihood(drift, z, dt, convention="exact")
    np.testing.assert_allclose(got, expected, rtol=1e-10)


def test_midpoint_action_matches_formula_and_is_differentiable():
    drift, dt = make_system("double-well", D=0.1), 0.1
    z = torch.tensor([[-1.0], [-0.8], [-0.5], [0.1]], requires_grad=True)
    A = onsager_machlup_action(drift, z, dt, convention="stratonovich")
    zn = z.detach().numpy()[:, 0]
    m, dz = 0.5 * (zn[1:] + zn[:-1]), np.diff(zn)
    expected = np.sum(
        (dz - dt * (m - m**3)) ** 2 / (4 * 0.1 * dt) + dt / 2 * (1 - 3 * m**2)
    )
    np.testing.assert_allclose(float(A.detach()), expected, rtol=1e-12)
    A.backward()
    assert z.grad is not None and torch.isfinite(z.grad).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_paper_eq18_is_offset_by_half_the_integrated_divergence(seed):
    # Against the exact OU path density, Ito and midpoint are unbiased up to
    # O(dt); Eq. 18 is off by T div f / 2 = -T theta d / 2 (4 SE + O(dt)).
    rng = np.random.default_rng(seed)
    theta, d, T, n = 1.3, 2, 2.0, 200
    drift, dt = make_system("ou", theta=theta, D=0.2, dim=d), T / n
    z = _stationary_paths(drift, dt, 400, n, rng)
    exact = path_log_likelihood(drift, z, dt, convention="exact")
    offset = -T * theta * d / 2
    for convention, target in [
        ("ito", 0.0),
        ("stratonovich", 0.0),
        ("paper-eq18", -offset),
    ]:
        diff = path_log_likelihood(drift, z, dt, convention=convention) - exact
        se = diff.std(ddof=1) / np.sqrt(len(diff))
        bias = T * (theta * d) ** 2 * dt  # first-order discretisation error
        assert abs(diff.mean() - target) < 4 * se + bias, convention


def test_reverse_path_flips_time_for_numpy_and_torch():
    z = np.arange(12.0).reshape(2, 3, 2)
    np.testing.assert_array_equal(reverse_path(z)[:, 0], z[:, -1])
    zt = torch.as_tensor(z)
    assert torch.equal(reverse_path(reverse_path(zt)), zt)


@pytest.mark.parametrize("convention", ["stratonovich", "ito"])
@pytest.mark.parametrize("seed", SEEDS)
def test_mean_entropy_production_tends_to_lyapunov_rate(seed, convention):
    rng = np.random.default_rng(seed)
    drift, T, n = _rotating(), 4.0, 400
    dt = T / n
    z = _stationary_paths(drift, dt, 1000, n, rng)
    sigma = entropy_production_path(drift, z, dt, convention=convention)

    # Exact discrete-chain mean: n/2 tr((G - G^T) S A^T), G = D^-1 F.
    A, _ = drift.transition(dt)
    S = drift.exact_stationary_covariance()
    G = np.linalg.solve(drift.diffusion, drift.F)
    discrete = n * 0.5 * np.trace((G - G.T) @ S @ A.T)
    se = sigma.std(ddof=1) / np.sqrt(len(sigma))
    assert abs(sigma.mean() - discrete) < 4 * se
    rate = drift.exact_entropy_production()
    # O(dt) convergence of the discrete mean to the continuum rate.
    assert abs(discrete / T - rate) < 2 * dt * rate * np.linalg.norm(drift.F, 2)
    assert abs(sigma.mean() / T - rate) < 4 * se / T + 0.02 * rate


def _log_gaussian(S):
    def log_rho(z):
        return multivariate_normal(np.zeros(len(S)), S).logpdf(z)

    return log_rho


@pytest.mark.parametrize("seed", SEEDS)
def test_integral_fluctuation_theorem_exact_chain(seed):
    rng = np.random.default_rng(seed)
    drift, dt, n = _rotating(omega=0.5), 0.1, 20
    S = drift.exact_stationary_covariance()
    z = _stationary_paths(drift, dt, 20000, n, rng)
    sigma = entropy_production_path(
        drift, z, dt, convention="exact", log_density=_log_gaussian(S)
    )
    x = np.exp(-sigma)
    assert abs(x.mean() - 1) < 4 * x.std(ddof=1) / np.sqrt(len(x))
    assert sigma.mean() > 0.5 * drift.exact_entropy_production() * n * dt


@pytest.mark.parametrize("seed", SEEDS)
def test_integral_fluctuation_theorem_euler_chain(seed):
    # The Ito action is the exact density of the Euler chain, whose
    # stationary law solves S = A S A^T + 2 dt D with A = I + dt F.
    rng = np.random.default_rng(seed)
    drift, dt, n = _rotating(omega=0.5), 0.1, 20
    A = np.eye(2) + dt * drift.F
    S = sla.solve_discrete_lyapunov(A, 2 * dt * drift.diffusion)
    z = _sample(A, 2 * dt * drift.diffusion, S, 20000, n, rng)
    sigma = entropy_production_path(
        drift, z, dt, convention="ito", log_density=_log_gaussian(S)
    )
    x = np.exp(-sigma)
    assert abs(x.mean() - 1) < 4 * x.std(ddof=1) / np.sqrt(len(x))


@pytest.mark.parametrize("seed", SEEDS)
def test_action_split_irreversible_part_is_circulating_line_integral(seed):
    rng = np.random.default_rng(seed)
    drift, dt = _gyrator(), 0.05
    z = rng.standard_normal((4, 31, 2))
    split = action_split(drift, z, dt, convention="stratonovich")
    np.testing.assert_allclose(
        split.symmetric + split.irreversible, split.total, rtol=1e-12
    )

    # A_irr = -1/2 sum dz^T D^-1 V m + 1/4 [z^T S^-1 z]_0^T  (Eq. 8).
    S_inv = np.linalg.inv(drift.exact_stationary_covariance())
    V = drift.circulating_matrix()
    dz, m = np.diff(z, axis=1), 0.5 * (z[:, 1:] + z[:, :-1])
    line = np.einsum("bki,ij,bkj->b", dz, np.linalg.solve(drift.diffusion, V), m)
    quad = np.einsum("bi,ij,bj->b", z[:, -1], S_inv, z[:, -1]) - np.einsum(
        "bi,ij,bj->b", z[:, 0], S_inv, z[:, 0]
    )
    np.testing.assert_allclose(
        split.irreversible, -0.5 * line + 0.25 * quad, rtol=1e-10
    )
    reversed_split = action_split(drift, reverse_path(z), dt)
    np.testing.assert_allclose(
        reversed_split.irreversible, -split.irreversible, rtol=1e-10
    )


def test_bad_input_raises_one_line_errors():
    drift = _gyrator()
    with pytest.raises(PathspaceError, match="path: expected shape"):
        onsager_machlup_action(drift, np.zeros((5, 3)), 0.1)
    with pytest.raises(PathspaceError, match="dt: expected a positive"):
        onsager_machlup_action(drift, np.zeros((5, 2)), 0.0)
    with pytest.raises(PathspaceError, match="convention: expected one of"):
        onsager_machlup_action(drift, np.zeros((5, 2)), 0.1, convention="euler")
    with pytest.raises(NotImplementedError, match="LinearDrift"):
        onsager_machlup_action(
            make_system("double-well"), np.zeros((5, 1)), 0.1, convention="exact"
        )
    assert isinstance(_gyrator(), LinearDrift)
