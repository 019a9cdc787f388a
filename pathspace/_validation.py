"""Checks of arguments at the public boundary, shared by every layer."""

from __future__ import annotations

from typing import Any

from pathspace._errors import PathspaceError

__all__ = ["check_int", "check_seed"]


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
