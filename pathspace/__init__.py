"""pathspace: the path-space statistical physics of world models.

A world model's latent dynamics ``dz = f(z) dt + sqrt(2 D) dW`` defines a
probability measure over future paths with the Onsager-Machlup action.
pathspace simulates it, measures its irreversibility from trajectories
(drift, diffusion, density, current, entropy production with error bars),
and optimises the action for prediction, planning and uncertainty.

The supported names are listed in ``__all__``; subpackages hold the rest.
"""

from pathspace._errors import (
    ConvergenceWarning,
    PathspaceError,
    PathspaceWarning,
    UnderSampledWarning,
)
from pathspace.action import (
    entropy_production_path,
    onsager_machlup_action,
    path_log_likelihood,
)
from pathspace.attention import asymmetry_index, symmetrize
from pathspace.dynamics import (
    SYSTEMS,
    Drift,
    FunctionDrift,
    LinearDrift,
    SoftmaxAttentionDrift,
    make_system,
)
from pathspace.estimators import (
    Estimate,
    entropy_production,
    estimate_diffusion,
    grid_fields,
    non_normality,
)
from pathspace.io import load_trajectories, save_trajectories
from pathspace.paths import jacobi_operator, plan_path, predict_path
from pathspace.simulate import Trajectories, simulate

__version__ = "0.1.0"

__all__ = [
    "ConvergenceWarning",
    "Drift",
    "Estimate",
    "FunctionDrift",
    "LinearDrift",
    "PathspaceError",
    "PathspaceWarning",
    "SYSTEMS",
    "SoftmaxAttentionDrift",
    "Trajectories",
    "UnderSampledWarning",
    "asymmetry_index",
    "entropy_production",
    "entropy_production_path",
    "estimate_diffusion",
    "grid_fields",
    "jacobi_operator",
    "load_trajectories",
    "make_system",
    "non_normality",
    "onsager_machlup_action",
    "path_log_likelihood",
    "plan_path",
    "predict_path",
    "save_trajectories",
    "simulate",
    "symmetrize",
]
