"""The paper's figures, further studies, plotting helpers and sweeps.

This layer sits on top of the library: it uses every other subpackage and
none of them imports it. Sweeps run on Dask (:func:`run_sweep`) and resume
from their results on disk.
"""

from pathspace.experiments._fig1 import THETA_INTERVENTION, fig1_point, reproduce_fig1
from pathspace.experiments._fig2 import fig2_point, reproduce_fig2
from pathspace.experiments._fig3 import reproduce_fig3
from pathspace.experiments._sweep import derive_seed, point_key, run_sweep

__all__ = [
    "THETA_INTERVENTION",
    "derive_seed",
    "fig1_point",
    "fig2_point",
    "point_key",
    "reproduce_fig1",
    "reproduce_fig2",
    "reproduce_fig3",
    "run_sweep",
]
