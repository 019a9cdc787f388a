"""Attention world model, its data and its training loop."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal

from pathspace._errors import PathspaceError
from pathspace.attention import asymmetry_index
from pathspace.dynamics import SoftmaxAttentionDrift
from pathspace.models import (
    AttentionWorldModel,
    TrainingConfig,
    TransitionData,
    load_model,
    rotating_ou,
    rotating_ou_mean,
    sample_rotating_ou,
    save_model,
    train,
)
from pathspace.simulate import Trajectories

A, D, DT = 0.4, 0.25, 0.05


def _perturbed(seed: int = 0) -> AttentionWorldModel:
    """A float64 model with a generic (asymmetric) M and moved slots."""
    model = AttentionWorldModel(dtype="float64", learn_memory=True)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in (model.W_Q, model.W_K, model.memory):
            p.add_(0.3 * torch.randn(p.shape, generator=gen, dtype=p.dtype))
    return model


def _data(omega: float, n_paths: int, n_steps: int, seed: int) -> TransitionData:
    traj = sample_rotating_ou(A, omega, D, DT, n_paths, n_steps, seed=seed)
    return TransitionData.from_trajectories(traj)


# -- the model --------------------------------------------------------------
def test_initial_query_key_is_symmetric():
    model = AttentionWorldModel()
    M = model.query_key().detach().numpy()
    assert asymmetry_index(M) == 0.0
    assert model.asymmetry_norm() == 0.0
    np.testing.assert_allclose(M, 0.25 * np.eye(2), rtol=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_as_drift_matches_module_and_autodiff(seed):
    model = _perturbed(seed)
    drift = model.as_drift()
    assert isinstance(drift, SoftmaxAttentionDrift)
    z = torch.randn(
        50, 2, generator=torch.Generator().manual_seed(seed), dtype=torch.float64
    )
    np.testing.assert_allclose(
        drift(z).numpy(), model.drift(z).detach().numpy(), rtol=1e-12, atol=1e-12
    )
    auto = torch.func.vmap(torch.func.jacrev(model.drift))(z).detach().numpy()
    np.testing.assert_allclose(drift.jacobian(z).numpy(), auto, rtol=1e-10, atol=1e-12)
    assert drift.score_scale == pytest.approx(1 / math.sqrt(2))
    assert drift.diffusion[0, 0] == pytest.approx(0.5)


def test_nll_is_the_gaussian_transition_density():
    model = _perturbed()
    gen = torch.Generator().manual_seed(3)
    z = torch.randn(20, 2, generator=gen, dtype=torch.float64)
    z_next = z + 0.3 * torch.randn(20, 2, generator=gen, dtype=torch.float64)
    nll = model.nll(z, z_next, DT).detach().numpy()
    mean = (z + model.drift(z) * DT).detach().numpy()
    ref = [
        -multivariate_normal(m, 2 * 0.5 * DT * np.eye(2)).logpdf(x)
        for m, x in zip(mean, z_next.numpy(), strict=True)
    ]
    np.testing.assert_allclose(nll, ref, rtol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_symmetrized_replaces_M_by_its_symmetric_part(seed):
    model = _perturbed(seed)
    twin = model.symmetrized()
    M = model.query_key().detach().numpy()
    M_twin = twin.query_key().detach().numpy()
    np.testing.assert_allclose(M_twin, 0.5 * (M + M.T), atol=1e-12)
    p, q = model.parameters_numpy(), twin.parameters_numpy()
    np.testing.assert_array_equal(p["memory"], q["memory"])
    assert (p["gamma"], p["beta"], p["diffusion"]) == (
        q["gamma"],
        q["beta"],
        q["diffusion"],
    )
    if np.linalg.eigvalsh(M_twin).min() > 0:
        np.testing.assert_array_equal(twin.W_Q.detach(), twin.W_K.detach())
    np.testing.assert_array_equal(model.query_key().detach().numpy(), M)


def test_symmetrized_indefinite_M():
    model = AttentionWorldModel(dtype="float64")
    with torch.no_grad():
        model.W_Q.copy_(torch.tensor([[1.0, 2.0], [0.0, 1.0]]))
        model.W_K.copy_(torch.tensor([[-1.0, 0.0], [3.0, 1.0]]))
    M = model.query_key().detach().numpy()
    assert np.linalg.eigvalsh(0.5 * (M + M.T)).min() < 0
    np.testing.assert_allclose(
        model.symmetrized().query_key().detach().numpy(), 0.5 * (M + M.T), atol=1e-12
    )


def test_rollout_is_the_iterated_mean_map():
    model = _perturbed()
    z0 = np.array([[1.0, -0.5], [0.2, 0.3]])
    path = model.rollout(z0, 3, DT)
    assert path.shape == (2, 4, 2)
    z = torch.as_tensor(z0)
    for k in range(3):
        z = z + model.drift(z).detach() * DT
        np.testing.assert_allclose(path[:, k + 1], z.numpy(), rtol=1e-12)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"dim": 1},
        {"n_slots": 1},
        {"slot_radius": 0.0},
        {"gamma": -1.0},
        {"dtype": "float16"},
    ],
)
def test_model_rejects_bad_arguments(kwargs):
    with pytest.raises(PathspaceError):
        AttentionWorldModel(**kwargs)


# -- the data -----------------------------------------------------------------
def test_rotating_ou_mean_is_the_exact_propagator():
    z = np.array([[1.0, 0.0], [0.3, -2.0]])
    h = np.array([0.0, 0.7, 3.0])
    mean = rotating_ou_mean(z, h, A, 1.3)
    for k, t in enumerate(h):
        prop = rotating_ou(A, 1.3, D).transition(t)[0] if t > 0 else np.eye(2)
        np.testing.assert_allclose(mean[:, k], z @ prop.T, rtol=1e-10, atol=1e-14)
    assert rotating_ou(A, 1.3, D).exact_entropy_production() == pytest.approx(
        2 * 1.3**2 / A
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_samples_are_stationary_with_covariance_D_over_a(seed):
    traj = sample_rotating_ou(A, 1.0, D, DT, 400, 50, seed=seed)
    assert traj.z.shape == (400, 50, 2)
    # paths are independent: the per-path variance over a tenth of the
    # states (near-independent samples) has a standard error of
    # sqrt(2 / n) relative; allow 4 of them
    states = traj.z[:, ::10].reshape(-1, 2)
    var = states.var(axis=0)
    tol = 4 * math.sqrt(2 / 400) * D / A
    np.testing.assert_allclose(var, D / A, atol=tol)
    again = sample_rotating_ou(A, 1.0, D, DT, 400, 50, seed=seed)
    np.testing.assert_array_equal(traj.z, again.z)


def test_transition_data_pairs_consecutive_states():
    traj = sample_rotating_ou(A, 0.5, D, DT, 3, 5, seed=0)
    data = TransitionData.from_trajectories(traj, dtype=torch.float64)
    assert len(data) == 12 and data.dim == 2 and data.dt == DT
    np.testing.assert_array_equal(data.start[4].numpy(), traj.z[1, 0])
    np.testing.assert_array_equal(data.end[4].numpy(), traj.z[1, 1])
    assert data.path.tolist() == [0] * 4 + [1] * 4 + [2] * 4


def test_transition_data_refuses_gaps_and_timestamps():
    z = np.zeros((2, 4, 2))
    z[0, 2] = np.nan
    with pytest.raises(PathspaceError, match="gaps"):
        TransitionData.from_trajectories(Trajectories(z, dt=0.1))
    t = np.tile(np.arange(4.0), (2, 1))
    with pytest.raises(PathspaceError, match="constant dt"):
        TransitionData.from_trajectories(Trajectories(np.zeros((2, 4, 2)), t=t))


# -- training -----------------------------------------------------------------
def _fit_rate(model: AttentionWorldModel, seed: int) -> float:
    """Rotation rate of the best linear fit of the model's drift."""
    z = sample_rotating_ou(A, 0.0, D, DT, 2000, 1, seed=seed).z[:, 0]
    f = model.as_drift().numpy(z)
    F = np.linalg.solve(z.T @ z, z.T @ f).T
    return 0.5 * (F[1, 0] - F[0, 1])


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("omega", [0.0, 1.0])
def test_training_learns_the_rotation(omega, seed):
    n_paths, n_steps = 100, 401
    data = _data(omega, n_paths, n_steps, seed)
    model = AttentionWorldModel(learn_memory=False)
    result = train(model, data, TrainingConfig(n_steps=150, seed=seed))
    # the Euler mean map that matches exp(W dt) rotates at this rate
    target = math.exp(-A * DT) * math.sin(omega * DT) / DT
    # least-squares rotation rate from T = n dt of data: stderr sqrt(2 a / T)
    stderr = math.sqrt(2 * A / (n_paths * (n_steps - 1) * DT))
    assert abs(_fit_rate(model, seed) - target) < 5 * stderr
    assert result.history["loss"][-1] < result.history["loss"][0]
    if omega == 0.0:
        assert model.asymmetry_norm() < 0.05
    else:
        assert model.asymmetry_norm() > 0.2


def test_training_is_deterministic_and_resumes_exactly(tmp_path):
    data = _data(1.0, 20, 101, seed=5)
    seen = []
    config = TrainingConfig(
        n_steps=40, seed=7, log_every=5, checkpoint_every=10, snapshot_steps=(0, 15, 40)
    )
    whole = train(
        AttentionWorldModel(),
        data,
        config,
        checkpoint_dir=tmp_path / "a",
        progress=lambda step, n, rec: seen.append((step, n)),
    )
    assert seen[0] == (0, 40) and seen[-1] == (40, 40)
    assert sorted(whole.snapshots) == [0, 15, 40]

    # an interrupted run: 20 steps, then the same call with 40
    first = TrainingConfig(
        n_steps=20, seed=7, log_every=5, checkpoint_every=10, snapshot_steps=(0, 15)
    )
    train(AttentionWorldModel(), data, first, checkpoint_dir=tmp_path / "b")
    resumed = train(AttentionWorldModel(), data, config, checkpoint_dir=tmp_path / "b")
    assert resumed.resumed_from == 20
    for key, value in whole.model.state_dict().items():
        torch.testing.assert_close(
            resumed.model.state_dict()[key], value, rtol=0, atol=0
        )
    assert resumed.history == whole.history

    # a finished run is loaded, not trained again
    again = train(AttentionWorldModel(), data, config, checkpoint_dir=tmp_path / "a")
    assert again.resumed_from == 40 and again.history == whole.history
    snap = load_model(whole.snapshots[0])
    assert snap.asymmetry_norm() == 0.0


def test_resume_refuses_other_data_or_settings(tmp_path):
    config = TrainingConfig(n_steps=10, checkpoint_every=5)
    train(
        AttentionWorldModel(),
        _data(1.0, 5, 51, seed=0),
        config,
        checkpoint_dir=tmp_path,
    )
    with pytest.raises(PathspaceError, match="training data"):
        train(
            AttentionWorldModel(),
            _data(1.0, 5, 51, seed=1),
            config,
            checkpoint_dir=tmp_path,
        )
    with pytest.raises(PathspaceError, match="learning rate"):
        train(
            AttentionWorldModel(),
            _data(1.0, 5, 51, seed=0),
            TrainingConfig(n_steps=10, lr=0.1),
            checkpoint_dir=tmp_path,
        )
    with pytest.raises(PathspaceError, match="model configuration"):
        train(
            AttentionWorldModel(n_slots=8),
            _data(1.0, 5, 51, seed=0),
            config,
            checkpoint_dir=tmp_path,
        )


def test_save_and_load_round_trip(tmp_path):
    model = _perturbed()
    path = save_model(model, tmp_path / "m.safetensors", {"note": "x"})
    back = load_model(path)
    assert back.config == model.config
    for key, value in model.state_dict().items():
        torch.testing.assert_close(back.state_dict()[key], value, rtol=0, atol=0)
    (tmp_path / "bad.safetensors").write_bytes(b"not a checkpoint")
    with pytest.raises(PathspaceError, match="safetensors"):
        load_model(tmp_path / "bad.safetensors")


@pytest.mark.parametrize(
    "kwargs", [{"n_steps": 0}, {"lr": -1.0}, {"snapshot_steps": (5,), "n_steps": 3}]
)
def test_training_config_rejects_bad_values(kwargs):
    with pytest.raises(PathspaceError):
        TrainingConfig(**kwargs)


def test_snapshots_need_a_directory():
    with pytest.raises(PathspaceError, match="checkpoint_dir"):
        train(
            AttentionWorldModel(),
            _data(1.0, 2, 11, seed=0),
            TrainingConfig(n_steps=2, snapshot_steps=(1,)),
        )
