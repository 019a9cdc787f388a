"""Named systems, addressable by name from Python and the command line.

Each system is built from keyword parameters with documented defaults and
returns a :class:`~pathspace.dynamics.Drift` that carries what is known
exactly about it. ``A0 = [[0, -1], [1, 0]]`` is the planar rotation
generator used throughout (the paper's ``A0`` and ``R``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from pathspace._errors import PathspaceError
from pathspace.dynamics._attention_drift import SoftmaxAttentionDrift, ring_slots
from pathspace.dynamics._drift import Drift, FunctionDrift
from pathspace.dynamics._linear import LinearDrift

__all__ = [
    "ROTATION_GENERATOR",
    "Parameter",
    "SystemSpec",
    "SYSTEMS",
    "make_system",
    "parse_params",
    "paper_query_key",
]

ROTATION_GENERATOR = np.array([[0.0, -1.0], [1.0, 0.0]])


@dataclass(frozen=True)
class Parameter:
    """One parameter of a named system."""

    name: str
    default: Any
    doc: str
    kind: str = "float"  # float, int, or matrix ("a,b;c,d" on the command line)


@dataclass(frozen=True)
class SystemSpec:
    """A named system: its parameters and how to build its drift."""

    name: str
    summary: str
    params: tuple[Parameter, ...]
    build: Callable[..., Drift]
    exact: str = ""
    z0: Callable[[Mapping[str, Any]], np.ndarray] | None = field(default=None)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}


def paper_query_key(theta: float) -> np.ndarray:
    """The paper's ``M = S0 + theta A0`` with ``S0 = I/2`` (Sec. VII.1)."""
    return 0.5 * np.eye(2) + theta * ROTATION_GENERATOR


def _ou(theta: float, D: float, dim: int) -> Drift:
    return LinearDrift(
        -theta * np.eye(dim), D, name="ou", params={"theta": theta, "D": D, "dim": dim}
    )


def _linear(F: Any, D: float) -> Drift:
    F = np.atleast_2d(np.asarray(F, dtype=np.float64))
    return LinearDrift(F, D, name="linear", params={"F": F.tolist(), "D": D})


def _paper_linear(theta: float, gamma: float, D: float) -> Drift:
    M = paper_query_key(theta)
    F = -gamma * np.eye(2) + M.T
    drift = LinearDrift(
        F, D, name="paper-linear", params={"theta": theta, "gamma": gamma, "D": D}
    )
    drift.M = M
    return drift


def _paper_softmax(
    theta: float, gamma: float, beta: float, n_slots: int, radius: float, D: float
) -> Drift:
    return SoftmaxAttentionDrift(
        paper_query_key(theta),
        ring_slots(n_slots, radius),
        gamma=gamma,
        beta=beta,
        diffusion=D,
        name="paper-softmax",
        params={
            "theta": theta,
            "gamma": gamma,
            "beta": beta,
            "n_slots": n_slots,
            "radius": radius,
            "D": D,
        },
    )


def _rotating_ou(a: float, omega: float, D: float) -> Drift:
    F = -a * np.eye(2) + omega * ROTATION_GENERATOR
    return LinearDrift(
        F, D, name="rotating-ou", params={"a": a, "omega": omega, "D": D}
    )


def _trap_curl(k1: float, k2: float, omega: float, D: float) -> Drift:
    F = -np.diag([k1, k2]) + omega * ROTATION_GENERATOR
    return LinearDrift(
        F, D, name="trap-curl", params={"k1": k1, "k2": k2, "omega": omega, "D": D}
    )


def _gyrator(k: float, u: float, T1: float, T2: float) -> Drift:
    F = -np.array([[k, u], [u, k]])
    return LinearDrift(
        F,
        np.diag([T1, T2]),
        name="gyrator",
        params={"k": k, "u": u, "T1": T1, "T2": T2},
    )


class _GradientDrift(FunctionDrift):
    """A gradient drift ``f = -grad U``: zero entropy production exactly."""

    def exact_entropy_production(self) -> float:
        return 0.0


def _double_well(D: float) -> Drift:
    return _GradientDrift(lambda z: z - z**3, 1, D, name="double-well", params={"D": D})


def _maier_stein(beta: float, D: float) -> Drift:
    def f(z: torch.Tensor) -> torch.Tensor:
        x, y = z[..., 0], z[..., 1]
        return torch.stack([x - x**3 - beta * x * y**2, -(1 + x**2) * y], -1)

    cls = _GradientDrift if beta == 1.0 else FunctionDrift
    return cls(f, 2, D, name="maier-stein", params={"beta": beta, "D": D})


_D = "diffusion coefficient, D * I (a matrix D: LinearDrift(F, D) in Python)"

SYSTEMS: dict[str, SystemSpec] = {
    s.name: s
    for s in [
        SystemSpec(
            "ou",
            "isotropic Ornstein-Uhlenbeck, f = -theta z",
            (
                Parameter("theta", 1.0, "relaxation rate"),
                Parameter("D", 1.0, _D),
                Parameter("dim", 1, "dimension", "int"),
            ),
            _ou,
            "Lyapunov covariance D/theta, entropy production 0",
        ),
        SystemSpec(
            "linear",
            "f = F z for a given matrix F",
            (
                Parameter(
                    "F", "-1,0.5;-0.5,-1", "drift matrix, rows split by ';'", "matrix"
                ),
                Parameter("D", 1.0, _D),
            ),
            _linear,
            "Lyapunov covariance and entropy production",
        ),
        SystemSpec(
            "paper-linear",
            "linear attention, f = (-gamma I + M^T) z, M = I/2 + theta A0",
            (
                Parameter("theta", 1.0, "asymmetry of M"),
                Parameter("gamma", 1.0, "relaxation rate"),
                Parameter("D", 0.25, _D),
            ),
            _paper_linear,
            "entropy production 4 theta^2 at gamma = 1, D = 1/4",
        ),
        SystemSpec(
            "paper-softmax",
            "softmax attention over fixed ring slots, "
            "f = -gamma z + beta sum_j softmax_j(z^T M m_j) m_j",
            (
                Parameter("theta", 1.0, "asymmetry of M = I/2 + theta A0"),
                Parameter("gamma", 1.0, "relaxation rate"),
                Parameter(
                    "beta",
                    0.45,
                    "readout strength (with radius 3: the "
                    "scale of Fig. 1b, ~4.9 at theta = 2)",
                ),
                Parameter("n_slots", 8, "memory slots on a ring", "int"),
                Parameter("radius", 3.0, "radius of the ring of slots"),
                Parameter("D", 0.25, _D),
            ),
            _paper_softmax,
            "gradient (zero entropy production) at theta = 0",
        ),
        SystemSpec(
            "rotating-ou",
            "f = -a z + omega R z",
            (
                Parameter("a", 1.0, "relaxation rate"),
                Parameter("omega", 1.0, "rotation rate"),
                Parameter("D", 0.25, _D),
            ),
            _rotating_ou,
            "entropy production 2 omega^2 / a",
        ),
        SystemSpec(
            "trap-curl",
            "anisotropic trap with a curl, f = -diag(k1, k2) z + omega R z",
            (
                Parameter("k1", 1.0, "stiffness along z0"),
                Parameter("k2", 1.0, "stiffness along z1"),
                Parameter("omega", 0.3, "curl strength"),
                Parameter("D", 1.0, _D),
            ),
            _trap_curl,
            "Lyapunov entropy production (0.18 by default)",
        ),
        SystemSpec(
            "gyrator",
            "Brownian gyrator: coupled trap at two temperatures",
            (
                Parameter("k", 1.0, "stiffness"),
                Parameter("u", 0.5, "coupling"),
                Parameter("T1", 1.0, "diffusion of z0"),
                Parameter("T2", 0.2, "diffusion of z1"),
            ),
            _gyrator,
            "Lyapunov entropy production with anisotropic D",
        ),
        SystemSpec(
            "double-well",
            "1-D double well, f = z - z^3",
            (Parameter("D", 0.1, _D),),
            _double_well,
            "gradient: zero entropy production",
        ),
        SystemSpec(
            "maier-stein",
            "f = (x - x^3 - beta x y^2, -(1 + x^2) y)",
            (
                Parameter("beta", 10.0, "non-gradient strength (1 is gradient)"),
                Parameter("D", 0.1, _D),
            ),
            _maier_stein,
            "gradient (zero entropy production) at beta = 1",
        ),
    ]
}


def _parse_value(param: Parameter, raw: Any, system: str) -> Any:
    try:
        if param.kind == "matrix":
            if isinstance(raw, str):
                rows = [r for r in raw.split(";") if r.strip()]
                return np.array([[float(x) for x in r.split(",")] for r in rows])
            return np.asarray(raw, dtype=np.float64)
        if param.kind == "int":
            value = float(raw)
            if value != int(value) or value < 1:
                raise ValueError
            return int(value)
        value = float(raw)
    except (TypeError, ValueError):
        shown = " ".join(repr(raw).split())  # one line, even for an array
        kind = "a positive integer" if param.kind == "int" else f"a {param.kind}"
        hint = (
            "; for a matrix D build LinearDrift(F, D) or FunctionDrift(f, dim, D)"
            if param.name == "D" and np.ndim(raw) > 0
            else ""
        )
        raise PathspaceError(
            f"{system}: parameter {param.name} expects {kind}, got {shown}{hint}"
        ) from None
    if not np.isfinite(value):
        raise PathspaceError(
            f"{system}: parameter {param.name} must be finite, got {raw!r}"
        )
    return value


def make_system(name: str, **params: Any) -> Drift:
    """Build the named system with the given parameters (others default).

    Raises
    ------
    PathspaceError
        For an unknown system, an unknown parameter or a malformed value.
    """
    if name not in SYSTEMS:
        raise PathspaceError(
            f"unknown system {name!r}; expected one of {', '.join(SYSTEMS)} "
            "(see `pathspace systems`)"
        )
    spec = SYSTEMS[name]
    known = {p.name: p for p in spec.params}
    for key in params:
        if key not in known:
            raise PathspaceError(
                f"{name}: unknown parameter {key!r}; its parameters are "
                f"{', '.join(known)}"
            )
    values = {
        p.name: _parse_value(p, params.get(p.name, p.default), name)
        for p in spec.params
    }
    return spec.build(**values)


def parse_params(pairs: list[str] | None) -> dict[str, str]:
    """Turn ``["k=v", ...]`` from the command line into a dict."""
    out: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise PathspaceError(
                f"--param: expected name=value, got {pair!r}; for example "
                "--param theta=1.5"
            )
        if key.strip() in out:
            raise PathspaceError(
                f"--param: {key.strip()} is given twice; give each parameter once"
            )
        out[key.strip()] = value.strip()
    return out
