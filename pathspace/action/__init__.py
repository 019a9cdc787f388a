"""Onsager-Machlup action, path likelihood, time reversal and pathwise entropy
production (Eqs. 6-9 of the paper), in the Ito, Stratonovich (midpoint) and,
for reference, the paper's Eq. 18 and exact-OU discretisations."""

from pathspace.action._action import (
    CONVENTIONS,
    ActionSplit,
    action_split,
    entropy_production_path,
    onsager_machlup_action,
    path_log_likelihood,
    reverse_path,
    step_action,
)

__all__ = [
    "CONVENTIONS",
    "ActionSplit",
    "action_split",
    "entropy_production_path",
    "onsager_machlup_action",
    "path_log_likelihood",
    "reverse_path",
    "step_action",
]
