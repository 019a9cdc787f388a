"""Checks of arguments at the public boundary, shared by every layer."""

from __future__ import annotations

from typing import Any

import numpy as np

from pathspace._errors import PathspaceError

__all__ = ["check_int", "check_seed", "check_dt", "check_times"]


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
            f"expected {source} > 0, found {value}; give the sampling interval "
            "in time units"
        )
    return value


def check_times(t: Any, z: np.ndarray) -> np.ndarray:
    """Timestamps for states ``z`` of shape (n_paths, n_steps, dim).

    ``t`` has shape (n_paths, n_steps) or (n_steps,); it must be finite
    wherever the state is, and strictly increasing along every path over
    those samples. Returns a float64 array of shape (n_paths, n_steps).
    """
    t = np.asarray(t)
    if t.dtype.kind not in "fiu":
        raise PathspaceError(f"expected numeric timestamps t, found dtype {t.dtype}")
    t = t.astype(np.float64)
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
                f"expected strictly increasing time, found t={tp[k + 1]} after "
                f"t={tp[k]} in path {p}; sort the samples by time"
            )
    return np.array(t)
