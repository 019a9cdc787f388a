"""Resumable Dask sweeps: seeds, resumption after kill -9, remote cluster."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from pathspace._errors import PathspaceError
from pathspace.experiments import derive_seed, point_key, run_sweep

TESTS = Path(__file__).resolve().parent
N_POINTS = 12


def sleepy_task(point: dict) -> dict:
    """Sleeps, logs who ran it, returns numbers drawn from the point's seed."""
    log = os.environ.get("SWEEP_LOG")
    if log:
        with open(log, "a") as fh:
            fh.write(f"{os.environ['SWEEP_TAG']} {point['i']} {os.getpid()}\n")
    time.sleep(point["sleep"])
    x = np.random.default_rng(point["seed"]).normal(size=3)
    return {"i": point["i"], "x": x, "mean": x.mean()}


def failing_task(point: dict) -> dict:
    if point["i"] == 2:
        raise ValueError("bad point\nsecond line")
    return {"i": point["i"]}


def make_points(base_seed: int, sleep: float = 0.4) -> list[dict]:
    # later points sleep less, so they finish out of order
    return [
        {
            "i": i,
            "sleep": sleep * (1.0 - 0.05 * i),
            "seed": derive_seed(base_seed, "test", i),
        }
        for i in range(N_POINTS)
    ]


@pytest.fixture(scope="module")
def scheduler():
    """A real local cluster: two worker processes on loopback."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
    ) as cluster:
        yield cluster.scheduler_address


def test_derive_seed_is_stable_and_distinct():
    a = derive_seed(0, "fig1", "linear", 1.0)
    assert a == derive_seed(0, "fig1", "linear", 1.0)
    assert 0 <= a < 2**63
    others = {
        derive_seed(s, "fig1", m, t)
        for s in (0, 1)
        for m in ("linear", "softmax")
        for t in (0.0, 1.0)
    }
    assert len(others) == 8
    with pytest.raises(PathspaceError, match="base_seed"):
        derive_seed(-1, "x")
    with pytest.raises(PathspaceError, match="keys"):
        derive_seed(0, object())


def test_point_key_ignores_order_of_entries():
    assert point_key({"a": 1, "b": 2.0}) == point_key({"b": 2.0, "a": 1})
    assert point_key({"a": 1}) != point_key({"a": 2})


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"points": [1, 2]}, "points\\[0\\]"),
        ({"points": [{"x": object()}]}, "JSON"),
        ({"points": "abc"}, "list of dicts"),
        ({"name": "a/b"}, "name"),
        ({"n_workers": 0}, "n_workers"),
        ({"scheduler": 8786}, "scheduler"),
    ],
)
def test_bad_arguments_are_refused_before_any_work(tmp_path, kwargs, match):
    args = {"points": make_points(0), "name": "s"} | kwargs
    with pytest.raises(PathspaceError, match=match):
        run_sweep(sleepy_task, args.pop("points"), tmp_path, **args)
    assert not any(tmp_path.iterdir())


def _start(out: Path, tag: str, log: Path, base_seed: int) -> subprocess.Popen:
    # A shell that starts the suite in the background makes its children
    # ignore SIGINT; restore Python's handler so Ctrl-C is what is tested.
    code = (
        "import signal, sys\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "from test_sweep import make_points, sleepy_task\n"
        "from pathspace.experiments import run_sweep\n"
        f"run_sweep(sleepy_task, make_points({base_seed}), {str(out)!r}, "
        "name='sleepy', n_workers=2)\n"
    )
    env = os.environ | {
        "SWEEP_LOG": str(log),
        "SWEEP_TAG": tag,
        "PYTHONPATH": os.pathsep.join([str(TESTS), *sys.path]),
    }
    return subprocess.Popen(
        [sys.executable, "-c", code],
        env=env,
        start_new_session=True,
        stderr=subprocess.PIPE,
    )


@pytest.mark.parametrize("signum, base_seed", [(signal.SIGKILL, 0), (signal.SIGINT, 5)])
def test_killed_sweep_resumes_without_recomputing(
    tmp_path, scheduler, signum, base_seed
):
    out, log = tmp_path / "out", tmp_path / "log.txt"
    folder = out / "sleepy"

    # kill -9 (or Ctrl-C) the whole sweep, caller and workers, once 4 points
    # are on disk
    proc = _start(out, "first", log, base_seed)
    deadline = time.monotonic() + 90
    while len(list(folder.glob("*.json"))) < 4:
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "the sweep wrote nothing"
        time.sleep(0.05)
    os.killpg(proc.pid, signum)
    assert proc.wait(timeout=60) != 0
    finished = {json.loads(p.read_text())["point"]["i"] for p in folder.glob("*.json")}
    assert 4 <= len(finished) < N_POINTS

    proc = _start(out, "second", log, base_seed)
    assert proc.wait(timeout=120) == 0, proc.stderr.read().decode()
    rerun = {
        int(line.split()[1])
        for line in log.read_text().splitlines()
        if line.startswith("second")
    }
    assert rerun == set(range(N_POINTS)) - finished

    # identical to an uninterrupted run (here on the remote cluster)
    resumed = run_sweep(sleepy_task, make_points(base_seed), out, name="sleepy")
    reference = run_sweep(
        sleepy_task,
        make_points(base_seed),
        tmp_path / "ref",
        name="sleepy",
        scheduler=scheduler,
    )
    assert resumed == reference
    assert [r["i"] for r in resumed] == list(range(N_POINTS))


@pytest.mark.parametrize("base_seed", [3, 4])
def test_remote_cluster_runs_points_in_order_with_progress(
    tmp_path, scheduler, base_seed
):
    points = make_points(base_seed, sleep=0.05)
    calls = []
    results = run_sweep(
        sleepy_task,
        points,
        tmp_path,
        name="remote",
        scheduler=scheduler,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert [r["i"] for r in results] == list(range(N_POINTS))
    expected = [
        np.random.default_rng(p["seed"]).normal(size=3).tolist() for p in points
    ]
    assert [r["x"] for r in results] == expected
    assert calls[0] == (0, N_POINTS) and calls[-1] == (N_POINTS, N_POINTS)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)

    stored = json.loads(
        (tmp_path / "remote" / f"{point_key(points[5])}.json").read_text()
    )
    assert stored["point"] == points[5] and stored["result"] == results[5]

    # all on disk: nothing submitted, no scheduler needed
    calls.clear()
    again = run_sweep(
        sleepy_task,
        points,
        tmp_path,
        name="remote",
        scheduler="tcp://127.0.0.1:1",
        progress=lambda done, total: calls.append((done, total)),
    )
    assert again == results and calls == [(N_POINTS, N_POINTS)]


def test_failing_point_is_named_in_one_line(tmp_path, scheduler):
    points = [{"i": i, "seed": i} for i in range(4)]
    with pytest.raises(PathspaceError) as info:
        run_sweep(failing_task, points, tmp_path, name="failing", scheduler=scheduler)
    message = str(info.value)
    assert "\n" not in message
    assert '"i": 2' in message and "ValueError: bad point" in message
