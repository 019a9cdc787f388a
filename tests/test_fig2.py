"""Fig. 2 in its quick mode: the paper's claims with statistical tolerances."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from pathspace._errors import PathspaceError
from pathspace.experiments._fig2 import DT, A, mode_settings, reproduce_fig2
from pathspace.experiments._fig3 import reproduce_fig3

MODE = mode_settings(quick=True)
# relative bias of the debiased grid estimator on exact rotating-OU samples
# at dt = 0.05 and 5 x 10^5 transitions (measured: -4 %), rounded up
ESTIMATOR_BIAS = 0.05


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("fig2")
    return out, reproduce_fig2(out, quick=True, seed=0)


def _training_rel_stderr(omega: float) -> float:
    """Relative stderr of 2 omega^2 / a fitted from T = n dt of data.

    Least squares gives each entry of the drift matrix a variance 2 a / T,
    so the rotation rate and the decay rate have variance a / T each.
    """
    T = MODE.n_paths * (MODE.n_steps - 1) * DT
    se = math.sqrt(A / T)
    return math.hypot(2 * se / omega, se / A)


def test_files_and_record(run):
    out, record = run
    for name in ("fig2.png", "fig2.json", "fig2.md"):
        assert (out / name).stat().st_size > 0
    stored = json.loads((out / "fig2.json").read_text())
    assert stored["sweep"] == record["sweep"]
    for key in ("step", "MA_norm", "sigma"):
        assert len(record["training"][key]) == len(MODE.snapshot_steps)
    for key in ("omega", "exact", "measured", "MA_norm", "non_normality"):
        assert len(record["sweep"][key]) == len(MODE.omegas)
    for key in ("sigma_before", "sigma_after", "N_before", "N_after"):
        assert math.isfinite(record["intervention"][key])
    for key in ("circulating_ci", "relaxational_ci"):
        low, high = record["excess_loss"][key]
        assert low <= high
    assert record["seconds"] > 0


def test_trained_entropy_production_reproduces_the_data(run):
    sweep = run[1]["sweep"]
    for omega, exact, measured, se in zip(
        sweep["omega"], sweep["exact"], sweep["measured"], sweep["stderr"], strict=True
    ):
        if omega == 0:
            assert abs(measured) < 4 * se
            continue
        # estimator bias + 3 training-noise stderrs + 3 measurement stderrs
        tol = (ESTIMATOR_BIAS + 3 * _training_rel_stderr(omega)) * exact + 3 * se
        assert abs(measured - exact) < tol, (omega, measured, exact)


def test_asymmetry_is_acquired_only_for_circulating_data(run):
    record = run[1]
    sweep = record["sweep"]
    MA = dict(zip(sweep["omega"], sweep["MA_norm"], strict=True))
    N = dict(zip(sweep["omega"], sweep["non_normality"], strict=True))
    assert MA[0.0] < 0.1 * MA[1.0]
    assert N[0.0] < 0.1 * N[1.0]
    assert np.all(np.diff(sweep["non_normality"]) > 0)
    # acquired from Q = 0 within the first hundred steps
    tr = record["training"]
    assert tr["MA_norm"][0] == 0.0 and abs(tr["sigma"][0]) < 4 * tr["sigma_stderr"][0]
    early = [
        s for step, s in zip(tr["step"], tr["sigma"], strict=True) if 0 < step <= 100
    ]
    assert max(early) > 0.8 * record["intervention"]["exact"]


def test_symmetrisation_collapses_entropy_production_and_non_normality(run):
    inter = run[1]["intervention"]
    # conservative factors: before / (|after| + 2 stderr_after)
    assert inter["sigma_collapse"] >= 10
    assert inter["N_collapse"] >= 5
    assert inter["sigma_after"] < 0.1 * inter["sigma_before"]


def test_excess_loss_only_on_circulating_data(run):
    ex = run[1]["excess_loss"]
    assert ex["circulating_ci"][0] > 0
    low, high = ex["relaxational_ci"]
    assert low <= 0 <= high


def test_fig3_reuses_the_trained_models(run):
    out, record = run
    fig3 = reproduce_fig3(out, quick=True, seed=0)
    assert fig3["seconds"] < 30  # no training: the sweep results are on disk
    assert fig3["resource"]["sigma"] == record["sweep"]["measured"]
    again = reproduce_fig2(out, quick=True, seed=0)
    assert again["sweep"] == record["sweep"]


def test_rejects_bad_arguments(tmp_path):
    with pytest.raises(PathspaceError, match="seed"):
        reproduce_fig2(tmp_path, quick=True, seed=-1)
    (tmp_path / "file").write_text("")
    with pytest.raises(PathspaceError, match="out_dir"):
        reproduce_fig2(tmp_path / "file", quick=True)
