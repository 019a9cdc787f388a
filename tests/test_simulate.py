import numpy as np
import pytest
import torch

from pathspace import PathspaceError
from pathspace.dynamics import FunctionDrift, make_system
from pathspace.simulate import simulate


def test_same_seed_same_array_and_different_seed_differs():
    drift = make_system("paper-softmax", theta=1.0)
    a = simulate(drift, 8, 50, 0.01, seed=3, scheme="heun")
    b = simulate(drift, 8, 50, 0.01, seed=3, scheme="heun")
    c = simulate(drift, 8, 50, 0.01, seed=4, scheme="heun")
    np.testing.assert_array_equal(a.z, b.z)
    assert not np.allclose(a.z, c.z)


def test_chunking_bounds_memory_without_changing_shape():
    drift = make_system("ou", dim=3)
    traj = simulate(drift, 10, 20, 0.01, chunk_paths=3, burn_in=5, record_every=2)
    assert traj.z.shape == (10, 20, 3)
    assert traj.dt == pytest.approx(0.02)
    assert traj.z.dtype == np.float64


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exact_scheme_keeps_the_stationary_covariance(seed):
    drift = make_system("trap-curl", k2=2.0)
    S = drift.exact_stationary_covariance()
    traj = simulate(drift, 4000, 30, 0.1, seed=seed, scheme="exact")
    sample = traj.z[:, -1]  # independent paths: independent samples
    C = np.cov(sample.T)
    # standard error of a Gaussian sample covariance entry
    se = np.sqrt((S**2 + np.outer(np.diag(S), np.diag(S))) / sample.shape[0])
    assert np.all(np.abs(C - S) < 4 * se)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_euler_stationary_variance_has_its_known_first_order_bias(seed):
    # Euler-Maruyama on f = -theta z has variance 2 D / (2 theta - theta^2 dt)
    theta, D, dt, n = 1.0, 0.5, 0.2, 16000
    drift = make_system("ou", theta=theta, D=D)
    traj = simulate(drift, n, 2, dt, seed=seed, burn_in=100, z0=np.zeros(1))
    var = traj.z[:, -1, 0].var()
    euler = 2 * D / (2 * theta - theta**2 * dt)
    se = euler * np.sqrt(2 / n)
    assert abs(var - euler) < 4 * se
    assert abs(euler - D / theta) > 4 * se  # the bias is resolved


@pytest.mark.parametrize("seed", [0, 1])
def test_heun_is_second_order_in_the_drift(seed):
    # mean of a deterministic-dominated nonlinear flow: Heun error << Euler
    drift = FunctionDrift(lambda z: -torch.sin(z) * 2.0, 1, 1e-6)
    z0 = np.array([1.0])
    ref = (
        simulate(drift, 4, 2, 0.0005, z0=z0, burn_in=999, seed=seed, scheme="heun")
        .z[:, -1]
        .mean()
    )
    errs = {}
    for scheme in ("euler", "heun"):
        coarse = (
            simulate(drift, 4, 2, 0.05, z0=z0, burn_in=9, seed=seed, scheme=scheme)
            .z[:, -1]
            .mean()
        )
        errs[scheme] = abs(coarse - ref)
    assert errs["heun"] < 0.1 * errs["euler"]


def test_blow_up_is_reported_with_system_and_step():
    drift = FunctionDrift(lambda z: z**3, 1, 0.1, name="cubic")
    with pytest.raises(PathspaceError, match=r"cubic.*step"):
        simulate(drift, 2, 100, 0.5, z0=np.array([3.0]))


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"n_paths": 0}, "n_paths"),
        ({"dt": -0.1}, "dt"),
        ({"dt": "0.01"}, "dt to be one positive number"),
        ({"scheme": "rk4"}, "scheme"),
        ({"record_every": 0}, "record_every"),
    ],
)
def test_bad_arguments_are_refused(kwargs, fragment):
    args = {"n_paths": 2, "n_steps": 5, "dt": 0.01} | kwargs
    with pytest.raises(PathspaceError, match=fragment):
        simulate(make_system("ou"), **args)


def test_exact_scheme_needs_a_linear_drift():
    with pytest.raises(PathspaceError, match="linear"):
        simulate(make_system("double-well"), 2, 5, 0.01, scheme="exact")


def test_a_system_name_instead_of_a_drift_is_refused():
    with pytest.raises(PathspaceError, match="make_system"):
        simulate("ou", 2, 5, 0.01)
