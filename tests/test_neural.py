"""Neural (NEEP) entropy production: convergence status and accuracy."""

import numpy as np
import pytest

from pathspace._errors import ConvergenceWarning, PathspaceError
from pathspace.dynamics import make_system
from pathspace.estimators import entropy_production
from pathspace.estimators._neural import neural_entropy_production
from pathspace.simulate import simulate

SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def rotating():
    drift = make_system("rotating-ou")  # a = omega = 1, D = 1/4: sigma = 2
    return drift, drift.exact_entropy_production()


def test_tiny_budget_reports_not_converged(rotating):
    drift, _ = rotating
    traj = simulate(drift, 20, 500, 0.01, seed=0, scheme="exact")
    with pytest.warns(ConvergenceWarning):
        est = neural_entropy_production(traj, steps=10)
    assert est.status == "not-converged" and not est.ok
    assert np.isnan(est.value) and np.isnan(est.stderr)
    assert "steps" in est.message
    assert np.isfinite(est.details["unconverged_value"])


def test_stalled_training_reports_not_converged(rotating):
    drift, _ = rotating
    traj = simulate(drift, 20, 500, 0.01, seed=0, scheme="exact")
    with pytest.warns(ConvergenceWarning):
        est = neural_entropy_production(traj, steps=200, lr=1e-5)
    assert est.status == "not-converged" and np.isnan(est.value)


@pytest.mark.parametrize("seed", SEEDS)
def test_rotating_ou_value(rotating, seed):
    drift, exact = rotating
    traj = simulate(drift, 100, 1000, 0.01, seed=seed, scheme="exact")
    est = entropy_production(traj, "neural", steps=600, lr=1e-2, seed=seed)
    assert est.ok, est.message
    # training shortfall and the O(dt) pair-entropy bias: 5 % stated bias
    assert abs(est.value - exact) <= 3 * est.stderr + 0.05 * exact
    assert est.details["lower_bound"] <= est.value + 3 * est.stderr


def test_neural_rejects_bad_input(rotating):
    traj = simulate(rotating[0], 20, 50, 0.01, seed=0)
    with pytest.raises(PathspaceError, match="holdout"):
        neural_entropy_production(traj, holdout=1.5)
    with pytest.raises(PathspaceError, match="steps"):
        neural_entropy_production(traj, steps=0)
