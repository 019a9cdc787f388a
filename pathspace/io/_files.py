"""Reading, validating and writing trajectory files.

Formats
-------
``.npz``
    Array ``z`` of shape ``(n_paths, n_steps, dim)`` or ``(n_steps, dim)``
    and either a scalar ``dt`` or timestamps ``t`` of shape
    ``(n_paths, n_steps)`` or ``(n_steps,)``.
``.npy``
    The array ``z`` alone; the sampling interval comes from ``dt=``.
``.csv``
    A header row with columns ``path, t, z0, z1, ...`` (``path``
    optional; ``t`` may be left out when ``dt=`` is given). Rows of one path
    must be in time order; paths of different lengths are padded with gaps.

Rules: non-finite rows are gaps (no increment spans one); float32 input is
read into float64; timestamps must be finite where the state is and
strictly increasing; a layout with fewer steps than dimensions looks
transposed and is refused; data that never move along some axis are
refused. Every refusal raises :class:`~pathspace.PathspaceError` with one
line naming the file, what was expected, what was found and the fix.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from pathspace._errors import PathspaceError
from pathspace._validation import check_dt, check_layout, check_times
from pathspace.io._atomic import default_mode
from pathspace.simulate import Trajectories

__all__ = ["load_trajectories", "save_trajectories", "validate_trajectories"]

FORMATS = (".npz", ".npy", ".csv")


def _fail(path: Path, message: str) -> PathspaceError:
    return PathspaceError(f"{path}: {message}")


def _check_dt(path: Path, dt: Any, source: str) -> float:
    try:
        return check_dt(dt, source)
    except PathspaceError as err:
        raise _fail(path, str(err)) from None


def _check_z(path: Path, z: Any) -> np.ndarray:
    """States of a file as (n_paths, n_steps, dim), in their stored type.

    Trajectories converts them to float64 after checking that the stored
    precision suffices; the path is named by ``load_trajectories``.
    """
    z = np.asarray(z)
    if z.dtype.kind not in "fiu":
        raise _fail(path, f"expected real-valued states, found dtype {z.dtype}")
    z = check_layout(z)
    if 0 in z.shape:
        raise _fail(path, f"expected non-empty z, found shape {z.shape}")
    if z.shape[1] < 2:
        raise _fail(
            path,
            f"expected at least 2 samples per path, found "
            f"{z.shape[1]} (z has shape {z.shape})",
        )
    return z


def _check_t(path: Path, t: Any, z: np.ndarray) -> np.ndarray:
    try:
        return check_times(t, z)
    except PathspaceError as err:
        raise _fail(path, str(err)) from None


# Squares and products of sums must stay finite and normal in float64.
_LARGEST, _SMALLEST = 1e100, 1e-100


def validate_trajectories(traj: Trajectories, source: str = "data") -> None:
    """Refuse trajectories that no estimator can use.

    Checks that at least two finite consecutive samples exist and that the
    data move along every axis.
    """
    if not np.isfinite(traj.z).any():
        raise PathspaceError(
            f"{source}: found no finite value in z (all NaN or inf); check how "
            "the file was written"
        )
    tr = traj.transitions()
    if len(tr) < 2:
        raise PathspaceError(
            f"{source}: expected at least 2 transitions between finite "
            f"samples, found {len(tr)}; record longer trajectories"
        )
    spread = np.abs(tr.increment).max(axis=0)
    top = float(np.nanmax(np.abs(traj.z)))
    if top > _LARGEST or 0 < spread.max() < _SMALLEST:
        raise PathspaceError(
            f"{source}: expected values between {_SMALLEST:g} and {_LARGEST:g} "
            f"in size, found states up to {top:.3g} moving by at most "
            f"{spread.max():.3g}; squares of such numbers overflow or underflow "
            "in float64: divide z by a typical scale (entropy production and "
            "non-normality do not change; D scales with its square)"
        )
    still = np.nonzero(spread == 0)[0]
    if still.size:
        axes = ", ".join(f"z{i}" for i in still)
        raise PathspaceError(
            f"{source}: the data never move along {axes}; drop constant "
            "coordinates before measuring"
        )


def _check_dt_matches(path: Path, t: np.ndarray, given: Any, source: str) -> None:
    """A dt given beside timestamps must agree with every step of them."""
    if given is None:
        return
    value = _check_dt(path, given, source)
    steps = np.diff(t, axis=1)
    finite = steps[np.isfinite(steps)]
    if finite.size and not np.allclose(finite, value, rtol=1e-6):
        raise _fail(
            path,
            f"{source} = {value} disagrees with the timestamps t; give one of them",
        )


def _read_npz(path: Path, dt: float | None) -> Trajectories:
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise _fail(
            path,
            f"expected a NumPy .npz archive, could not read it ({type(exc).__name__})",
        ) from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise _fail(
            path,
            "expected a NumPy .npz archive, found a single .npy array; rename "
            "the file to .npy and give --dt",
        )
    with archive:
        keys = set(archive.files)
        if "z" not in keys:
            raise _fail(
                path,
                "expected an array named 'z' in the archive, "
                f"found {sorted(keys) or 'no arrays'}",
            )
        try:
            raw_z = archive["z"]
            file_dt = archive["dt"] if "dt" in keys else None
            t = archive["t"] if "t" in keys else None
            labels = archive["labels"].tolist() if "labels" in keys else None
        except ValueError:
            raise _fail(
                path, "found object arrays; save plain numeric arrays"
            ) from None
    z = _check_z(path, raw_z)
    if t is not None:
        t = _check_t(path, t, z)
        for given, source in ((file_dt, "dt in the file"), (dt, "--dt")):
            _check_dt_matches(path, t, given, source)
        return Trajectories(z, t=t, meta=_labels_meta(path, labels, z))
    if file_dt is not None and dt is not None:
        a, b = _check_dt(path, file_dt, "dt"), _check_dt(path, dt, "--dt")
        if not np.isclose(a, b, rtol=1e-9):
            raise _fail(
                path,
                f"the file says dt = {a} but --dt = {b}; drop --dt or fix the file",
            )
    if file_dt is None and dt is None:
        raise _fail(
            path,
            "expected a scalar 'dt' or timestamps 't' in the "
            "archive, found neither; pass the sampling interval (--dt, or dt= "
            "in Python)",
        )
    value = _check_dt(path, file_dt if file_dt is not None else dt, "dt")
    return Trajectories(z, dt=value, meta=_labels_meta(path, labels, z))


def _labels_meta(path: Path, labels: Any, z: np.ndarray) -> dict[str, Any]:
    """Optional axis names stored as ``labels`` (one string per dimension)."""
    if labels is None:
        return {}
    if not isinstance(labels, list) or len(labels) != z.shape[2]:
        raise _fail(
            path,
            f"expected 'labels' to name each of the {z.shape[2]} "
            f"dimensions, found {labels!r}",
        )
    return {"labels": [str(x) for x in labels]}


def _read_npy(path: Path, dt: float | None) -> Trajectories:
    try:
        z = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise _fail(
            path,
            f"expected a NumPy .npy array, could not read it ({type(exc).__name__})",
        ) from None
    if isinstance(z, np.lib.npyio.NpzFile):
        z.close()
        raise _fail(
            path,
            "expected a single .npy array, found a .npz archive; rename the "
            "file to .npz",
        )
    if dt is None:
        raise _fail(
            path,
            ".npy files hold no time; pass the sampling interval (--dt, or "
            "dt= in Python)",
        )
    return Trajectories(_check_z(path, z), dt=_check_dt(path, dt, "--dt"))


def _read_csv(path: Path, dt: float | None) -> Trajectories:
    try:
        text = path.read_text(encoding="utf-8-sig")  # tolerate a byte-order mark
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(path, f"could not read it as text ({type(exc).__name__})") from None
    rows = list(csv.reader(io.StringIO(text)))
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if len(rows) < 2:
        raise _fail(
            path,
            "expected a header row (path, t, z0, z1, ...) and data rows, found none",
        )
    header = [h.strip() for h in rows[0]]
    state_cols = [
        i for i, h in enumerate(header) if h.startswith("z") and h[1:].isdigit()
    ]
    if not state_cols:
        raise _fail(path, f"expected columns z0, z1, ... in the header, found {header}")
    unknown = [
        h
        for h in header
        if h not in ("path", "t") and not (h.startswith("z") and h[1:].isdigit())
    ]
    if unknown:
        raise _fail(
            path, f"unexpected columns {unknown}; expected path, t, z0, z1, ..."
        )
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise _fail(path, f"found repeated columns {repeated}; name each column once")
    numbers = sorted(int(header[i][1:]) for i in state_cols)
    if numbers != list(range(len(numbers))):
        raise _fail(
            path,
            f"expected state columns z0 ... z{len(numbers) - 1}, found "
            f"{[header[i] for i in state_cols]}; number them from z0 without gaps",
        )
    cells = np.full((len(rows) - 1, len(header)), np.nan)
    for r, row in enumerate(rows[1:]):
        if len(row) != len(header):
            raise _fail(
                path,
                f"row {r + 2} has {len(row)} cells, expected {len(header)} as in "
                "the header",
            )
        for c, cell in enumerate(row):
            if cell.strip():
                try:
                    cells[r, c] = float(cell)
                except ValueError:
                    raise _fail(
                        path,
                        f"expected a number in row {r + 2}, column "
                        f"{header[c]!r}, found {cell.strip()!r}",
                    ) from None
    data = cells
    order = sorted(state_cols, key=lambda i: int(header[i][1:]))
    states = data[:, order]
    has_t = "t" in header
    if not has_t and dt is None:
        raise _fail(
            path,
            "expected a 't' column or a sampling interval (--dt, or dt= in "
            "Python), found neither",
        )
    times = data[:, header.index("t")] if has_t else None
    if "path" in header:
        ids = data[:, header.index("path")]
        if not np.all(np.isfinite(ids)):
            raise _fail(path, "found a row with no path id")
        if np.any(ids != np.round(ids)):
            raise _fail(path, "expected whole-number path ids, found fractions")
        labels = list(dict.fromkeys(ids.tolist()))
    else:
        ids = np.zeros(len(data))
        labels = [0.0]
    length = max(int(np.sum(ids == lab)) for lab in labels)
    z = np.full((len(labels), length, len(order)), np.nan)
    t = np.full((len(labels), length), np.nan) if has_t else None
    for p, lab in enumerate(labels):
        sel = ids == lab
        z[p, : sel.sum()] = states[sel]
        if has_t:
            t[p, : sel.sum()] = times[sel]
    z = _check_z(path, z)
    if has_t:
        t = _check_t(path, t, z)
        _check_dt_matches(path, t, dt, "--dt")
        return Trajectories(z, t=t)
    return Trajectories(z, dt=_check_dt(path, dt, "--dt"))


def load_trajectories(path: str | Path, dt: float | None = None) -> Trajectories:
    """Read and validate a trajectory file (.npz, .npy or .csv).

    Parameters
    ----------
    path : str or Path
        The file.
    dt : float, optional
        Sampling interval, required for ``.npy`` (and ``.csv`` without
        ``t``); must agree with the file when it also states one.

    Returns
    -------
    Trajectories
        float64 states of shape ``(n_paths, n_steps, dim)``.
    """
    path = Path(path)
    if not path.exists():
        raise PathspaceError(f"{path}: no such file")
    if path.is_dir():
        raise PathspaceError(f"{path}: is a folder; expected a trajectory file")
    suffix = path.suffix.lower()
    readers = {".npz": _read_npz, ".npy": _read_npy, ".csv": _read_csv}
    if suffix not in readers:
        raise PathspaceError(
            f"{path}: expected a .npz, .npy or .csv trajectory file, found "
            f"suffix {suffix or 'none'!r}"
        )
    if path.stat().st_size == 0:
        raise PathspaceError(
            f"{path}: the file is empty (0 bytes); expected a {suffix} trajectory "
            "file; write it again"
        )
    try:
        traj = readers[suffix](path, dt)
    except PathspaceError as err:
        if str(err).startswith(str(path)):
            raise
        raise _fail(path, str(err)) from None
    validate_trajectories(traj, str(path))
    traj.meta.setdefault("source", str(path))
    return traj


def save_trajectories(path: str | Path, traj: Trajectories) -> None:
    """Write trajectories as ``.npz`` (``z`` and ``dt`` or ``t``), atomically."""
    path = Path(path)
    if path.suffix.lower() != ".npz":
        raise PathspaceError(f"{path}: expected an output file ending in .npz")
    arrays: dict[str, Any] = {"z": traj.z}
    if "labels" in traj.meta:
        arrays["labels"] = np.asarray(traj.meta["labels"], dtype=str)
    if traj.t is not None:
        arrays["t"] = traj.t
    else:
        arrays["dt"] = np.float64(traj.dt)
    tmp = path.with_name(f".{path.name}.tmp.npz")
    try:
        np.savez(tmp, **arrays)
        tmp.replace(path)
        default_mode(path)
    finally:
        tmp.unlink(missing_ok=True)
