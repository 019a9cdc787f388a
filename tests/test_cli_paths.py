"""``pathspace predict`` and ``pathspace plan`` through typer's CliRunner."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from pathspace.cli import app

runner = CliRunner()


def test_plan_writes_json_and_plot(tmp_path):
    out, fig = tmp_path / "plan.json", tmp_path / "plan.png"
    result = runner.invoke(
        app,
        [
            "plan",
            "ou",
            "--param",
            "theta=1.3",
            "--param",
            "D=0.2",
            "--z0",
            "0.7",
            "--zT",
            "-0.4",
            "--T",
            "2",
            "--n-steps",
            "400",
            "--json",
            str(out),
            "--plot",
            str(fig),
        ],
    )
    assert result.exit_code == 0, result.output
    record = json.loads(out.read_text())
    for key in (
        "convention",
        "times",
        "path",
        "std",
        "action",
        "converged",
        "grad_norm",
        "neg_log_density",
    ):
        assert key in record
    assert np.shape(record["path"]) == (401, 1) == np.shape(record["std"])
    assert record["converged"] and record["convention"] == "stratonovich"
    assert abs(record["neg_log_density"] - 0.647918) < 0.005 * 0.647918
    assert fig.stat().st_size > 0
    assert "-ln p" in result.output


def test_predict_writes_rollout(tmp_path):
    out = tmp_path / "pred.json"
    result = runner.invoke(
        app,
        [
            "predict",
            "double-well",
            "--z0",
            "-1",
            "--T",
            "4",
            "--n-steps",
            "200",
            "--convention",
            "ito",
            "--json",
            str(out),
            "--plot",
            str(tmp_path / "p.png"),
        ],
    )
    assert result.exit_code == 0, result.output
    record = json.loads(out.read_text())
    assert record["convention"] == "ito"
    assert np.shape(record["rollout"]) == (201, 1)
    assert (tmp_path / "p.png").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["plan", "ou", "--z0", "0,1", "--zT", "0", "--T", "1"], "--z0: expected 1"),
        (["plan", "ou", "--z0", "0", "--zT", "0", "--T", "-1"], "--T: expected"),
        (["predict", "ou", "--z0", "0", "--T", "1", "--n-steps", "1"], "--n-steps"),
        (["predict", "nosuch", "--z0", "0", "--T", "1"], "unknown system"),
        (
            ["predict", "ou", "--param", "k=1", "--z0", "0", "--T", "1"],
            "unknown parameter",
        ),
        (["predict", "ou", "--z0", "0", "--T", "1", "--json", "out.txt"], "--json"),
        (
            ["predict", "ou", "--z0", "0", "--T", "1", "--convention", "euler"],
            "convention",
        ),
    ],
)
def test_bad_input_is_one_line_exit_2_nothing_written(
    tmp_path, monkeypatch, args, message
):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_unconverged_path_exits_1_with_its_status_recorded(tmp_path):
    out = tmp_path / "plan.json"
    args = ["plan", "maier-stein", "--z0=-1,0", "--zT", "1,0", "--T", "5"]
    args += ["--n-steps", "400", "--json", str(out)]
    capped = runner.invoke(app, [*args, "--max-iterations", "1"])
    assert capped.exit_code == 1
    assert "not converged (max-iterations)" in capped.output
    assert "--max-iterations" in capped.output
    assert json.loads(out.read_text())["status"] == "max-iterations"
    full = runner.invoke(app, [*args, "--max-iterations", "200", "--gtol", "1e-6"])
    assert full.exit_code == 0, full.output
    record = json.loads(out.read_text())
    assert record["converged"] and record["grad_norm"] <= 1e-6


def test_path_too_long_for_memory_is_refused(tmp_path):
    out = tmp_path / "p.json"
    args = ["predict", "double-well", "--z0=-1", "--T", "4"]
    result = runner.invoke(app, [*args, "--n-steps", "10000000000", "--json", str(out)])
    assert result.exit_code == 2
    assert "GiB" in result.output and "fewer steps" in result.output
    assert not out.exists()
