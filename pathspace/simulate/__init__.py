"""Batched integrators and the Trajectories container."""

from pathspace.simulate._integrate import SCHEMES, simulate
from pathspace.simulate._trajectories import Trajectories, Transitions

__all__ = ["SCHEMES", "Trajectories", "Transitions", "simulate"]
