"""Estimators against exact answers.

Tolerances: k standard errors (the estimator's own block bootstrap) plus the
bias budget of the default grid estimator (helpers.GRID_RELATIVE_BIAS).
"""

import numpy as np
import pytest
from helpers import (
    GRID_RELATIVE_BIAS,
    exact_ou_paths,
    nonuniform_ou_paths,
    random_stable_matrix,
)

from pathspace import PathspaceError, PathspaceWarning
from pathspace.dynamics import LinearDrift, make_system
from pathspace.estimators import (
    data_non_normality,
    diffusive_scaling,
    entropy_production,
    estimate_diffusion,
    grid_fields,
    non_normality,
)
from pathspace.estimators._diffusion import find_jumps
from pathspace.simulate import Trajectories, simulate

K = 4.0  # standard errors allowed


def _linear_cases():
    rng = np.random.default_rng(7)
    return {
        "paper-linear": (make_system("paper-linear", theta=1.0).F, 0.25),
        "gyrator": (make_system("gyrator").F, np.diag([1.0, 0.2])),
        "full-D": (
            random_stable_matrix(2, rng) * 2.0,
            np.array([[0.6, 0.25], [0.25, 0.4]]),
        ),
    }


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("case", ["paper-linear", "gyrator", "full-D"])
def test_default_estimator_matches_lyapunov(case, seed):
    F, D = _linear_cases()[case]
    exact = LinearDrift(F, D).exact_entropy_production()
    traj = exact_ou_paths(F, D, 200, 4000, 0.01, seed)
    est = entropy_production(traj, seed=seed)
    assert est.estimator == "stratonovich"
    assert est.ok
    assert abs(est.value - exact) <= K * est.stderr + GRID_RELATIVE_BIAS * exact


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_zero_at_zero_asymmetry_while_the_paper_estimator_has_a_floor(seed):
    traj = exact_ou_paths(
        make_system("paper-linear", theta=0.0).F, 0.25, 200, 5000, 0.01, seed
    )
    ours = entropy_production(traj, seed=seed)
    paper = entropy_production(traj, "paper", seed=seed)
    assert abs(ours.value) <= K * ours.stderr
    assert ours.bias > 0  # the plug-in value carried the noise floor
    assert paper.value > K * paper.stderr  # its floor is resolved


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nonlinear_gradient_system_gives_zero(seed):
    # Maier-Stein at beta = 1 is the gradient of a quartic potential
    drift = make_system("maier-stein", beta=1.0, D=0.3)
    traj = simulate(drift, 200, 3000, 0.01, seed=seed, scheme="heun", burn_in=500)
    est = entropy_production(traj, seed=seed)
    assert abs(est.value) <= K * est.stderr


def test_nonlinear_circulating_system_is_positive():
    drift = make_system("maier-stein", beta=10.0, D=0.3)
    traj = simulate(drift, 200, 3000, 0.01, seed=0, scheme="heun", burn_in=500)
    est = entropy_production(traj)
    assert est.value > 5 * est.stderr


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_diffusion_matrix_full_and_anisotropic(seed):
    F, D = _linear_cases()["full-D"]
    traj = exact_ou_paths(F, D, 100, 4000, 0.01, seed)
    est = estimate_diffusion(traj, seed=seed)
    # O(dt) discretisation bias: |F| dt relative
    bias = np.linalg.norm(F, 2) * 0.01 * np.abs(D)
    assert np.all(np.abs(est.value - D) <= K * est.stderr + bias)
    lin = estimate_diffusion(traj, "linear", seed=seed)
    assert np.all(np.abs(lin.value - D) <= K * lin.stderr + bias)


@pytest.mark.parametrize("seed", [0, 1])
def test_non_uniform_sampling(seed):
    F, D = _linear_cases()["paper-linear"]
    exact = LinearDrift(F, D).exact_entropy_production()
    traj = nonuniform_ou_paths(F, D, 400, 1500, (0.005, 0.02), seed)
    assert traj.t is not None
    est = entropy_production(traj, seed=seed)
    assert abs(est.value - exact) <= K * est.stderr + GRID_RELATIVE_BIAS * exact
    Dhat = estimate_diffusion(traj, seed=seed)
    assert np.all(
        np.abs(Dhat.value - 0.25 * np.eye(2)) <= K * Dhat.stderr + 0.01 * 0.25
    )


def test_gaps_split_transitions():
    F, D = _linear_cases()["paper-linear"]
    traj = exact_ou_paths(F, D, 4, 100, 0.01, 0)
    z = traj.z.copy()
    z[0, 10] = np.nan
    z[1, 50, 1] = np.inf
    gapped = Trajectories(z, dt=0.01)
    tr = gapped.transitions()
    assert len(tr) == 4 * 99 - 4  # each gap removes the two transitions at it
    assert np.all(np.isfinite(tr.start)) and np.all(np.isfinite(tr.end))


def test_fields_drift_density_and_under_sampled_bins():
    drift = make_system("trap-curl", k2=2.0)
    traj = exact_ou_paths(drift.F, drift.diffusion, 200, 5000, 0.01, 1)
    f = grid_fields(traj, bins=12, min_count=50)
    vol = np.prod(np.meshgrid(*f.grid.widths, indexing="ij"), axis=0)
    assert np.sum(f.density * vol) == pytest.approx(1.0, rel=1e-12)
    ok = f.mask()
    assert np.all(np.isnan(f.drift[~ok])) and not np.any(f.drift[~ok] == 0)
    # linear drift: the bin mean of F z is F times the bin's mean state;
    # allow the drift's standard error plus half a bin of that averaging
    centers = np.stack(np.meshgrid(*f.grid.centers, indexing="ij"), -1)
    exact = centers @ drift.F.T
    half = 0.5 * np.array([w[0] for w in f.grid.widths])
    slack = K * f.drift_stderr + np.abs(drift.F) @ half
    assert np.all(np.abs(f.drift - exact)[ok] <= slack[ok])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_non_normality_from_data(seed):
    drift = make_system("trap-curl", k1=1.0, k2=3.0, omega=1.0)
    exact = non_normality(drift.F)
    traj = exact_ou_paths(drift.F, drift.diffusion, 100, 4000, 0.01, seed)
    est = data_non_normality(traj, seed=seed)
    assert abs(est.value - exact) <= K * est.stderr + 0.02 * exact
    assert non_normality(np.array([[1.0, 2.0], [2.0, -1.0]])) == 0.0


def test_diffusive_scaling_flags_a_smooth_coordinate():
    # underdamped oscillator: the position has no noise of its own
    rng = np.random.default_rng(0)
    n, dt = 20000, 0.01
    x = np.zeros((8, n, 2))
    for k in range(n - 1):
        q, p = x[:, k, 0], x[:, k, 1]
        p2 = p + (-q - 0.5 * p) * dt + np.sqrt(2 * dt) * rng.normal(size=8)
        x[:, k + 1] = np.stack([q + p2 * dt, p2], -1)
    smooth = Trajectories(x, dt=dt)
    assert diffusive_scaling(smooth).max() > 1.5
    F, D = _linear_cases()["paper-linear"]
    fine = exact_ou_paths(F, D, 20, 5000, 0.01, 0)
    assert diffusive_scaling(fine).max() < 1.1


def test_estimator_validation():
    traj = exact_ou_paths(-np.eye(4), 1.0, 2, 100, 0.01, 0)
    with pytest.raises(PathspaceError, match="at most 3 dimensions"):
        entropy_production(traj, "stratonovich")
    with pytest.raises(PathspaceError, match="estimator"):
        entropy_production(traj, "magic")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_wrapped_coordinate_is_flagged_and_clean_data_are_not(seed):
    # stationary sd 2.5 per axis: the first coordinate crosses +-pi often
    drift = make_system("rotating-ou", a=0.16, omega=1.0, D=1.0)
    traj = simulate(drift, 20, 2001, 0.01, seed=seed, scheme="exact")
    clean = entropy_production(traj, seed=seed)
    assert clean.status != "discontinuous"
    z = traj.z.copy()
    z[..., 0] = np.mod(z[..., 0] + np.pi, 2 * np.pi) - np.pi
    with pytest.warns(PathspaceWarning, match="wrapping around"):
        wrapped = entropy_production(Trajectories(z, dt=traj.dt), seed=seed)
    assert wrapped.status == "discontinuous"
    assert "coordinate 0" in wrapped.message


@pytest.mark.parametrize("system", ["ou", "double-well", "maier-stein", "gyrator"])
def test_no_jumps_in_diffusions(system):
    drift = make_system(system)
    for seed in (0, 1, 2):
        traj = simulate(drift, 50, 2000, 0.01, seed=seed)
        assert find_jumps(traj) == ""


def test_paper_estimator_is_labelled_biased():
    traj = simulate(make_system("ou", dim=2), 50, 2000, 0.01, seed=0)
    with pytest.warns(PathspaceWarning, match="positive floor"):
        est = entropy_production(traj, "paper")
    assert est.status == "biased"


@pytest.mark.parametrize("estimator", ["stratonovich", "projection"])
def test_a_misspelt_option_is_refused_with_the_accepted_ones(estimator):
    traj = simulate(make_system("ou", dim=2), 2, 200, 0.01, seed=0)
    with pytest.raises(PathspaceError, match="unknown option estimater.*n_blocks"):
        entropy_production(traj, estimator, estimater="paper")


def test_jackknife_equals_refitting_without_each_block():
    # Reference implementation: the estimator refitted on the data with one
    # path (one block) removed, on the same grid, for every path.
    from pathspace.estimators._entropy import grid_entropy_production
    from pathspace.estimators._grid import make_grid

    traj = simulate(make_system("paper-linear"), 21, 300, 0.01, seed=3)
    edges = list(make_grid(traj.transitions().midpoint, 12).edges)
    opts = {"bins": edges, "n_boot": 2}
    est = grid_entropy_production(traj, n_blocks=21, jackknife=True, **opts)
    full = grid_entropy_production(traj, n_blocks=21, **opts)
    left_out = [
        grid_entropy_production(
            Trajectories(np.delete(traj.z, k, axis=0), dt=traj.dt),
            n_blocks=20,
            **opts,
        ).value
        for k in range(21)
    ]
    expected = full.value - 20 * (np.mean(left_out) - full.value)
    assert est.value == pytest.approx(expected, rel=1e-10, abs=1e-12)
    assert est.details["jackknife_correction"] == pytest.approx(
        expected - full.value, rel=1e-8
    )
    assert est.bias == pytest.approx(est.raw - est.value, rel=1e-12)


@pytest.mark.parametrize("case", ["paper-linear", "gyrator", "full-D"])
def test_large_data_limit_is_within_the_bias_budget(case):
    # The estimator fed the exact expected sums of infinite data on the grid
    # it would use for 4 x 10^6 transitions: what remains is its bias alone
    # (bin averaging and finite dt), with no sampling noise.
    from helpers import expected_binned_sums

    from pathspace.estimators._entropy import _coarsen, stratonovich_sigma
    from pathspace.estimators._grid import Grid, default_bins

    F, D = _linear_cases()[case]
    drift = LinearDrift(F, D)
    exact = drift.exact_entropy_production()
    sd = np.sqrt(np.diag(drift.exact_stationary_covariance()))
    n_bins = default_bins(4_000_000, 2)
    fine = Grid(tuple(np.linspace(-5 * s, 5 * s, n_bins + 1) for s in sd))
    coarse = _coarsen(fine)

    def limit(grid, lag):
        sums = expected_binned_sums(F, D, 0.01, lag, grid.edges)
        return float(stratonovich_sigma(sums)["value"][0])

    plain = limit(fine, 1)
    corrected = plain + limit(coarse, 1) - limit(coarse, 2)
    assert abs(corrected - exact) <= GRID_RELATIVE_BIAS * exact
    # deterministic: -0.15 %, -0.32 % and -0.16 % on these cases
    assert abs(corrected - exact) <= 0.005 * exact
    # the first-order dt extrapolation must bring it closer
    assert abs(corrected - exact) < abs(plain - exact)


def _assumption_status(z, dt=0.01):
    with pytest.warns(PathspaceWarning):
        est = entropy_production(Trajectories(z, dt=dt))
    return est


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_api_flags_data_that_break_the_assumptions(seed):
    drift = make_system("rotating-ou")
    # the same stationary data pass, then fail stored time-major
    good = simulate(drift, 40, 2000, 0.01, seed=seed, scheme="exact")
    assert entropy_production(good).status == "ok"
    est = _assumption_status(np.swapaxes(good.z, 0, 1))
    assert est.status == "assumption-violated" and "time-major" in est.message
    # an ensemble relaxing from one start is not stationary
    start = simulate(drift, 200, 400, 0.01, seed=seed, z0=[4.0, 4.0], scheme="exact")
    est = _assumption_status(start.z)
    assert est.status == "assumption-violated" and "not stationary" in est.message
    # a position driven by a noisy velocity is smooth, not diffusive
    rng = np.random.default_rng(seed)
    v = simulate(make_system("ou", dim=1), 40, 4000, 0.01, seed=seed).z[..., 0]
    x = np.cumsum(v, axis=1) * 0.01 + rng.normal(size=(40, 1))
    est = _assumption_status(np.stack([x - x.mean(1, keepdims=True), v], -1))
    assert est.status == "assumption-violated" and "smooth" in est.message


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_fast_rotation_sampled_coarsely_is_flagged(seed):
    # omega dt = 0.25: the first-order dt correction (about 10 % of the value)
    # leaves a second-order bias of a few standard errors, so it is flagged;
    # at omega dt = 0.1 the residual is well inside the error bar
    drift = make_system("rotating-ou", omega=5.0)
    exact = drift.exact_entropy_production()
    coarse = simulate(drift, 200, 2500, 0.05, seed=seed, scheme="exact")
    with pytest.warns(PathspaceWarning, match="higher orders may leave"):
        est = entropy_production(coarse)
    assert est.status == "coarse-sampling"
    fine = entropy_production(
        simulate(drift, 200, 2500, 0.02, seed=seed, scheme="exact")
    )
    assert fine.status == "ok"
    assert abs(fine.value - exact) < 4 * fine.stderr


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_states_rounded_to_a_coarse_grid_are_flagged(seed):
    drift = make_system("rotating-ou")
    z = simulate(drift, 40, 2000, 0.01, seed=seed, scheme="exact").z
    assert entropy_production(Trajectories(z, dt=0.01)).status == "ok"
    rounded = {
        "float32 far from zero, back in float64": (z + 1e6).astype(np.float32) + 0.0,
        "a lattice of +-1 steps": np.cumsum(
            np.random.default_rng(seed).choice([-1, 1], size=(40, 2000, 2)), axis=1
        ),
        "two decimals": np.round(z, 2),
    }
    for what, data in rounded.items():
        est = _assumption_status(data.astype(np.float64))
        assert est.status == "assumption-violated", what
        assert "lie on a grid" in est.message, what
