"""Estimators of drift, diffusion, density, current and entropy production.

Every estimator returns a record with its value, standard error, the raw
plug-in value, the bias removed, the number of samples, and a status.
"""

from pathspace.estimators._diffusion import (
    MatrixEstimate,
    diffusive_scaling,
    estimate_diffusion,
)
from pathspace.estimators._dispatch import (
    ESTIMATORS,
    choose_estimator,
    entropy_production,
)
from pathspace.estimators._entropy import grid_entropy_production
from pathspace.estimators._fields import GridFields, grid_fields
from pathspace.estimators._grid import Grid, default_bins, make_grid
from pathspace.estimators._locality import Locality, locality
from pathspace.estimators._neural import neural_entropy_production
from pathspace.estimators._nonnormality import (
    data_non_normality,
    drift_non_normality,
    non_normality,
)
from pathspace.estimators._pathwise import pathwise_entropy_production
from pathspace.estimators._projection import projection_entropy_production
from pathspace.estimators._result import Estimate

__all__ = [
    "ESTIMATORS",
    "Estimate",
    "Grid",
    "GridFields",
    "Locality",
    "MatrixEstimate",
    "choose_estimator",
    "data_non_normality",
    "default_bins",
    "diffusive_scaling",
    "drift_non_normality",
    "entropy_production",
    "estimate_diffusion",
    "grid_entropy_production",
    "grid_fields",
    "locality",
    "make_grid",
    "neural_entropy_production",
    "non_normality",
    "pathwise_entropy_production",
    "projection_entropy_production",
]
