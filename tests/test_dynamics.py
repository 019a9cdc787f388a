import numpy as np
import pytest
import torch
from helpers import kronecker_lyapunov, random_stable_matrix
from torch.func import jacrev, vmap

from pathspace import PathspaceError
from pathspace.dynamics import (
    SYSTEMS,
    FunctionDrift,
    LinearDrift,
    SoftmaxAttentionDrift,
    lyapunov_covariance,
    lyapunov_entropy_production,
    make_system,
    ou_transition,
    parse_params,
    ring_slots,
)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("dim", [2, 3, 5])
def test_lyapunov_matches_kronecker_reference(seed, dim):
    rng = np.random.default_rng(seed)
    F = random_stable_matrix(dim, rng)
    B = rng.normal(size=(dim, dim))
    D = B @ B.T + 0.1 * np.eye(dim)
    np.testing.assert_allclose(
        lyapunov_covariance(F, D), kronecker_lyapunov(F, D), rtol=1e-8
    )


def test_closed_form_entropy_productions():
    # rotating OU: 2 omega^2 / a; the paper's family: 4 theta^2
    for a, omega in [(1.0, 0.5), (0.3, 2.0)]:
        drift = make_system("rotating-ou", a=a, omega=omega, D=0.7)
        assert drift.exact_entropy_production() == pytest.approx(
            2 * omega**2 / a, rel=1e-10
        )
    for theta in [0.0, 0.25, 1.0, 2.0]:
        drift = make_system("paper-linear", theta=theta)
        assert drift.exact_entropy_production() == pytest.approx(
            4 * theta**2, rel=1e-10, abs=1e-12
        )


def test_gradient_linear_drift_has_zero_entropy_production():
    # f = -D grad U with U = z^T K z / 2 satisfies detailed balance
    D = np.array([[1.0, 0.3], [0.3, 0.5]])
    K = np.array([[2.0, 0.4], [0.4, 1.0]])
    assert abs(lyapunov_entropy_production(-D @ K, D)) < 1e-10


def test_ou_transition_scalar_closed_form():
    theta, D, t = 1.3, 0.2, 0.37
    A, cov = ou_transition([[-theta]], [[D]], t)
    assert A[0, 0] == pytest.approx(np.exp(-theta * t), rel=1e-12)
    exact = D / theta * (1 - np.exp(-2 * theta * t))
    assert cov[0, 0] == pytest.approx(exact, rel=1e-10)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("dim", [2, 3, 8])
def test_attention_jacobian_matches_autodiff(seed, dim):
    rng = np.random.default_rng(seed)
    drift = SoftmaxAttentionDrift(
        rng.normal(size=(dim, dim)),
        rng.normal(size=(6, dim)),
        gamma=0.7,
        beta=1.3,
        score_scale=1 / np.sqrt(dim),
    )
    z = torch.as_tensor(rng.normal(size=(5, dim)))
    auto = vmap(jacrev(drift.forward))(z)
    torch.testing.assert_close(drift.jacobian(z), auto, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(
        drift.divergence(z), torch.einsum("nii->n", auto), rtol=1e-10, atol=1e-12
    )


def test_function_drift_autodiff_divergence():
    well = FunctionDrift(lambda z: z - z**3, dim=1, diffusion=0.1)
    z = torch.tensor([[0.5], [-1.0]])
    torch.testing.assert_close(well.divergence(z), 1 - 3 * z[:, 0] ** 2)


def test_every_named_system_builds_and_evaluates():
    for name in SYSTEMS:
        drift = make_system(name)
        z = torch.zeros(3, drift.dim) + 0.1
        assert drift(z).shape == (3, drift.dim)
        assert drift.diffusion.shape == (drift.dim, drift.dim)


def test_softmax_paper_system_is_gradient_at_zero_asymmetry():
    # M = I/2: the attention readout is the gradient of a log-sum-exp
    drift = make_system("paper-softmax", theta=0.0)
    z = torch.as_tensor(np.random.default_rng(0).normal(size=(10, 2)))
    J = drift.jacobian(z)
    torch.testing.assert_close(J, J.transpose(-1, -2), rtol=0, atol=1e-12)
    assert ring_slots(4, 1.0).shape == (4, 2)
    assert drift.exact_entropy_production() == 0.0
    # with asymmetry, or with anisotropic D, no closed form is claimed
    assert make_system("paper-softmax", theta=0.5).exact_entropy_production() is None


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"name": "nope"}, "unknown system"),
        ({"name": "ou", "speed": 1}, "unknown parameter"),
        ({"name": "ou", "theta": "fast"}, "expects a float"),
        ({"name": "ou", "dim": 1.5}, "expects a positive integer"),
        ({"name": "ou", "dim": 0}, "expects a positive integer"),
        ({"name": "ou", "D": -1}, "positive-definite"),
        ({"name": "linear", "F": "1,0;0,1"}, "negative real part"),
    ],
)
def test_bad_system_requests_are_refused(kwargs, fragment):
    name = kwargs.pop("name")
    with pytest.raises(PathspaceError, match=fragment):
        drift = make_system(name, **kwargs)
        drift.exact_entropy_production()


def test_linear_drift_refuses_non_square():
    with pytest.raises(PathspaceError, match="square"):
        LinearDrift(np.ones((2, 3)))


def test_repeated_parameter_is_refused():
    with pytest.raises(PathspaceError, match="given twice"):
        parse_params(["theta=1", "theta=2"])
