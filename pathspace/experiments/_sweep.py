"""Resumable parameter sweeps on a Dask cluster.

A sweep maps a task over a list of points. Each point is a JSON-able dict
that carries everything the task needs, its own random seed included, so a
point's result depends on the point alone and never on the order, the
worker or global random state. Every finished point is written at once to
``out_dir/<name>/<key>.json``, where ``key`` is a stable hash of the point;
running the same sweep again loads those files instead of recomputing, so a
sweep stopped by Ctrl-C or ``kill -9`` resumes where it stopped and ends
with the same numbers as an uninterrupted run.

Points run as tasks of ``dask.distributed``: on a local cluster of one
single-threaded worker process per core (no set-up needed), or on an
existing cluster given by its scheduler address. Results travel back to the
caller, which writes the files, so the output folder only has to exist on
the caller's machine.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pathspace._errors import PathspaceError
from pathspace._validation import check_seed
from pathspace.io._atomic import write_atomic

__all__ = ["derive_seed", "point_key", "run_sweep"]

_log = logging.getLogger(__name__)
_log.addHandler(logging.NullHandler())

_MAX_SEED = 2**63 - 1
_CONNECT_TIMEOUT_S = 10
# Local workers keep freed memory in the heap: large NumPy temporaries are
# otherwise unmapped and page-faulted in again at every allocation (system
# time of a Fig. 1 point: 1.5 to 2.4 s without, under 0.5 s with).
_WORKER_MALLOC = {
    "MALLOC_MMAP_THRESHOLD_": str(2**30),
    "MALLOC_TRIM_THRESHOLD_": str(2**30),
}


def derive_seed(base_seed: int, *keys: Any) -> int:
    """A seed for one point of a sweep, derived from a base seed and keys.

    Parameters
    ----------
    base_seed : int
        The sweep's seed, ``>= 0``.
    *keys : str, int, float or bool
        What identifies the point (for example ``"linear", 1.5``).

    Returns
    -------
    int
        A seed in ``[0, 2**63)``: the first 8 bytes of the SHA-256 digest
        of ``[base_seed, *keys]`` written as JSON. It depends on the values
        only, not on the process, the platform or Python's hash seed, and
        different keys give statistically independent streams.
    """
    if isinstance(base_seed, bool) or not isinstance(base_seed, int | np.integer):
        raise PathspaceError(
            f"base_seed: expected a non-negative integer, got {base_seed!r}"
        )
    if base_seed < 0:
        raise PathspaceError(
            f"base_seed: expected a non-negative integer, got {base_seed}"
        )
    try:
        text = json.dumps([int(base_seed), *keys], allow_nan=False)
    except (TypeError, ValueError):
        raise PathspaceError(
            f"derive_seed: keys must be strings or finite numbers, got {keys!r}"
        ) from None
    digest = hashlib.sha256(text.encode()).digest()
    return int.from_bytes(digest[:8], "little") & _MAX_SEED


def point_key(point: dict) -> str:
    """Stable 16-hex-digit key of a point (SHA-256 of its sorted JSON)."""
    text = json.dumps(point, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _jsonable(obj: Any) -> Any:
    """Plain JSON types for a task result; non-finite floats become None."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if obj is None or isinstance(obj, str | int | float | bool):
        return obj
    raise TypeError(f"result holds a {type(obj).__name__}, which is not JSON")


def _run_point(task: Callable[[dict], dict], point: dict) -> Any:
    """Worker side: run the task and return its result as plain JSON."""
    result = task(dict(point))
    if not isinstance(result, dict):
        raise TypeError(f"the task returned a {type(result).__name__}, not a dict")
    return json.loads(json.dumps(_jsonable(result), allow_nan=False))


def _write_atomic(path: Path, record: dict) -> None:
    text = json.dumps(record, indent=1, sort_keys=True, allow_nan=False) + "\n"
    write_atomic(path, text.encode())


def _load(path: Path, point: dict) -> dict | None:
    """The stored result of ``point``, or None if absent or not this point."""
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("point") != point:
        return None
    result = record.get("result")
    return result if isinstance(result, dict) else None


def _check_scheduler(scheduler: Any) -> None:
    if scheduler is not None and not isinstance(scheduler, str):
        raise PathspaceError(
            f"scheduler: expected an address such as 'tcp://host:8786', got "
            f"{scheduler!r}"
        )


def check_figure_args(out_dir: Any, seed: Any, scheduler: Any) -> Path:
    """Validate the common arguments of ``reproduce_fig*``; create ``out_dir``."""
    if isinstance(seed, bool):
        raise PathspaceError(f"seed: expected a non-negative integer, got {seed!r}")
    check_seed(seed)
    _check_scheduler(scheduler)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise PathspaceError(f"out_dir: {str(out)!r} is a file, not a folder")
    out.mkdir(parents=True, exist_ok=True)
    return out


def write_text(path: Path, text: str) -> None:
    """Write a text result atomically."""
    write_atomic(path, text.encode())


def _check_points(points: Any) -> list[dict]:
    if isinstance(points, str | bytes | dict) or not isinstance(points, Sequence):
        raise PathspaceError(
            f"points: expected a list of dicts, got {type(points).__name__}"
        )
    checked = []
    for i, point in enumerate(points):
        if not isinstance(point, dict):
            raise PathspaceError(
                f"points[{i}]: expected a dict, got {type(point).__name__}"
            )
        try:
            text = json.dumps(point, sort_keys=True, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise PathspaceError(
                f"points[{i}]: expected JSON-able values (str, finite numbers, "
                f"lists, dicts), {exc}"
            ) from None
        # the round trip makes the point compare equal to its stored copy
        checked.append(json.loads(text))
    return checked


def _check_name(name: Any) -> str:
    ok = isinstance(name, str) and name not in ("", ".", "..")
    if not ok or "/" in name or "\\" in name or name.startswith("."):
        raise PathspaceError(
            f"name: expected a folder name without separators such as "
            f"'fig1-linear', got {name!r}"
        )
    return name


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def _cores() -> int:
    """Cores this process may run on (its affinity mask where known)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def _client(scheduler: str | None, n_workers: int | None, n_pending: int):
    """A Dask client and the local cluster it owns (None for a remote one)."""
    import dask
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            return Client(scheduler, timeout=_CONNECT_TIMEOUT_S), None
        except (OSError, TimeoutError, ValueError) as exc:
            raise PathspaceError(
                f"scheduler: could not connect to {scheduler!r} within "
                f"{_CONNECT_TIMEOUT_S} s ({_one_line(exc)}); check the address "
                "(tcp://host:port) and that the scheduler is running"
            ) from None
    n = n_workers if n_workers is not None else _cores()
    environ = dask.config.get("distributed.nanny.pre-spawn-environ", {})
    config = {"distributed.nanny.pre-spawn-environ": environ | _WORKER_MALLOC}
    with dask.config.set(config):
        cluster = LocalCluster(
            n_workers=max(1, min(n, n_pending)),
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            # no dashboard; its bare HTTP server on a free loopback port
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
            silence_logs=logging.CRITICAL,
        )
    return Client(cluster), cluster


def run_sweep(
    task: Callable[[dict], dict],
    points: Sequence[dict],
    out_dir: str | os.PathLike,
    *,
    name: str,
    scheduler: str | None = None,
    n_workers: int | None = None,
    progress: Callable[[int, int], Any] | None = None,
) -> list[dict]:
    """Run ``task`` on every point, resuming from results already on disk.

    Parameters
    ----------
    task : callable
        ``task(point) -> dict``: a module-level (picklable) function whose
        result holds JSON types or NumPy values (converted; non-finite
        floats are stored as None). It must depend on the point alone: draw
        random numbers only from a seed carried in the point (see
        :func:`derive_seed`).
    points : list of dict
        JSON-able points, each complete with its own ``seed``.
    out_dir : path
        Results go to ``out_dir/<name>/<key>.json`` (see :func:`point_key`),
        each holding ``{"name", "key", "point", "result"}``.
    name : str
        Name of the sweep: the folder of its results.
    scheduler : str, optional
        Address of a running Dask scheduler, such as ``"tcp://host:8786"``.
        Default: start a local cluster for this call and close it after.
    n_workers : int, optional
        Worker processes of the local cluster (one thread each); default the
        number of cores, never more than the points left to run. Ignored
        with ``scheduler``.
    progress : callable, optional
        Called as ``progress(done, total)`` once with the points found on
        disk and after every point that finishes.

    Returns
    -------
    list of dict
        The results, in the order of ``points``.

    Raises
    ------
    PathspaceError
        On invalid arguments, when the scheduler cannot be reached, or when
        a task fails (the message names the point and the error; points
        finished before stay on disk).

    Notes
    -----
    A point's file is written through a temporary file and an atomic
    rename, so an interrupted sweep leaves either a complete result or
    none. Without a pending point no cluster is started. Starting the
    local cluster costs about 3 s on two cores (worker processes import
    NumPy and PyTorch); processes rather than threads because the
    integrators hold the interpreter lock between small tensor operations.
    """
    if not callable(task):
        raise PathspaceError(f"task: expected a function, got {task!r}")
    points = _check_points(points)
    folder = Path(out_dir) / _check_name(name)
    _check_scheduler(scheduler)
    if n_workers is not None and (
        isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1
    ):
        raise PathspaceError(
            f"n_workers: expected a positive integer, got {n_workers!r}"
        )
    keys = [point_key(p) for p in points]
    results: dict[str, dict] = {}
    for key, point in zip(keys, points, strict=True):
        stored = _load(folder / f"{key}.json", point)
        if stored is not None:
            results[key] = stored
    pending = {k: p for k, p in zip(keys, points, strict=True) if k not in results}
    total = len(points)

    def done() -> int:
        return sum(k in results for k in keys)

    if progress is not None:
        progress(done(), total)
    _log.info("sweep %s: %d of %d points on disk", name, total - len(pending), total)
    if pending:
        _compute(
            task,
            pending,
            results,
            folder,
            name,
            scheduler,
            n_workers,
            lambda: progress(done(), total) if progress else None,
        )
    return [results[k] for k in keys]


def _compute(
    task,
    pending: dict[str, dict],
    results: dict[str, dict],
    folder: Path,
    name: str,
    scheduler: str | None,
    n_workers: int | None,
    tick: Callable[[], Any],
) -> None:
    """Submit the pending points, write each result as it arrives."""
    from distributed import as_completed

    client, cluster = _client(scheduler, n_workers, len(pending))
    try:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PathspaceError(
                f"out_dir: cannot create {str(folder)!r} ({_one_line(exc)})"
            ) from None
        futures = {
            client.submit(_run_point, task, point, key=f"{name}-{key}", pure=False): key
            for key, point in pending.items()
        }
        for future in as_completed(futures):
            key = futures[future]
            try:
                result = future.result()
            except Exception as exc:
                point = json.dumps(pending[key], sort_keys=True)
                raise PathspaceError(
                    f"sweep {name}: point {point} failed: {_one_line(exc)}"
                ) from None
            record = {"name": name, "key": key, "point": pending[key], "result": result}
            _write_atomic(folder / f"{key}.json", record)
            results[key] = result
            tick()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
