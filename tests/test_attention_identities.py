"""Attention identities (Eqs. 20-23) against torch.func autodiff.

Tolerance: analytic formula vs reverse-mode autodiff of the same float64
function agree to rounding, so rtol 1e-10 (with atol 1e-12 for entries that
cancel to zero) is a reference-implementation tolerance.
"""

import numpy as np
import pytest
import torch
from torch.func import jacrev

from pathspace.attention._identities import (
    attention_divergence,
    attention_jacobian,
    cycle_work,
    jacobian_split,
    odd_work_prediction,
)
from pathspace.dynamics import SoftmaxAttentionDrift

RTOL, ATOL = 1e-10, 1e-12


def _drift(d, seed):
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((d, d))
    memory = rng.standard_normal((5 + d, d))
    return SoftmaxAttentionDrift(
        M, memory, gamma=0.7, beta=1.3, score_scale=1 / np.sqrt(d), diffusion=0.2
    ), rng


def _autodiff_jacobian(drift, z):
    zt = torch.as_tensor(z)
    return np.stack([jacrev(drift.forward)(x).numpy() for x in zt])


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("d", [2, 3, 8])
def test_jacobian_and_divergence_match_autodiff(d, seed):
    drift, rng = _drift(d, seed)
    z = rng.standard_normal((4, d))
    J_auto = _autodiff_jacobian(drift, z)
    np.testing.assert_allclose(attention_jacobian(drift, z), J_auto, RTOL, ATOL)
    div_auto = np.trace(J_auto, axis1=1, axis2=2)
    np.testing.assert_allclose(attention_divergence(drift, z), div_auto, RTOL, ATOL)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("d", [2, 3, 8])
def test_antisymmetric_jacobian_splits_into_commutator_and_anticommutator(d, seed):
    drift, rng = _drift(d, seed)
    z = rng.standard_normal((4, d))
    J_auto = _autodiff_jacobian(drift, z)
    JA_auto = 0.5 * (J_auto - np.swapaxes(J_auto, 1, 2))
    split = jacobian_split(drift, z)
    total = split.commutator + split.anticommutator
    np.testing.assert_allclose(total, JA_auto, RTOL, ATOL)
    np.testing.assert_allclose(split.antisymmetric, JA_auto, RTOL, ATOL)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_symmetrised_query_key_leaves_only_the_commutator(seed):
    drift, rng = _drift(3, seed)
    MS = 0.5 * (drift.M + drift.M.T)
    twin = SoftmaxAttentionDrift(
        MS, drift.memory, gamma=0.7, beta=1.3, score_scale=1 / np.sqrt(3)
    )
    split = jacobian_split(twin, rng.standard_normal((4, 3)))
    assert np.abs(split.anticommutator).max() == 0.0
    assert np.abs(split.commutator).max() > 1e-3


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_odd_work_around_a_cycle_is_twice_antisymmetric_part_times_area(seed):
    rng = np.random.default_rng(seed)
    d = 4
    F = rng.standard_normal((d, d))
    u, w = np.linalg.qr(rng.standard_normal((d, 2)))[0].T
    centre = rng.standard_normal(d)

    # Polygon approximating a circle of radius r: area r^2 n sin(2 pi/n) / 2.
    r, n = 0.8, 64
    phi = 2 * np.pi * np.arange(n) / n
    cycle = centre + r * (np.cos(phi)[:, None] * u + np.sin(phi)[:, None] * w)
    area = 0.5 * n * r**2 * np.sin(2 * np.pi / n)
    expected = odd_work_prediction(F, u, w, area)
    np.testing.assert_allclose(cycle_work(F, cycle), expected, rtol=1e-10)

    # A rectangle, clockwise: the sign flips.
    rect = centre + np.array([[0, 0], [0, 1.5], [2.0, 1.5], [2.0, 0]]) @ np.stack(
        [u, w]
    )
    np.testing.assert_allclose(
        cycle_work(F, rect), -odd_work_prediction(F, u, w, 3.0), rtol=1e-10
    )
