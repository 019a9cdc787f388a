"""Training by next-step prediction, with resumable safetensors checkpoints.

The loss is the mean one-step Gaussian negative log-likelihood of
:meth:`AttentionWorldModel.nll` over all transitions (full batch), minimised
with Adam. Runs are deterministic: the data are fixed, the batch is the whole
data set, and ``torch.manual_seed`` is set from the configuration before the
first step.

Checkpoints are safetensors files (tensors plus a JSON string of metadata);
nothing is ever unpickled. A checkpoint holds the model, the Adam moments,
the step, the history so far, the training configuration and a fingerprint
of the data, so re-running :func:`train` with the same ``checkpoint_dir``
continues where the last checkpoint left off and reproduces the
uninterrupted run exactly.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save

from pathspace._errors import PathspaceError
from pathspace.io._atomic import write_atomic
from pathspace.models._attention_model import AttentionWorldModel
from pathspace.models._data import TransitionData

__all__ = [
    "TrainingConfig",
    "TrainingResult",
    "load_model",
    "save_model",
    "train",
]

_FORMAT = "pathspace.attention-world-model/1"
_CHECKPOINT = "checkpoint.safetensors"
_log = logging.getLogger(__name__)
_log.addHandler(logging.NullHandler())

Progress = Callable[[int, int, dict[str, float]], None]


@dataclass(frozen=True)
class TrainingConfig:
    """How to train.

    Parameters
    ----------
    n_steps : int
        Full-batch Adam steps.
    lr : float
        Adam learning rate.
    seed : int
        Passed to ``torch.manual_seed`` before training.
    log_every : int
        Record the loss and the asymmetry every this many steps.
    checkpoint_every : int
        Write a checkpoint every this many steps (and at the end).
    snapshot_steps : sequence of int
        Steps at which to keep a copy of the model (``snapshot-NNNNNN``
        files next to the checkpoint), e.g. to measure it later.
    chunk_size : int
        Transitions per forward-backward pass; the gradients of the chunks
        add up to the full-batch gradient (chunks only bound the working
        memory, which makes a step faster than one pass over 10^5 states).
    """

    n_steps: int = 500
    lr: float = 0.02
    seed: int = 0
    log_every: int = 10
    checkpoint_every: int = 100
    snapshot_steps: Sequence[int] = field(default_factory=tuple)
    chunk_size: int = 32_768

    def __post_init__(self) -> None:
        for name in ("n_steps", "log_every", "checkpoint_every", "chunk_size"):
            value = getattr(self, name)
            if int(value) != value or value < 1:
                raise PathspaceError(f"{name}: expected an integer >= 1, got {value!r}")
        if not np.isfinite(self.lr) or self.lr <= 0:
            raise PathspaceError(f"lr: expected a learning rate > 0, got {self.lr!r}")
        steps = tuple(sorted({int(s) for s in self.snapshot_steps}))
        if steps and (steps[0] < 0 or steps[-1] > self.n_steps):
            raise PathspaceError(
                f"snapshot_steps: expected steps in [0, {self.n_steps}], got "
                f"{list(self.snapshot_steps)}"
            )
        object.__setattr__(self, "snapshot_steps", steps)

    def optimizer_settings(self) -> dict[str, Any]:
        """The settings a resumed run must share with the checkpoint."""
        return {"lr": float(self.lr), "seed": int(self.seed)}


@dataclass
class TrainingResult:
    """The trained model and its record.

    Attributes
    ----------
    model : AttentionWorldModel
        The model after ``step`` steps (trained in place).
    history : dict of lists
        ``step``, ``loss`` (mean NLL, nats per transition), ``MA_norm``
        (``||M_A||_F``), ``asymmetry`` (``Q``), ``gamma``, ``beta``,
        ``diffusion``, one entry per logged step.
    step : int
        Steps taken in total.
    resumed_from : int
        Step of the checkpoint this run continued from (0 for a fresh run).
    snapshots : dict of int to Path
        Model copies written during training, by step.
    """

    model: AttentionWorldModel
    history: dict[str, list[float]]
    step: int
    resumed_from: int = 0
    snapshots: dict[int, Path] = field(default_factory=dict)


def _write_safetensors(
    tensors: dict[str, torch.Tensor], path: Path, metadata: dict[str, str]
) -> None:
    """Write through a temporary file and a rename (never half a file)."""
    tensors = {k: v.detach().contiguous().cpu() for k, v in tensors.items()}
    write_atomic(Path(path), save(tensors, metadata=metadata))


def _read_safetensors(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    path = Path(path)
    if not path.is_file():
        raise PathspaceError(f"{path}: no such checkpoint file")
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = dict(f.metadata() or {})
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as exc:  # safetensors raises its own error types
        raise PathspaceError(
            f"{path}: not a readable safetensors file ({exc}); delete it to start again"
        ) from None
    if meta.get("format") != _FORMAT:
        raise PathspaceError(
            f"{path}: expected a pathspace attention-model file (format "
            f"{_FORMAT}), found format {meta.get('format')!r}"
        )
    return tensors, meta


def save_model(
    model: AttentionWorldModel, path: str | Path, metadata: dict[str, Any] | None = None
) -> Path:
    """Save a model's parameters and configuration as safetensors.

    Parameters
    ----------
    model : AttentionWorldModel
    path : str or Path
        Target file (written atomically).
    metadata : dict, optional
        Extra JSON-able information stored with it.
    """
    meta = {
        "format": _FORMAT,
        "model_config": json.dumps(model.config),
        "extra": json.dumps(metadata or {}),
    }
    tensors = {f"model.{k}": v for k, v in model.state_dict().items()}
    _write_safetensors(tensors, Path(path), meta)
    return Path(path)


def load_model(path: str | Path) -> AttentionWorldModel:
    """Load a model written by :func:`save_model` or :func:`train`."""
    tensors, meta = _read_safetensors(Path(path))
    model = AttentionWorldModel(**json.loads(meta["model_config"]))
    state = {
        k[len("model.") :]: v for k, v in tensors.items() if k.startswith("model.")
    }
    model.load_state_dict(state)
    return model


def _record(model: AttentionWorldModel, step: int, loss: float) -> dict[str, float]:
    p = model.parameters_numpy()
    M = p["M"]
    M_A = np.linalg.norm(0.5 * (M - M.T))
    return {
        "step": step,
        "loss": loss,
        "MA_norm": float(M_A),
        "asymmetry": float(M_A / np.linalg.norm(M)),
        "gamma": p["gamma"],
        "beta": p["beta"],
        "diffusion": p["diffusion"],
    }


def _save_checkpoint(
    path: Path,
    model: AttentionWorldModel,
    optimizer: torch.optim.Adam,
    names: list[str],
    step: int,
    history: dict[str, list],
    config: TrainingConfig,
    fingerprint: str,
) -> None:
    tensors = {f"model.{k}": v for k, v in model.state_dict().items()}
    params = optimizer.param_groups[0]["params"]
    for name, p in zip(names, params, strict=True):
        for key, value in optimizer.state.get(p, {}).items():
            tensors[f"optim.{name}.{key}"] = torch.as_tensor(value)
    meta = {
        "format": _FORMAT,
        "model_config": json.dumps(model.config),
        "step": str(step),
        "history": json.dumps(history),
        "optimizer": json.dumps(config.optimizer_settings()),
        "data": fingerprint,
    }
    _write_safetensors(tensors, path, meta)


def _load_checkpoint(
    path: Path,
    model: AttentionWorldModel,
    optimizer: torch.optim.Adam,
    names: list[str],
    config: TrainingConfig,
    fingerprint: str,
) -> tuple[int, dict[str, list]]:
    tensors, meta = _read_safetensors(path)
    checks = [
        ("model_config", json.dumps(model.config), "model configuration"),
        ("optimizer", json.dumps(config.optimizer_settings()), "learning rate or seed"),
        ("data", fingerprint, "training data"),
    ]
    for key, expected, what in checks:
        if meta.get(key) != expected:
            raise PathspaceError(
                f"{path}: the checkpoint was written with another {what}; "
                "use a fresh checkpoint_dir or delete the checkpoint"
            )
    state = {
        k[len("model.") :]: v for k, v in tensors.items() if k.startswith("model.")
    }
    model.load_state_dict(state)
    params = optimizer.param_groups[0]["params"]
    for name, p in zip(names, params, strict=True):
        prefix = f"optim.{name}."
        entry = {
            k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)
        }
        if entry:
            optimizer.state[p] = entry
    return int(meta["step"]), json.loads(meta["history"])


def _accumulate(
    model: AttentionWorldModel,
    start: torch.Tensor,
    end: torch.Tensor,
    dt: float,
    chunk: int,
) -> float:
    """Back-propagate the mean NLL chunk by chunk; return its value."""
    n = start.shape[0]
    total = 0.0
    for lo in range(0, n, chunk):
        part = model.nll(start[lo : lo + chunk], end[lo : lo + chunk], dt).sum() / n
        part.backward()
        total += part.item()
    return total


def _snapshot_path(directory: Path, step: int) -> Path:
    return directory / f"snapshot-{step:06d}.safetensors"


def train(
    model: AttentionWorldModel,
    data: TransitionData,
    config: TrainingConfig | None = None,
    *,
    checkpoint_dir: str | Path | None = None,
    progress: Progress | None = None,
) -> TrainingResult:
    """Train ``model`` in place by next-step prediction on ``data``.

    Parameters
    ----------
    model : AttentionWorldModel
        The model; its current parameters are the start of a fresh run.
    data : TransitionData
        One-step transitions (full batch).
    config : TrainingConfig, optional
        Steps, learning rate, seed, logging and checkpoint intervals.
    checkpoint_dir : str or Path, optional
        Where to keep ``checkpoint.safetensors`` and the snapshots. If a
        checkpoint is there, training continues from it (the model, the
        data and the optimiser settings must match); if it has reached
        ``config.n_steps`` already, nothing is trained.
    progress : callable, optional
        ``progress(step, n_steps, record)`` at every logged step, with the
        record's loss and asymmetry.

    Returns
    -------
    TrainingResult
    """
    config = config or TrainingConfig()
    if not isinstance(model, AttentionWorldModel):
        raise PathspaceError(
            f"model: expected an AttentionWorldModel, got {type(model).__name__}"
        )
    if data.dim != model.dim:
        raise PathspaceError(
            f"data: expected states of dimension {model.dim}, got {data.dim}"
        )
    if config.snapshot_steps and checkpoint_dir is None:
        raise PathspaceError(
            "snapshot_steps: snapshots are written to files; give checkpoint_dir"
        )
    torch.manual_seed(config.seed)
    dtype = model.W_Q.dtype
    start, end = data.start.to(dtype), data.end.to(dtype)

    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    names = [n for n, _ in named]
    optimizer = torch.optim.Adam([p for _, p in named], lr=config.lr)
    step, resumed_from = 0, 0
    history: dict[str, list] = {}
    directory = Path(checkpoint_dir) if checkpoint_dir is not None else None
    fingerprint = data.fingerprint()
    if directory is not None and (directory / _CHECKPOINT).is_file():
        step, history = _load_checkpoint(
            directory / _CHECKPOINT, model, optimizer, names, config, fingerprint
        )
        resumed_from = step
        _log.info("resuming training at step %d from %s", step, directory)

    def log(step: int, loss: float) -> None:
        record = _record(model, step, loss)
        for key, value in record.items():
            history.setdefault(key, []).append(value)
        _log.debug("step %d: loss %.5f, ||M_A|| %.4f", step, loss, record["MA_norm"])
        if progress is not None:
            progress(step, config.n_steps, record)

    def snapshot(step: int) -> None:
        if step in config.snapshot_steps:
            save_model(model, _snapshot_path(directory, step), {"step": step})

    def checkpoint(step: int) -> None:
        _save_checkpoint(
            directory / _CHECKPOINT,
            model,
            optimizer,
            names,
            step,
            history,
            config,
            fingerprint,
        )

    if step == 0:
        snapshot(0)
    changed = False
    while step < config.n_steps:
        optimizer.zero_grad(set_to_none=True)
        loss = _accumulate(model, start, end, data.dt, config.chunk_size)
        if step % config.log_every == 0 and step not in history.get("step", []):
            log(step, loss)
        optimizer.step()
        step += 1
        changed = True
        snapshot(step)
        if directory is not None and step % config.checkpoint_every == 0:
            checkpoint(step)

    if step not in history.get("step", []):
        with torch.no_grad():
            log(step, model.nll(start, end, data.dt).mean().item())
        changed = True
    if directory is not None and changed:
        checkpoint(step)
    snapshots = {}
    if directory is not None:
        snapshots = {
            s: _snapshot_path(directory, s)
            for s in config.snapshot_steps
            if _snapshot_path(directory, s).is_file()
        }
    return TrainingResult(
        model=model,
        history=history,
        step=step,
        resumed_from=resumed_from,
        snapshots=snapshots,
    )
