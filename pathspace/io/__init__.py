"""Reading and validating trajectory files."""

from pathspace.io._files import (
    FORMATS,
    load_trajectories,
    save_trajectories,
    validate_trajectories,
)

__all__ = ["FORMATS", "load_trajectories", "save_trajectories", "validate_trajectories"]
