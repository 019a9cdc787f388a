"""Query-key asymmetry, symmetrisation and attention-drift identities."""

from pathspace.attention._asymmetry import (
    asymmetry_index,
    query_key_matrix,
    split_query_key,
    symmetrize,
)

__all__ = ["asymmetry_index", "query_key_matrix", "split_query_key", "symmetrize"]
