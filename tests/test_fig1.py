"""Fig. 1 in quick mode: the paper's claims, with tolerances from the error bars.

Tolerances: ``K`` standard errors of the estimate (bootstrap) plus the
estimator's stated relative bias (``GRID_RELATIVE_BIAS``). With about 30
comparisons per seed, ``K = 4`` keeps the chance of a false alarm below
0.2 % (two-sided normal tail 6 x 10^-5 each).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import GRID_RELATIVE_BIAS
from typer.testing import CliRunner

from pathspace.cli import _reproduce as cli_reproduce
from pathspace.cli import app
from pathspace.experiments import THETA_INTERVENTION, reproduce_fig1
from pathspace.experiments._fig1 import _FULL, _points

K = 4.0


@pytest.fixture(scope="module", params=[0, 1])
def quick(request, tmp_path_factory):
    out = tmp_path_factory.mktemp(f"fig1-seed{request.param}")
    record = reproduce_fig1(out, quick=True, seed=request.param)
    return out, record, request.param


def test_files_and_keys(quick):
    out, record, _ = quick
    assert (out / "fig1.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    on_disk = json.loads((out / "fig1.json").read_text())
    assert on_disk == json.loads(json.dumps(record))
    for key in ("theta", "Q", "exact", "measured", "stderr", "paper_estimator"):
        assert len(record["linear"][key]) == len(record["linear"]["theta"])
    for key in ("theta", "Q", "measured", "stderr", "paper_estimator"):
        assert len(record["softmax"][key]) == len(record["softmax"]["theta"])
    for model in ("linear", "softmax"):
        assert {"before", "after"} <= set(record["intervention"][model])
    assert record["seconds"] > 0
    table = (out / "fig1.md").read_text()
    for number in ("4.21", "15.9", "7.71", "0.18", "3.82", "0.19", "~0.2"):
        assert number in table


def test_linear_sweep_matches_lyapunov(quick):
    lin = quick[1]["linear"]
    theta = np.array(lin["theta"])
    exact = np.array(lin["exact"])
    np.testing.assert_allclose(exact, 4 * theta**2, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(lin["Q"], theta / np.sqrt(theta**2 + 0.25), rtol=1e-12)
    error = np.abs(np.array(lin["measured"]) - exact)
    allowed = K * np.array(lin["stderr"]) + GRID_RELATIVE_BIAS * exact
    assert np.all(error <= allowed), (error, allowed)


def test_zero_at_zero_asymmetry(quick):
    record = quick[1]
    for model in ("linear", "softmax"):
        block = record[model]
        assert block["theta"][0] == 0.0 and block["Q"][0] == 0.0
        assert abs(block["measured"][0]) <= K * block["stderr"][0]
        # the published estimator keeps a positive floor there
        assert block["paper_estimator"][0] > 2 * block["paper_stderr"][0]


def test_softmax_rises_and_saturates(quick):
    soft = quick[1]["softmax"]
    theta, value = np.array(soft["theta"]), np.array(soft["measured"])
    se = np.array(soft["stderr"])
    step_se = np.hypot(se[1:], se[:-1])
    assert np.all(np.diff(value) > -K * step_se)
    assert value[-1] > K * se[-1]
    # concave in theta (the linear model's 4 theta^2 is convex): the rise
    # from theta = 1 to 2 is well below the rise from 0 to 1
    k0, k1, k2 = (int(np.argmin(np.abs(theta - t))) for t in (0.0, 1.0, 2.0))
    first, second = value[k1] - value[k0], value[k2] - value[k1]
    assert first - second > K * np.sqrt(se[k0] ** 2 + 4 * se[k1] ** 2 + se[k2] ** 2)


def test_intervention_collapses_both_models(quick):
    inter = quick[1]["intervention"]
    assert inter["theta"] == THETA_INTERVENTION
    for model in ("linear", "softmax"):
        r = inter[model]
        assert r["Q_after"] == 0.0 and r["Q_before"] > 0.9
        assert abs(r["after"]) <= K * r["after_stderr"]
        # "more than an order of magnitude"; the full figure reaches >= 20
        assert r["collapse"] >= 10
        assert r["before"] > 10 * (abs(r["after"]) + 2 * r["after_stderr"])
    assert inter["softmax"]["exact_after"] == 0.0
    lin = inter["linear"]
    assert lin["exact_after"] == pytest.approx(0.0, abs=1e-12)
    assert abs(lin["before"] - lin["exact_before"]) <= (
        K * lin["before_stderr"] + GRID_RELATIVE_BIAS * lin["exact_before"]
    )


def test_rerun_loads_points_and_matches(quick):
    out, record, seed = quick
    again = reproduce_fig1(out, quick=True, seed=seed)
    for key in ("linear", "softmax", "intervention"):
        assert again[key] == record[key]


def test_every_point_has_its_own_seed():
    seeds = {seed: [p["seed"] for p in _points(_FULL, seed)] for seed in (0, 1)}
    assert len(set(seeds[0])) == len(seeds[0])
    assert not set(seeds[0]) & set(seeds[1])


def test_cli_reuses_finished_points(quick):
    out, record, seed = quick
    result = CliRunner().invoke(
        app, ["reproduce", "fig1", "--quick", "--out", str(out), "--seed", str(seed)]
    )
    assert result.exit_code == 0, result.output
    assert "fig1.png" in result.output
    assert json.loads((out / "fig1.json").read_text())["linear"] == record["linear"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["fig1", "--seed", "-1"], "--seed"),
        (["fig1", "--scheduler", "not an address"], "--scheduler"),
        (["fig1", "--out", "{missing}/deeper"], "does not exist"),
        (["fig2"], "fig2: not available"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(tmp_path, monkeypatch, args, message):
    monkeypatch.setitem(
        cli_reproduce.FIGURES,
        "fig2",
        ("pathspace.experiments._no_such_figure", "reproduce"),
    )
    monkeypatch.chdir(tmp_path)
    args = [a.replace("{missing}", str(tmp_path / "missing")) for a in args]
    result = CliRunner().invoke(app, ["reproduce", *args])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.output
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []
