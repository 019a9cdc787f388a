"""Prediction, planning and the Jacobi operator against exact references.

References: the Ornstein-Uhlenbeck transition density and bridge (closed
form), the Euler chain marginalised by Gaussian algebra (rtol 1e-10, a
reference implementation), dense linear algebra for the banded routines,
and the double-well numbers of the paper's Sec. III with O(dt^2) midpoint
convergence.
"""

import numpy as np
import pytest
import torch

from pathspace._errors import PathspaceError
from pathspace.action import onsager_machlup_action
from pathspace.dynamics import (
    FunctionDrift,
    SoftmaxAttentionDrift,
    make_system,
    ring_slots,
)
from pathspace.paths import jacobi_operator, plan_path, predict_path
from pathspace.paths._newton import lowest_mode

THETA, D_OU, T_OU, Z0, ZT = 1.3, 0.2, 2.0, 0.7, -0.4
EXACT_VALUE, EXACT_MID_STD = 0.647918, 0.364105


def _ou():
    return make_system("ou", theta=THETA, D=D_OU)


def _ou_exact(t):
    """Continuum bridge mean and variance at times t, and -ln p(zT | z0)."""
    var = lambda s: D_OU / THETA * (1 - np.exp(-2 * THETA * s))  # noqa: E731
    a = lambda s: np.exp(-THETA * s)  # noqa: E731
    mean = a(t) * Z0 + var(t) * a(T_OU - t) / var(T_OU) * (ZT - a(T_OU) * Z0)
    bvar = var(t) - var(t) ** 2 * a(T_OU - t) ** 2 / var(T_OU)
    value = 0.5 * np.log(2 * np.pi * var(T_OU)) + (ZT - a(T_OU) * Z0) ** 2 / (
        2 * var(T_OU)
    )
    return mean, bvar, value


def test_double_well_most_probable_path_departs_from_rollout():
    # Paper Sec. III: f = z - z^3, D = 0.1, z0 = -1, T = 4.
    drift = make_system("double-well", D=0.1)
    result = predict_path(drift, [-1.0], 4.0, 400)
    assert result.converged and result.status == "converged"
    n = 400
    assert abs(result.path[n // 2, 0] - (-1.106)) < 0.01
    assert abs(result.path[-1, 0] - (-1.059)) < 0.01
    np.testing.assert_allclose(result.rollout, -1.0, atol=1e-12)
    assert np.abs(result.departure).max() > 0.05
    assert result.grad_norm <= 1e-8


def test_euler_lagrange_residual_and_energy_converge_at_second_order():
    drift = make_system("double-well", D=0.1)
    coarse = predict_path(drift, [-1.0], 4.0, 200)
    fine = predict_path(drift, [-1.0], 4.0, 400)
    # Central differences and the midpoint rule are both O(dt^2): halving dt
    # divides the errors by ~4; ask for > 3.
    ratio = np.abs(coarse.el_residual).max() / np.abs(fine.el_residual).max()
    assert ratio > 3
    ratio_E = np.ptp(coarse.energy) / np.ptp(fine.energy)
    assert ratio_E > 3
    assert np.ptp(fine.energy) < 1e-3 * np.abs(fine.energy).mean() + 1e-4


@pytest.mark.parametrize("convention", ["ito", "stratonovich"])
def test_ou_plan_value_path_and_midpoint_std(convention):
    n = 400
    plan = plan_path(_ou(), [Z0], [ZT], T=T_OU, n_steps=n, convention=convention)
    assert plan.converged and plan.hessian_positive_definite
    mean, bvar, value = _ou_exact(plan.times)
    np.testing.assert_allclose(value, EXACT_VALUE, rtol=1e-6)
    # O(dt) discretisation: 0.5 % at dt = 0.005.
    assert abs(plan.neg_log_density - EXACT_VALUE) < 0.005 * EXACT_VALUE
    assert np.abs(plan.path[:, 0] - mean).max() < 0.01
    np.testing.assert_allclose(np.sqrt(bvar[n // 2]), EXACT_MID_STD, rtol=1e-5)
    assert abs(plan.std[n // 2, 0] - EXACT_MID_STD) < 0.02 * EXACT_MID_STD
    np.testing.assert_allclose(plan.std[1:-1, 0], np.sqrt(bvar[1:-1]), rtol=0.02)
    assert plan.std[0, 0] == 0 and plan.std[-1, 0] == 0


def _euler_marginal(F, D, dt, n, z0):
    """Mean and covariance of z_n for z_{k+1} = (I + dt F) z_k + N(0, 2 dt D)."""
    A = np.eye(len(F)) + dt * F
    mean, cov = z0.copy(), np.zeros_like(F)
    for _ in range(n):
        mean, cov = A @ mean, A @ cov @ A.T + 2 * dt * D
    return mean, cov


def _neg_log_normal(x, mean, cov):
    r = x - mean
    _, logdet = np.linalg.slogdet(2 * np.pi * cov)
    return 0.5 * logdet + 0.5 * r @ np.linalg.solve(cov, r)


@pytest.mark.parametrize(
    "system, params, z0, zT, n",
    [
        ("ou", {"theta": THETA, "D": D_OU}, [Z0], [ZT], 400),
        ("gyrator", {}, [0.5, -0.3], [-0.2, 0.4], 60),
        ("trap-curl", {"omega": 0.8}, [1.0, 0.0], [0.0, 1.0], 60),
    ],
)
def test_ito_value_is_exact_for_the_discrete_chain(system, params, z0, zT, n):
    drift = make_system(system, **params)
    T = 2.0
    plan = plan_path(drift, z0, zT, T=T, n_steps=n, convention="ito", n_starts=1)
    mean, cov = _euler_marginal(drift.F, drift.diffusion, T / n, n, np.array(z0))
    exact = _neg_log_normal(np.array(zT), mean, cov)
    np.testing.assert_allclose(plan.neg_log_density, exact, rtol=1e-10)


def test_ito_value_converges_to_continuum_at_first_order():
    errors = []
    for n in (100, 200, 400):
        plan = plan_path(
            _ou(), [Z0], [ZT], T=T_OU, n_steps=n, convention="ito", n_starts=1
        )
        errors.append(abs(plan.neg_log_density - _ou_exact(0.0)[2]))
    assert errors[0] > errors[1] > errors[2]
    assert 1.6 < errors[1] / errors[2] < 2.5  # O(dt): ratio ~2


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ito_value_with_terminal_cost_is_exact(seed):
    rng = np.random.default_rng(seed)
    a, s = rng.normal(), 0.3 + rng.uniform()
    n, T = 200, T_OU

    def cost(z):
        return ((z - a) ** 2).sum() / (2 * s**2)

    plan = plan_path(
        _ou(), [Z0], terminal_cost=cost, T=T, n_steps=n, convention="ito", n_starts=1
    )
    mean, cov = _euler_marginal(
        np.array([[-THETA]]), np.array([[D_OU]]), T / n, n, np.array([Z0])
    )
    # -ln int N(z; mean, cov) exp(-(z - a)^2 / 2 s^2) dz, in closed form.
    v = cov[0, 0] + s**2
    exact = -0.5 * np.log(s**2 / v) + (a - mean[0]) ** 2 / (2 * v)
    np.testing.assert_allclose(plan.neg_log_density, exact, rtol=1e-10)


@pytest.mark.parametrize("convention", ["ito", "stratonovich"])
def test_prediction_covariance_is_forward_covariance(convention):
    drift, n, T = _ou(), 400, T_OU
    pred = predict_path(drift, [Z0], T, n, convention=convention)
    assert pred.converged
    var_exact = D_OU / THETA * (1 - np.exp(-2 * THETA * pred.times))
    # O(dt) discretisation of the covariance: rtol 2 % at dt = 0.005.
    np.testing.assert_allclose(pred.std[1:, 0], np.sqrt(var_exact[1:]), rtol=0.02)
    if convention == "ito":
        _, cov = _euler_marginal(
            np.array([[-THETA]]), np.array([[D_OU]]), T / n, n, np.array([Z0])
        )
        np.testing.assert_allclose(pred.covariance[-1], cov, rtol=1e-10)
        euler_mean = Z0 * (1 - THETA * T / n) ** np.arange(n + 1)
        np.testing.assert_allclose(pred.path[:, 0], euler_mean, rtol=1e-10)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("ends", ["dirichlet", "natural"])
def test_selected_inversion_and_log_det_match_dense_algebra(seed, ends):
    rng = np.random.default_rng(seed)
    drift = make_system("paper-softmax", theta=1.0)
    path = np.cumsum(0.1 * rng.standard_normal((41, 2)), axis=0)
    op = jacobi_operator(drift, path, 0.05, ends=ends)
    H = op.dense()
    np.testing.assert_allclose(H, H.T, rtol=1e-12, atol=1e-12)
    shift = 1.0 - min(0.0, np.linalg.eigvalsh(H).min())
    op = type(op)(diag=op.diag + shift * np.eye(2), sub=op.sub)
    H = op.dense()
    G = np.linalg.inv(H)
    blocks = np.stack(
        [G[2 * j : 2 * j + 2, 2 * j : 2 * j + 2] for j in range(len(op.diag))]
    )
    np.testing.assert_allclose(
        op.marginal_covariances(), blocks, rtol=1e-10, atol=1e-14
    )
    np.testing.assert_allclose(op.log_det(), np.linalg.slogdet(H)[1], rtol=1e-10)


def test_jacobi_operator_is_the_hessian_of_the_action():
    drift = make_system("maier-stein", beta=3.0, D=0.1)
    rng = np.random.default_rng(0)
    path = np.cumsum(0.1 * rng.standard_normal((11, 2)), axis=0)
    op = jacobi_operator(drift, path, 0.1)
    x = torch.as_tensor(path[1:-1].ravel())

    def action(v):
        z = torch.cat(
            [torch.as_tensor(path[:1]), v.reshape(-1, 2), torch.as_tensor(path[-1:])]
        )
        return onsager_machlup_action(drift, z, 0.1)

    H = torch.autograd.functional.hessian(action, x).numpy()
    np.testing.assert_allclose(op.dense(), H, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("seed", [0, 1, 2])
def testlowest_mode_of_a_banded_matrix_matches_dense_eigh(seed):
    rng = np.random.default_rng(seed)
    n, width = 300, 4
    ab = rng.standard_normal((width, n))
    dense = np.zeros((n, n))
    for k in range(width):
        dense += np.diag(ab[k, : n - k], -k)
        if k:
            dense += np.diag(ab[k, : n - k], k)
    values, vectors = np.linalg.eigh(dense)
    v = lowest_mode(ab)
    # the eigenvalue gap sets the accuracy of any eigenvector solver
    gap = values[1] - values[0]
    assert abs(abs(v @ vectors[:, 0]) - 1.0) < 1e-8 / gap**2
    assert np.linalg.norm(dense @ v - values[0] * v) < 1e-8 * np.abs(values).max()


def test_maier_stein_plan_leaves_the_straight_saddle():
    # beta > 4: the straight path y = 0 is a saddle. D = 0.02 keeps the
    # midpoint action bounded below (|f|^2 / 4D > beta y^2 / 2 at x = 0).
    beta, D, T, n = 10.0, 0.02, 4.0, 100
    drift = make_system("maier-stein", beta=beta, D=D)
    plan = plan_path(drift, [-1.0, 0.0], [1.0, 0.0], T=T, n_steps=n)
    assert plan.converged and plan.hessian_positive_definite
    assert np.abs(plan.path[:, 1]).max() > 0.1

    # The symmetric stationary path: with y = 0 the Maier-Stein action is that
    # of the 1-D well f = x - x^3 with div f shifted by -(1 + x^2).
    line_div = FunctionDrift(lambda z: z - z**3, 1, D)
    line_div.divergence = lambda z: 1 - 3 * z[..., 0] ** 2 - (1 + z[..., 0] ** 2)
    sym = plan_path(line_div, [-1.0], [1.0], T=T, n_steps=n, n_starts=1)
    assert sym.converged
    saddle = np.column_stack([sym.path[:, 0], np.zeros(n + 1)])
    op = jacobi_operator(drift, saddle, T / n)
    assert op.cholesky() is None  # indefinite: a saddle of the 2-D action
    A_saddle = onsager_machlup_action(drift, saddle, T / n)
    np.testing.assert_allclose(A_saddle, sym.action, rtol=1e-10)
    assert plan.action < A_saddle - 0.1


def _shear_attention(M):
    # Eight ring slots of radius 2: C(0) = 2 I, so J(0) = -I + M^T here.
    return SoftmaxAttentionDrift(
        M, ring_slots(8, 2.0), gamma=1.0, beta=0.5, diffusion=0.25
    )


def _principal_angle(cov):
    w, v = np.linalg.eigh(cov)
    return np.degrees(np.arctan2(v[1, -1], v[0, -1])) % 180, w[:, -1] / w[:, 0]


def test_asymmetric_attention_has_non_normal_anisotropic_uncertainty():
    # Asymmetric M: J(0) = [[-0.8, 0], [1.2, -0.8]], a degenerate spectrum, so a
    # normal operator would give isotropic growth; its symmetrised twin is
    # normal, with fixed principal axes (Sec. IV.3).
    M = np.array([[0.2, 1.2], [0.0, 0.2]])
    n, T = 300, 3.0
    asym = predict_path(_shear_attention(M), [0.0, 0.0], T, n, convention="ito")
    twin = predict_path(
        _shear_attention(0.5 * (M + M.T)), [0.0, 0.0], T, n, convention="ito"
    )
    assert asym.converged and twin.converged

    # Exact: the covariance of the Euler chain linearised at the fixed point.
    J = -np.eye(2) + M.T
    _, cov = _euler_marginal(J, 0.25 * np.eye(2), T / n, n, np.zeros(2))
    np.testing.assert_allclose(asym.covariance[-1], cov, rtol=1e-10)

    early, late = asym.covariance[[10, -1]], twin.covariance[[10, -1]]
    angle_a, ratio_a = _principal_angle(early)
    angle_t, ratio_t = _principal_angle(late)
    assert abs(angle_a[1] - angle_a[0]) > 10  # principal axis turns in time
    assert abs(angle_t[1] - angle_t[0]) < 1e-6  # normal twin: axes fixed
    assert ratio_a[1] > 3  # anisotropic despite a degenerate spectrum


def test_bad_input_raises_one_line_errors():
    drift = _ou()
    with pytest.raises(PathspaceError, match="z0: expected 1"):
        predict_path(drift, [0.0, 1.0], 1.0, 10)
    with pytest.raises(PathspaceError, match="T: expected a positive"):
        predict_path(drift, [0.0], -1.0, 10)
    with pytest.raises(PathspaceError, match="n_steps: expected an integer >= 2"):
        plan_path(drift, [0.0], [1.0], T=1.0, n_steps=1)
    with pytest.raises(PathspaceError, match="exactly one of zT"):
        plan_path(drift, [0.0], T=1.0, n_steps=10)
    with pytest.raises(PathspaceError, match="convention"):
        plan_path(drift, [0.0], [1.0], T=1.0, n_steps=10, convention="exact")
