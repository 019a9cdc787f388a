import json

import numpy as np
import pytest
from typer.testing import CliRunner

from pathspace.cli import app

runner = CliRunner()


def _run(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_systems_lists_every_named_system():
    result = _run("systems")
    assert result.exit_code == 0
    for name in ("ou", "paper-linear", "paper-softmax", "maier-stein"):
        assert name in result.output


def test_simulate_measure_json_and_plot(tmp_path):
    data = tmp_path / "pl.npz"
    result = _run(
        "simulate",
        "paper-linear",
        "--param",
        "theta=1",
        "--n-paths",
        40,
        "--n-steps",
        2500,
        "--scheme",
        "exact",
        "--out",
        data,
    )
    assert result.exit_code == 0, result.output
    out, fig = tmp_path / "m.json", tmp_path / "m.png"
    result = _run("measure", data, "--json", out, "--plot", fig)
    assert result.exit_code == 0, result.output
    record = json.loads(out.read_text())
    for key in (
        "n_paths",
        "n_steps",
        "dim",
        "n_transitions",
        "dt",
        "diffusion",
        "warnings",
    ):
        assert key in record
    ep = record["entropy_production"]
    for key in ("value", "stderr", "raw", "bias", "estimator", "status"):
        assert key in ep
    assert abs(ep["value"] - 4.0) < 4 * ep["stderr"] + 0.06
    assert fig.stat().st_size > 10_000


def test_record_pendulum_then_measure(tmp_path):
    data = tmp_path / "pend.npz"
    result = _run(
        "record", "pendulum", "--out", data, "--n-paths", 4, "--n-steps", 1500
    )
    assert result.exit_code == 0, result.output
    z = np.load(data)["z"]
    assert z.shape == (4, 1500, 2)
    assert np.all(np.abs(z[..., 0]) <= np.pi)
    out = tmp_path / "p.json"
    result = _run("measure", data, "--json", out, "--plot", tmp_path / "p.png")
    assert result.exit_code == 0, result.output
    record = json.loads(out.read_text())
    # noise enters the velocity only: the check on diffusive scaling says so
    assert record["entropy_production"]["status"] == "assumption-violated"
    assert any("smooth" in w for w in record["warnings"])


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["measure", "{tmp}/none.npz"], "no such file"),
        (["measure", "{tmp}/ok.npz", "--json", "{tmp}/out.txt"], ".json"),
        (["measure", "{tmp}/ok.npz", "--plot", "{tmp}/nodir/x.png"], "does not exist"),
        (["measure", "{tmp}/ok.npz", "--estimator", "magic"], "--estimator"),
        (["measure", "{tmp}/ok.npy"], "--dt"),
        (["simulate", "nope", "--out", "{tmp}/s.npz"], "unknown system"),
        (["simulate", "ou", "--param", "theta", "--out", "{tmp}/s.npz"], "name=value"),
        (["simulate", "ou", "--dt", "-1", "--out", "{tmp}/s.npz"], "dt"),
        (["simulate", "ou", "--out", "{tmp}/s.csv"], ".npz"),
        (
            ["record", "pendulum", "--torque-noise", "0", "--out", "{tmp}/r.npz"],
            "torque_noise",
        ),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, args, fragment):
    z = np.cumsum(np.random.default_rng(0).normal(size=(2, 200, 2)), axis=1)
    np.savez(tmp_path / "ok.npz", z=z, dt=0.1)
    np.save(tmp_path / "ok.npy", z)
    before = set(tmp_path.rglob("*"))
    result = _run(*[a.format(tmp=tmp_path) for a in args])
    assert result.exit_code == 2
    assert fragment in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) <= 3  # one line, maybe wrapped
    assert set(tmp_path.rglob("*")) == before
