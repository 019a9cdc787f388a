"""Query-key asymmetry, symmetrisation and attention-drift identities."""

from pathspace.attention._asymmetry import (
    asymmetry_index,
    query_key_matrix,
    split_query_key,
    symmetrize,
)
from pathspace.attention._identities import (
    JacobianSplit,
    attention_divergence,
    attention_jacobian,
    cycle_work,
    jacobian_split,
    odd_work_prediction,
)

__all__ = [
    "JacobianSplit",
    "asymmetry_index",
    "attention_divergence",
    "attention_jacobian",
    "cycle_work",
    "jacobian_split",
    "odd_work_prediction",
    "query_key_matrix",
    "split_query_key",
    "symmetrize",
]
