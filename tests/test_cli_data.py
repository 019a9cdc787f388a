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
            "--torque-noise",
        ),
        (["simulate", "ou", "--n-paths", "0", "--out", "{tmp}/s.npz"], "--n-paths"),
        (["simulate", "ou", "--burn-in", "-1", "--out", "{tmp}/s.npz"], "--burn-in"),
        (["record", "pendulum", "--n-steps", "1", "--out", "{tmp}/r.npz"], "--n-steps"),
        (
            ["record", "pendulum", "--damping", "-1", "--out", "{tmp}/r.npz"],
            "--damping",
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


def test_measurement_noise_is_flagged_not_reported_ok(tmp_path):
    # white noise: increments anti-correlated, apparent D halves with the lag
    z = np.random.default_rng(0).standard_normal((10, 500, 2))
    np.savez(tmp_path / "noise.npz", z=z, dt=0.01)
    out = tmp_path / "noise.json"
    result = _run("measure", tmp_path / "noise.npz", "--json", out)
    assert result.exit_code == 0, result.output
    record = json.loads(out.read_text())
    assert max(record["diffusive_scaling"]) < 0.6
    assert record["entropy_production"]["status"] == "assumption-violated"
    assert any("anti-correlated" in w for w in record["warnings"])


def test_a_time_major_array_is_flagged_with_the_axes_to_swap(tmp_path):
    data = tmp_path / "ou.npz"
    result = _run(
        "simulate", "rotating-ou", "--n-paths", 40, "--n-steps", 2000, "--out", data
    )
    assert result.exit_code == 0, result.output
    with np.load(data) as f:
        z, dt = f["z"], f["dt"]
    np.savez(tmp_path / "tm.npz", z=np.swapaxes(z, 0, 1), dt=dt)
    out = tmp_path / "tm.json"
    assert _run("measure", tmp_path / "tm.npz", "--json", out).exit_code == 0
    record = json.loads(out.read_text())
    assert record["entropy_production"]["status"] == "assumption-violated"
    assert any("swap the first two axes" in w for w in record["warnings"])


def test_a_clean_diffusion_passes_the_scaling_check(tmp_path):
    data, out = tmp_path / "ou.npz", tmp_path / "ou.json"
    result = _run(
        "simulate", "rotating-ou", "--n-paths", 40, "--n-steps", 2000, "--out", data
    )
    assert result.exit_code == 0, result.output
    assert _run("measure", data, "--json", out).exit_code == 0
    record = json.loads(out.read_text())
    assert record["entropy_production"]["status"] == "ok"
    assert record["warnings"] == []


@pytest.mark.parametrize("scale", [1e120, 1e-120])
def test_values_out_of_float_range_are_refused_with_a_rescaling_hint(tmp_path, scale):
    z = np.random.default_rng(1).standard_normal((2, 300, 2)).cumsum(1) * scale
    np.savez(tmp_path / "far.npz", z=z, dt=0.01)
    result = _run("measure", tmp_path / "far.npz")
    assert result.exit_code == 2
    line = result.output.strip()
    assert "\n" not in line and "far.npz" in line and "divide z" in line


def test_csv_with_equally_spaced_times_is_uniform(tmp_path):
    t = np.arange(400) * 0.01  # rounding makes the differences unequal bits
    z = np.random.default_rng(2).standard_normal((400, 2)).cumsum(0) * 0.1
    rows = "\n".join(f"{a},{b},{c}" for a, b, c in zip(t, *z.T, strict=True))
    (tmp_path / "u.csv").write_text("t,z0,z1\n" + rows + "\n")
    out = tmp_path / "u.json"
    assert _run("measure", tmp_path / "u.csv", "--json", out).exit_code == 0
    assert json.loads(out.read_text())["dt_uniform"] is True


def test_reproduce_refused_by_the_scheduler_leaves_no_folder(tmp_path):
    out = tmp_path / "figs"
    args = ["reproduce", "fig1", "--quick", "--scheduler", "tcp://127.0.0.1:1"]
    result = _run(*args, "--out", out)
    assert result.exit_code == 2
    assert "could not connect" in result.output and "Traceback" not in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["reproduce"], "Missing argument 'figure'. Choose from: fig1, fig2"),
        (["measure", "--bogus", "x"], "No such option: --bogus"),
    ],
)
def test_usage_errors_are_one_line_from_the_entry_point(args, fragment, capsys):
    from pathspace.cli import main

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("sys.argv", ["pathspace", *args])
        with pytest.raises(SystemExit) as info:
            main()
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert fragment in " ".join(err.split()) and len(err.strip().splitlines()) <= 2
