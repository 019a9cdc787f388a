"""The record every estimator returns."""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from pathspace._errors import UnderSampledWarning

__all__ = ["Estimate", "MIN_BLOCKS", "block_status", "warn_if_not_ok"]


@dataclass
class Estimate:
    """An estimate with its error bar and provenance.

    Attributes
    ----------
    value : float
        The estimate after bias removal.
    stderr : float
        Standard error of ``value`` (NaN when it could not be computed).
    raw : float
        The plug-in value before bias removal.
    bias : float
        The bias that was removed: ``value = raw - bias``.
    n_samples : int
        Number of transitions (or samples) the estimate rests on.
    estimator : str
        Name of the estimator.
    status : str
        ``"ok"``; otherwise why the value should not be taken at face
        value: ``"under-sampled"``, ``"coarse-sampling"`` (the ``dt``
        correction is large), ``"biased"`` (the published estimator),
        ``"discontinuous"`` (jumps in the data), ``"assumption-violated"``
        (the data are not stationary paths of a diffusion),
        ``"not-converged"`` or ``"failed"``.
    message : str
        Why the status is not ``"ok"``, or a note on the assumptions.
    details : dict
        Estimator-specific extras (bins, blocks, diffusion matrix, ...).
    """

    value: float
    stderr: float
    raw: float
    bias: float
    n_samples: int
    estimator: str
    status: str = "ok"
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def interval(self, z: float = 1.959963984540054) -> tuple[float, float]:
        """Normal confidence interval ``value +- z * stderr`` (95 % default)."""
        return (self.value - z * self.stderr, self.value + z * self.stderr)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["details"] = {
            k: (v.tolist() if isinstance(v, np.ndarray) else v)
            for k, v in self.details.items()
        }
        return out

    def __str__(self) -> str:
        flag = "" if self.ok else f" [{self.status}]"
        return f"{self.value:.4g} +- {self.stderr:.2g} ({self.estimator}){flag}"


MIN_BLOCKS = 20


def block_status(n_blocks: int) -> tuple[str, str]:
    """Status of an estimate whose error bar rests on ``n_blocks`` blocks."""
    if n_blocks < MIN_BLOCKS:
        return "under-sampled", (
            f"only {n_blocks} resampling blocks; the error bar is rough. "
            "Record more or longer paths"
        )
    return "ok", ""


def warn_if_not_ok(status: str, message: str, what: str) -> None:
    """Warn the caller of the estimator (two frames up) when not ``ok``."""
    if status != "ok":
        warnings.warn(f"{what}: {message}", UnderSampledWarning, stacklevel=3)
