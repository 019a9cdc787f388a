"""Trainable attention world models and their training loop.

An :class:`AttentionWorldModel` is a single value-tied softmax attention
layer over learnable memory slots that predicts the next latent state with a
Gaussian one-step transition (paper Sec. VII.3). :func:`train` fits it by
next-step prediction with resumable safetensors checkpoints, and
:meth:`AttentionWorldModel.as_drift` hands the result to every simulator and
estimator of pathspace.
"""

from pathspace.models._attention_model import AttentionWorldModel
from pathspace.models._data import (
    TransitionData,
    rotating_ou,
    rotating_ou_mean,
    sample_rotating_ou,
)
from pathspace.models._training import (
    TrainingConfig,
    TrainingResult,
    load_model,
    save_model,
    train,
)

__all__ = [
    "AttentionWorldModel",
    "TrainingConfig",
    "TrainingResult",
    "TransitionData",
    "load_model",
    "rotating_ou",
    "rotating_ou_mean",
    "sample_rotating_ou",
    "save_model",
    "train",
]
