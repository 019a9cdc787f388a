"""Recording real trajectories from gymnasium's classic-control physics.

The pendulum is gymnasium's own ``Pendulum-v1`` (its equations of motion and
time step, not a copy): ``theta'' = 3 g / (2 l) sin(theta) + 3 u / (m l^2)``
integrated by semi-implicit Euler with ``dt = 0.05``, where ``theta = 0`` is
upright. We drive it with a torque ``u = -damping * omega + noise * xi`` with
``xi`` standard normal, and record ``z = (phi, omega)`` with ``phi`` the angle
from the hanging position wrapped to (-pi, pi].

The noise enters only the velocity, so the diffusion matrix of the recorded
pair is nearly singular; measured with both coordinates treated as even
under time reversal (as in the paper), the probability current is the
swing's rotation in phase space, and the entropy production it yields is
dominated by that kinematic circulation.
"""

from __future__ import annotations

import warnings

import numpy as np

from pathspace._errors import PathspaceError, PathspaceWarning
from pathspace._validation import check_seed
from pathspace.simulate import Trajectories

__all__ = ["record_pendulum"]


def record_pendulum(
    n_paths: int = 64,
    n_steps: int = 5000,
    *,
    damping: float = 0.1,
    torque_noise: float = 0.8,
    burn_in: int = 400,
    seed: int = 0,
) -> Trajectories:
    """Record damped, randomly driven swings of gymnasium's Pendulum-v1.

    Parameters
    ----------
    n_paths : int
        Independent pendulums (one environment each).
    n_steps : int
        Recorded states per pendulum, ``dt`` = the environment's 0.05.
    damping : float
        Feedback torque per unit angular velocity (>= 0).
    torque_noise : float
        Standard deviation of the random torque per step (> 0).
    burn_in : int
        Steps discarded first, to forget the random start.
    seed : int
        Seeds the environments and the torques.

    Returns
    -------
    Trajectories
        ``z`` of shape (n_paths, n_steps, 2): angle from hanging in
        (-pi, pi] and angular velocity. ``meta`` records how often the
        environment clipped the torque (at +-2) or the speed (at +-8).
    """
    import gymnasium as gym

    for name, value, low in (
        ("n_paths", n_paths, 1),
        ("n_steps", n_steps, 2),
        ("burn_in", burn_in, 0),
    ):
        if int(value) != value or value < low:
            raise PathspaceError(f"{name}: expected an integer >= {low}, got {value!r}")
    if not np.isfinite(damping) or damping < 0:
        raise PathspaceError(f"damping: expected a number >= 0, got {damping}")
    if not np.isfinite(torque_noise) or torque_noise <= 0:
        raise PathspaceError(f"torque_noise: expected a number > 0, got {torque_noise}")

    rng = np.random.default_rng(check_seed(seed))
    z = np.empty((n_paths, n_steps, 2))
    clipped_torque = clipped_speed = 0
    for p in range(n_paths):
        env = gym.make("Pendulum-v1").unwrapped
        env.reset(seed=int(rng.integers(2**31)))
        limit_u, limit_w = env.max_torque, env.max_speed
        for k in range(burn_in + n_steps):
            omega = env.state[1]
            u = -damping * omega + torque_noise * rng.standard_normal()
            clipped_torque += abs(u) > limit_u
            env.step(np.array([u]))
            theta, omega = env.state
            clipped_speed += abs(omega) >= limit_w
            if k >= burn_in:
                phi = np.pi - np.mod(np.pi - (theta - np.pi), 2 * np.pi)
                z[p, k - burn_in] = (phi, omega)
        dt = float(env.dt)
        env.close()
    total = n_paths * (burn_in + n_steps)
    # a swing over the top makes the wrapped angle jump by about 2 pi
    wraps = int((np.abs(np.diff(z[..., 0], axis=1)) > np.pi).sum())
    if wraps:
        warnings.warn(
            f"pendulum: the angle wrapped around {wraps} times (swings over the "
            "top); increments across a wrap are not diffusive, so measure the "
            "data with np.unwrap applied to the angle, or record with more "
            "damping or less torque noise",
            PathspaceWarning,
            stacklevel=2,
        )
    meta = {
        "angle_wraps": wraps,
        "system": "gymnasium Pendulum-v1",
        "damping": damping,
        "torque_noise": torque_noise,
        "seed": seed,
        "clipped_torque_fraction": clipped_torque / total,
        "clipped_speed_fraction": clipped_speed / total,
        "labels": ["angle from hanging (rad)", "angular velocity (rad/s)"],
    }
    return Trajectories(z, dt=dt, meta=meta)
