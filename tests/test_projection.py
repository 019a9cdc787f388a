"""Projection and pathwise entropy production against exact references."""

import numpy as np
import pytest
import scipy.integrate as si
import torch

from pathspace._errors import PathspaceError, UnderSampledWarning
from pathspace.action import step_action
from pathspace.dynamics import FunctionDrift, LinearDrift, make_system
from pathspace.estimators import entropy_production
from pathspace.estimators._pathwise import pathwise_entropy_production
from pathspace.estimators._projection import projection_entropy_production
from pathspace.simulate import Trajectories, simulate

SEEDS = (0, 1, 2)
K_SE = 4.0  # tolerance in standard errors (two-sided p ~ 6e-5 per check)


def random_linear(dim: int, seed: int, anisotropic: bool) -> LinearDrift:
    """Stable non-normal drift ``F = -M + Omega + N`` and a full ``D``."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
    M = Q @ np.diag(rng.uniform(0.5, 2.0, dim)) @ Q.T
    A = rng.normal(size=(dim, dim))
    F = -M + (A - A.T) / np.sqrt(2 * dim) + 0.3 * rng.normal(size=(dim, dim))
    F -= max(0.0, np.linalg.eigvals(F).real.max() + 0.3) * np.eye(dim)
    D = np.eye(dim)
    if anisotropic:
        Q, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
        D = Q @ np.diag(rng.uniform(0.3, 1.5, dim)) @ Q.T
    return LinearDrift(F, D)


def circulating_quartic(c: float, omega: float = 1.0, D0: float = 0.5):
    """3-D drift ``-(1 + |z|^2) z + (1 + c |z|^2) Omega z`` and exact sigma.

    ``U = |z|^2/2 + |z|^4/4`` is rotation invariant and ``Omega`` (rotation
    about the third axis) leaves ``|z|`` fixed, so ``rho ~ exp(-U / D0)``
    and ``v = (1 + c|z|^2) Omega z`` exactly (divergence free, tangent to
    the level sets of rho); ``sigma = omega^2 (2/3) <r^2 (1 + c r^2)^2> / D0``.
    """
    Om = torch.tensor(
        [[0.0, -omega, 0.0], [omega, 0.0, 0.0], [0.0, 0.0, 0.0]], dtype=torch.float64
    )

    def f(z):
        r2 = (z**2).sum(-1, keepdim=True)
        return -(1 + r2) * z + (1 + c * r2) * (z @ Om.T)

    def moment(p):
        w = lambda r: r**2 * np.exp(-(r**2 / 2 + r**4 / 4) / D0)  # noqa: E731
        return si.quad(lambda r: w(r) * p(r), 0, np.inf)[0] / si.quad(w, 0, np.inf)[0]

    exact = omega**2 * 2 / 3 * moment(lambda r: r**2 * (1 + c * r**2) ** 2) / D0
    return FunctionDrift(f, 3, D0, name="circulating-quartic"), exact


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("dim", [3, 8])
def test_linear_random_drift_matches_lyapunov(dim, seed):
    drift = random_linear(dim, 10 * dim + seed, anisotropic=seed != 1)
    exact = drift.exact_entropy_production()
    traj = simulate(drift, 40, 2500, 0.01, seed=seed, scheme="exact")
    est = projection_entropy_production(traj)
    assert est.ok
    assert abs(est.value - exact) <= K_SE * est.stderr + 0.01 * exact
    assert abs(est.value - exact) <= 0.1 * exact


@pytest.mark.parametrize("seed", SEEDS)
def test_gradient_system_gives_zero(seed):
    # f = -D H z with H symmetric: detailed balance with a full, anisotropic D.
    rng = np.random.default_rng(seed)
    B = rng.normal(size=(3, 3))
    D = B @ B.T / 3 + 0.3 * np.eye(3)
    drift = LinearDrift(-D @ (np.eye(3) + 0.5 * np.diag([1.0, 2.0, 3.0])), D)
    assert drift.exact_entropy_production() == pytest.approx(0.0, abs=1e-9)
    traj = simulate(drift, 40, 2500, 0.01, seed=seed, scheme="exact")
    for basis in ("linear", "quadratic"):
        est = projection_entropy_production(traj, basis)
        assert abs(est.value) <= K_SE * est.stderr
        assert est.bias > 0  # the plug-in value sits above zero


@pytest.mark.parametrize("seed", SEEDS)
def test_nonlinear_circulation_in_three_dimensions(seed):
    drift, exact = circulating_quartic(c=0.5)
    traj = simulate(drift, 100, 2500, 0.01, seed=seed, scheme="heun", burn_in=300)
    est = projection_entropy_production(traj, "cubic")
    assert abs(est.value - exact) <= K_SE * est.stderr + 0.02 * exact
    assert abs(est.value - exact) <= 0.1 * exact
    # A quadratic basis misses the cubic part of v: a lower bound.
    low = projection_entropy_production(traj, "quadratic")
    assert low.value <= est.value + 2 * est.stderr


def test_trap_curl_and_dispatcher():
    traj = simulate(make_system("trap-curl"), 1, 100_000, 0.01, seed=3, scheme="exact")
    est = entropy_production(traj, "projection", basis="linear")
    assert est.estimator == "projection"
    assert abs(est.value - 0.18) <= K_SE * est.stderr
    # the error bar is near the Cramer-Rao bound sqrt(8 sigma / T)
    assert est.stderr == pytest.approx(np.sqrt(8 * 0.18 / 1000), rel=0.35)


def test_projection_rejects_bad_input():
    traj = simulate(make_system("ou"), 2, 50, 0.1, seed=0)
    with pytest.raises(PathspaceError, match="basis"):
        projection_entropy_production(traj, "quartic-ish")
    with pytest.raises(PathspaceError, match="n_blocks"):
        projection_entropy_production(traj, n_blocks=1)
    with pytest.raises(PathspaceError, match="Trajectories"):
        projection_entropy_production(np.zeros((10, 2)))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("system", ["gyrator", "trap-curl"])
@pytest.mark.parametrize("convention", ["stratonovich", "ito", "exact"])
def test_pathwise_matches_lyapunov(system, convention, seed):
    drift = make_system(system)
    exact = drift.exact_entropy_production()
    traj = simulate(drift, 50, 2000, 0.01, seed=seed, scheme="exact")
    est = pathwise_entropy_production(traj, drift, convention)
    # relative O(dt) discretisation bias for the two approximate densities
    assert abs(est.value - exact) <= K_SE * est.stderr + 0.02 * exact


@pytest.mark.parametrize("convention", ["stratonovich", "ito"])
def test_pathwise_steps_equal_action_differences(convention):
    drift = make_system("gyrator")
    traj = simulate(drift, 1, 200, 0.01, seed=0, scheme="exact")
    a, e = torch.as_tensor(traj.z[0, :-1]), torch.as_tensor(traj.z[0, 1:])
    with torch.no_grad():
        diff = (
            step_action(drift, e, a, 0.01, convention)
            - step_action(drift, a, e, 0.01, convention)
        ).numpy()
    with pytest.warns(UnderSampledWarning):
        est = pathwise_entropy_production(
            Trajectories(traj.z, dt=0.01), drift, convention, n_blocks=4
        )
    assert est.value == pytest.approx(diff.sum() / (199 * 0.01), rel=1e-8)


def test_pathwise_rejects_mismatch():
    traj = simulate(make_system("ou", dim=3), 2, 50, 0.1, seed=0)
    with pytest.raises(PathspaceError, match="dimension"):
        pathwise_entropy_production(traj, make_system("trap-curl"))
    with pytest.raises(PathspaceError, match="linear"):
        pathwise_entropy_production(traj, make_system("maier-stein"), "exact")
