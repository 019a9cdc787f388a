"""Drift fields and named systems with exact references."""

from pathspace.dynamics._attention_drift import SoftmaxAttentionDrift, ring_slots
from pathspace.dynamics._drift import Drift, FunctionDrift, as_diffusion_matrix
from pathspace.dynamics._linear import (
    LinearDrift,
    lyapunov_covariance,
    lyapunov_entropy_production,
    ou_transition,
)
from pathspace.dynamics._systems import (
    ROTATION_GENERATOR,
    SYSTEMS,
    Parameter,
    SystemSpec,
    make_system,
    paper_query_key,
    parse_params,
)

__all__ = [
    "Drift",
    "FunctionDrift",
    "LinearDrift",
    "Parameter",
    "ROTATION_GENERATOR",
    "SYSTEMS",
    "SoftmaxAttentionDrift",
    "SystemSpec",
    "as_diffusion_matrix",
    "lyapunov_covariance",
    "lyapunov_entropy_production",
    "make_system",
    "ou_transition",
    "paper_query_key",
    "parse_params",
    "ring_slots",
]
