"""Estimators of drift, diffusion, density, current and entropy production.

Every estimator returns a record with its value, standard error, the raw
plug-in value, the bias removed, the number of samples, and a status.
"""

from pathspace.estimators._dispatch import (
    ESTIMATORS,
    choose_estimator,
    entropy_production,
)
from pathspace.estimators._entropy import grid_entropy_production
from pathspace.estimators._grid import Grid, default_bins, make_grid
from pathspace.estimators._result import Estimate

__all__ = [
    "ESTIMATORS",
    "Estimate",
    "Grid",
    "choose_estimator",
    "default_bins",
    "entropy_production",
    "grid_entropy_production",
    "make_grid",
]
