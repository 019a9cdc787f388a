"""Locality (P1): Markov data give epsilon ~ 0, hidden memory does not."""

import json

import numpy as np
import pytest

from pathspace._errors import PathspaceError
from pathspace.dynamics import LinearDrift, make_system
from pathspace.estimators._locality import locality
from pathspace.simulate import Trajectories, simulate

SEEDS = (0, 1, 2)
# (x1, x2) circulate and are pushed by a slow hidden h (rate 0.1)
HIDDEN = LinearDrift(
    np.array([[-1.0, -1.0, 1.0], [1.0, -1.0, 0.0], [0.0, 0.0, -0.1]]), 1.0
)


@pytest.mark.parametrize("seed", SEEDS)
def test_markov_zero_and_hidden_variable_separated(seed):
    full = simulate(HIDDEN, 50, 2000, 0.05, seed=seed, scheme="exact")
    observed = Trajectories(full.z[:, :, :2], dt=full.dt)
    markov = simulate(
        make_system("trap-curl"), 50, 2000, 0.05, seed=seed, scheme="exact"
    )

    hid = locality(observed, lag=5)
    mk = locality(markov, lag=5)
    whole = locality(full, lag=5)
    for res in (mk, whole):  # Markov: epsilon^2 centred on 0
        assert abs(res.epsilon_sq) <= 4 * res.epsilon_sq_stderr
    assert hid.epsilon - mk.epsilon > 3 * np.hypot(hid.stderr, mk.stderr)
    assert hid.epsilon_sq > 4 * hid.epsilon_sq_stderr


def test_result_is_json_ready():
    traj = simulate(make_system("trap-curl"), 30, 300, 0.05, seed=0)
    out = locality(traj, lag=2, basis="quadratic", n_boot=20).to_dict()
    assert json.loads(json.dumps(out)) == out
    assert out["lag"] == 2 and out["lag_time"] == pytest.approx(0.1)
    assert {"epsilon", "stderr", "epsilon_sq", "status"} <= set(out)


def test_locality_rejects_bad_input():
    traj = simulate(make_system("trap-curl"), 2, 20, 0.05, seed=0)
    with pytest.raises(PathspaceError, match="lag"):
        locality(traj, lag=0)
    with pytest.raises(PathspaceError, match="history"):
        locality(traj, lag=19)
