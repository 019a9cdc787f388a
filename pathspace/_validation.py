"""Checks of arguments at the public boundary, shared by every layer."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from pathspace._errors import PathspaceError

__all__ = [
    "check_int",
    "check_seed",
    "check_dt",
    "check_layout",
    "check_times",
    "check_resolution",
]

# A sampling interval whose square or inverse stays a normal float64 number.
DT_RANGE = (1e-100, 1e100)

# Largest rounding step of stored states, as a fraction of the root mean
# square increment along the same axis. Rounding to a grid of spacing h adds
# noise of variance h^2 / 6 to every increment, a relative bias of
# (h / rms)^2 / 6 in the diffusion: 0.2 % at the limit.
STATE_RESOLUTION = 0.1

# Largest rounding step of stored timestamps, as a fraction of the mean
# time step (the duration over the number of steps, which rounding does not
# distort): each interval is then known to 10 %, and the errors of
# consecutive intervals cancel in their sum.
TIME_RESOLUTION = 0.1


def check_int(value: Any, name: str, minimum: int = 1) -> int:
    """``value`` as an int >= ``minimum``, or a one-line PathspaceError."""
    try:
        ok = int(value) == value and value >= minimum
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise PathspaceError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    return int(value)


def check_seed(seed: Any) -> int:
    """A seed is a non-negative integer (NumPy's generators need one)."""
    return check_int(seed, "seed", 0)


def check_dt(dt: Any, source: str = "dt") -> float:
    """A sampling interval: one finite number > 0."""
    kind = np.asarray(dt).dtype.kind
    if isinstance(dt, bool) or kind not in "fiu":
        raise PathspaceError(
            f"expected {source} to be one positive number, found {dt!r} of type "
            f"{type(dt).__name__}; store the sampling interval as a number"
        )
    try:
        value = float(np.asarray(dt, dtype=np.float64).reshape(()))
    except (TypeError, ValueError):
        raise PathspaceError(
            f"expected {source} to be one positive number, found "
            f"{np.asarray(dt).shape or dt!r}"
        ) from None
    if not np.isfinite(value) or value <= 0:
        raise PathspaceError(
            f"expected {source} to be a finite number > 0, found {value}; give "
            "the sampling interval in time units"
        )
    low, high = DT_RANGE
    if not low <= value <= high:
        raise PathspaceError(
            f"expected {source} between {low:g} and {high:g}, found {value:g}; "
            "its square or inverse would overflow or underflow in float64: "
            "express time in other units"
        )
    return value


def check_layout(z: np.ndarray) -> np.ndarray:
    """States as (n_paths, n_steps, dim); a 2-D array is a single path.

    Refuses other numbers of axes and a layout with fewer steps than
    dimensions (at least two steps: single snapshots are allowed), which
    looks transposed.
    """
    one_path = z.ndim == 2
    if one_path:
        z = z[None]
    if z.ndim != 3:
        raise PathspaceError(
            "expected z of shape (n_paths, n_steps, dim) or (n_steps, dim), "
            f"found shape {z.shape}; reshape a single series to (n_steps, 1)"
        )
    n_steps, dim = z.shape[1:]
    if 2 <= n_steps < dim:
        fix = "z.T" if one_path else "z.swapaxes(-1, -2)"
        many = "; many one-dimensional paths are z[..., None]" if one_path else ""
        raise PathspaceError(
            f"found {n_steps} steps of {dim} dimensions, which looks "
            "transposed; store z as (n_paths, n_steps, dim) or (n_steps, dim) "
            f"(transpose it with {fix}){many}"
        )
    return z


def _rounding_step(values: np.ndarray, axis: Any) -> np.ndarray:
    """Spacing of the stored float type near the largest magnitude."""
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN axis
        top = np.nanmax(np.abs(values), axis=axis)
    return np.spacing(top.astype(values.dtype)).astype(np.float64)


def check_resolution(z: np.ndarray, name: str = "z") -> None:
    """Refuse states stored too coarsely for their own increments.

    ``z`` has shape (n_paths, n_steps, dim) in the type it was stored in;
    only floats narrower than float64 are looked at (float32 far from zero
    is the common case). Values on a coarse grid whatever their type
    (integers, few decimals) are flagged by the estimators instead, since
    storing them differently cannot undo the rounding.
    """
    if z.dtype.kind != "f" or z.dtype.itemsize >= 8 or z.shape[1] < 2:
        return
    step = _rounding_step(z, (0, 1))
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        inc = np.diff(z.astype(np.float64), axis=1)
        rms = np.sqrt(np.nanmean(inc**2, axis=(0, 1)))
    coarse = np.nonzero(step > STATE_RESOLUTION * rms)[0]
    if coarse.size == 0 or not np.all(rms[coarse] > 0):
        return
    i = int(coarse[0])
    raise PathspaceError(
        f"{name}{i}: stored as {z.dtype} it is rounded to steps of "
        f"{step[i]:.3g}, against increments of rms {rms[i]:.3g}; the rounding "
        "biases the diffusion and the entropy production: store float64, or "
        "subtract the mean before converting"
    )


def check_times(t: Any, z: np.ndarray) -> np.ndarray:
    """Timestamps for states ``z`` of shape (n_paths, n_steps, dim).

    ``t`` has shape (n_paths, n_steps) or (n_steps,); it must be finite
    wherever the state is, and strictly increasing along every path over
    those samples. Returns a float64 array of shape (n_paths, n_steps).
    """
    t = np.asarray(t)
    if t.dtype.kind not in "fiu":
        raise PathspaceError(f"expected numeric timestamps t, found dtype {t.dtype}")
    raw, t = t, t.astype(np.float64)
    if t.shape == z.shape[1:2]:
        t = np.broadcast_to(t, z.shape[:2])
    if t.shape != z.shape[:2]:
        raise PathspaceError(
            f"expected timestamps t of shape {z.shape[:2]} or ({z.shape[1]},), "
            f"found {t.shape}"
        )
    finite_z = np.all(np.isfinite(z), axis=-1)
    if np.any(~np.isfinite(t) & finite_z):
        raise PathspaceError(
            "found non-finite timestamps at finite states; every recorded state "
            "needs a finite time"
        )
    for p in range(t.shape[0]):
        tp = t[p][finite_z[p]]
        steps = np.diff(tp)
        if steps.size and steps.min() <= 0:
            k = int(np.argmin(steps))
            raise PathspaceError(
                f"expected strictly increasing time, found t={tp[k + 1]:.10g} after "
                f"t={tp[k]:.10g} in path {p}; sort the samples by time"
            )
    _check_time_resolution(raw, t, finite_z)
    return np.array(t)


def _check_time_resolution(raw: np.ndarray, t: np.ndarray, finite: np.ndarray) -> None:
    """Refuse float timestamps stored too coarsely for their own steps."""
    if raw.dtype.kind != "f" or raw.dtype == np.float64:
        return
    times = np.where(finite, t, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a path with no sample
        span = np.nanmax(times, axis=-1) - np.nanmin(times, axis=-1)
    n_steps = finite.sum(axis=-1) - 1
    ok = n_steps > 0
    if not ok.any():
        return
    mean_step = float(span[ok].sum() / n_steps[ok].sum())
    rounding = float(_rounding_step(raw[np.isfinite(raw)], None))
    if rounding > TIME_RESOLUTION * mean_step:
        top = float(np.max(np.abs(t[finite])))
        raise PathspaceError(
            f"timestamps stored as {raw.dtype} are rounded to steps of "
            f"{rounding:.3g} near t = {top:.3g}, against time steps of "
            f"{mean_step:.3g} on average; store t as float64, or subtract the "
            "start time before converting"
        )
