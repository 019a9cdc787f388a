"""Entropy production by projecting the mean local velocity on a basis.

Symbols: transitions ``dz`` over times ``dt`` from ``z`` to ``z'`` with
midpoint ``m = (z + z') / 2``; ``D`` the constant diffusion matrix; ``b(z)``
a vector of ``K`` basis functions; ``v = J / rho`` the circulating drift
(mean local velocity); ``sigma_dot = < v^T D^-1 v >_ss`` in nats per unit
time (paper Eqs. 27-28, written for a matrix ``D``).

The Stratonovich time average of ``b`` along the increments estimates the
velocity moments directly, with no density or its gradient:

    X = (1/T) sum dz b(m)^T  ->  < v b^T >_ss,     G = < b b^T >_ss,

so the projection of ``v`` on the span of ``b`` is ``v_b(z) = X G^-1 b(z)``
and ``sigma_b = tr(D^-1 X G^-1 X^T)``. Because every component of ``v`` is
projected on the same functions, ``v_b`` is also the projection in the
``D^-1`` metric: ``sigma_b <= sigma_dot``, with equality when ``v`` lies in
the span (linear ``v`` for linear drifts; polynomial ``v`` of degree ``p``
for the polynomial basis of degree ``p``).

The method is that of stochastic force inference (Frishman and Ronceray,
Phys. Rev. X 10, 021009 (2020)); the debiasing, the finite-``dt`` correction
and the error bar below are this module's.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from pathspace._errors import PathspaceError
from pathspace.dynamics import as_diffusion_matrix
from pathspace.estimators._result import Estimate, block_status, warn_if_not_ok
from pathspace.simulate import Trajectories, Transitions

__all__ = ["BASES", "PolynomialBasis", "make_basis", "projection_entropy_production"]

BASES = {"linear": 1, "quadratic": 2, "cubic": 3}
_CHUNK = 1 << 15  # rows per feature evaluation; bounds working memory
_GRAM_ENTRIES = 1 << 22  # per-block Gram matrices kept below this size


@dataclass(frozen=True)
class PolynomialBasis:
    """All monomials of degree ``<= degree`` in whitened coordinates.

    Whitening (``u = L^-1 (z - mean)`` with ``L L^T`` the covariance of the
    data) changes nothing in the span, only the conditioning of ``G``.

    Attributes
    ----------
    degree : int
        Highest total degree; the constant is included.
    mean : ndarray of shape (dim,)
    chol : ndarray of shape (dim, dim)
        Lower Cholesky factor of the data covariance.
    """

    degree: int
    mean: np.ndarray
    chol: np.ndarray

    @property
    def dim(self) -> int:
        return self.mean.shape[0]

    @property
    def size(self) -> int:
        return len(self._exponents())

    def _exponents(self) -> list[tuple[int, ...]]:
        out: list[tuple[int, ...]] = [()]
        for p in range(1, self.degree + 1):
            out += list(itertools.combinations_with_replacement(range(self.dim), p))
        return out

    def __call__(self, z: np.ndarray) -> np.ndarray:
        """Features of shape (n, size) for states of shape (n, dim)."""
        u = (z - self.mean) @ np.linalg.inv(self.chol).T
        cols = [np.ones((u.shape[0], 1)), u]
        for p in range(2, self.degree + 1):
            idx = np.array(
                list(itertools.combinations_with_replacement(range(self.dim), p))
            )
            cols.append(np.prod(u[:, idx], axis=2))
        return np.concatenate(cols, axis=1)


def make_basis(basis: Any, states: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """Resolve ``basis`` (name, degree or callable) against the data.

    Parameters
    ----------
    basis : {"linear", "quadratic", "cubic"}, int or callable
        A name or polynomial degree builds a :class:`PolynomialBasis`
        whitened on ``states``; a callable maps ``(n, dim)`` states to
        ``(n, K)`` features and is used as given.
    states : ndarray of shape (n, dim)
        Finite samples of the data, for the whitening.
    """
    if callable(basis):
        return basis
    degree = BASES.get(basis, basis) if isinstance(basis, str) else basis
    if (
        isinstance(degree, bool)
        or not isinstance(degree, int | np.integer)
        or (degree < 1)
    ):
        raise PathspaceError(
            f"basis: expected one of {', '.join(BASES)}, a degree >= 1 or a "
            f"callable, got {basis!r}"
        )
    mean = states.mean(axis=0)
    cov = np.atleast_2d(np.cov(states, rowvar=False))
    scale = max(float(np.trace(cov)) / len(mean), 1e-300)
    chol = np.linalg.cholesky(cov + 1e-12 * scale * np.eye(len(mean)))
    return PolynomialBasis(int(degree), mean, chol)


@dataclass
class _BlockSums:
    """Per-block sums, blocks along axis 0 (see :func:`_block_sums`)."""

    x1: np.ndarray  # (B, dim, K) sum dz b(m)^T over one-step transitions
    x2: np.ndarray  # (B, dim, K) same over two-step increments
    t1: np.ndarray  # (B,) summed dt of one-step transitions
    t2: np.ndarray  # (B,) summed duration of two-step increments
    q1: np.ndarray  # (B,) summed dt^2
    q2: np.ndarray  # (B,) summed duration^2 of two-step increments
    m1: np.ndarray  # (B, dim, dim) sum dz dz^T, one step
    m2: np.ndarray  # (B, dim, dim) same, two steps
    n: np.ndarray  # (B,) one-step transitions
    gram: np.ndarray  # (B, K, K) or (1, K, K): sum b(z) b(z)^T over starts


def _two_step_pairs(tr: Transitions) -> np.ndarray:
    """Indices ``i`` such that transitions ``i`` and ``i + 1`` are consecutive."""
    same = (tr.path[1:] == tr.path[:-1]) & (tr.step[1:] == tr.step[:-1] + 1)
    return np.nonzero(same)[0]


def _block_sums(
    tr: Transitions,
    block: np.ndarray,
    n_blocks: int,
    basis: Callable[[np.ndarray], np.ndarray],
) -> _BlockSums:
    """Accumulate the per-block sufficient statistics in chunks.

    Blocks are contiguous runs of the transition order (paths, then time),
    so each chunk adds matrix products of a few contiguous slices.
    """
    dim = tr.start.shape[1]
    K = basis(tr.start[:1]).shape[1]
    pairs = _two_step_pairs(tr)
    tau = tr.dt[pairs] + tr.dt[pairs + 1]
    per_block_gram = n_blocks * K * K <= _GRAM_ENTRIES
    xm1 = np.zeros((n_blocks, dim, K + dim))
    xm2 = np.zeros((n_blocks, dim, K + dim))
    gram = np.zeros((n_blocks if per_block_gram else 1, K, K))

    for lo in range(0, len(tr), _CHUNK):
        a, e = tr.start[lo : lo + _CHUNK], tr.end[lo : lo + _CHUNK]
        dz, bk = e - a, block[lo : lo + _CHUNK]
        _add_by_block(xm1, bk, dz, np.hstack([basis(0.5 * (a + e)), dz]))
        b = basis(a)
        if per_block_gram:
            _add_by_block(gram, bk, b, b)
        else:
            gram[0] += b.T @ b

    # Two-step increments z_{i+2} - z_i at their own midpoints.
    for lo in range(0, len(pairs), _CHUNK):
        i = pairs[lo : lo + _CHUNK]
        a, e = tr.start[i], tr.end[i + 1]
        _add_by_block(xm2, block[i], e - a, np.hstack([basis(0.5 * (a + e)), e - a]))

    return _BlockSums(
        x1=xm1[..., :K],
        x2=xm2[..., :K],
        m1=xm1[..., K:],
        m2=xm2[..., K:],
        t1=np.bincount(block, tr.dt, n_blocks),
        t2=np.bincount(block[pairs], tau, n_blocks),
        q1=np.bincount(block, tr.dt**2, n_blocks),
        q2=np.bincount(block[pairs], tau**2, n_blocks),
        n=np.bincount(block, minlength=n_blocks).astype(np.float64),
        gram=gram,
    )


def _add_by_block(
    acc: np.ndarray, bk: np.ndarray, a: np.ndarray, b: np.ndarray
) -> None:
    """``acc[k] += sum_{rows in block k} a^T b`` for sorted block labels.

    The products go through torch, whose threaded matrix product stays fast
    when the machine is shared.
    """
    labels, starts = np.unique(bk, return_index=True)
    ends = np.append(starts[1:], len(bk))
    ta, tb = (
        torch.from_numpy(np.ascontiguousarray(a)),
        torch.from_numpy(np.ascontiguousarray(b)),
    )
    for k, s, e in zip(labels, starts, ends, strict=True):
        acc[k] += (ta[s:e].T @ tb[s:e]).numpy()


def _diffusion_weights(S: _BlockSums) -> tuple[float, float, str]:
    """Weights ``(alpha, beta)`` with ``D = alpha sum m1 - beta sum m2``.

    ``E[dz dz^T] = 2 D tau + B tau^2 + O(tau^3)`` for an increment of
    duration ``tau``; one- and two-step increments give two equations whose
    solution removes the ``O(tau)`` relative bias of ``sum dz dz^T / 2T``.
    """
    t1, t2, q1, q2 = S.t1.sum(), S.t2.sum(), S.q1.sum(), S.q2.sum()
    det = 2.0 * (t1 * q2 - q1 * t2)
    if t2 > 0 and abs(det) > 1e-9 * abs(2.0 * t1 * q2):
        return q2 / det, q1 / det, "two-step extrapolation"
    return 1.0 / (2.0 * t1), 0.0, "one-step (no consecutive transitions)"


def _inv_sqrt_psd(G: np.ndarray, rcond: float = 1e-10) -> tuple[np.ndarray, int]:
    """``W`` with ``W W^T = G^+`` (pseudo-inverse) and the rank kept."""
    lam, U = np.linalg.eigh(0.5 * (G + G.T))
    keep = lam > rcond * max(lam.max(), 1e-300)
    return U[:, keep] / np.sqrt(lam[keep]), int(keep.sum())


def u_statistic(y: np.ndarray, t: np.ndarray) -> tuple[float, float, float]:
    """Debiased ``|E y|^2`` from independent block sums, with its variance.

    Parameters
    ----------
    y : ndarray of shape (B, p)
        Block sums with ``E[y_k] = t_k mu``, independent across blocks.
    t : ndarray of shape (B,)
        Block weights (time or counts).

    Returns
    -------
    value, raw, var2
        ``sum_{k != j} y_k . y_j / sum_{k != j} t_k t_j`` (unbiased for
        ``|mu|^2``), the plug-in ``|sum y|^2 / (sum t)^2``, and the variance
        of the degenerate (second-order) part of the U-statistic,
        ``2 sum_{k != j} (e_k . e_j)^2 / P^2`` with ``e_k = y_k - t_k y_bar``.
    """
    total, T = y.sum(0), t.sum()
    own = np.einsum("kp,kp->", y, y)
    P = T**2 - np.sum(t**2)
    value = (total @ total - own) / P
    raw = total @ total / T**2
    e = y - np.outer(t, total / T)
    ee = e @ e.T
    var2 = 2.0 * (np.sum(ee**2) - np.sum(np.diag(ee) ** 2)) / P**2
    return float(value), float(raw), float(var2)


def projection_entropy_production(
    traj: Trajectories,
    basis: Any = "linear",
    *,
    n_blocks: int = 100,
    diffusion: Any = None,
    dt_correction: bool = True,
) -> Estimate:
    """Entropy production rate by projecting the mean local velocity.

    Parameters
    ----------
    traj : Trajectories
        Stationary trajectories, shape (n_paths, n_steps, dim), any ``dim``.
    basis : {"linear", "quadratic", "cubic"}, int or callable
        Functions ``b(z)`` on which ``v`` is projected: polynomials of
        degree <= 1, 2, 3 (or the given degree) including the constant, or
        a callable mapping states of shape (n, dim) to features (n, K).
        ``K`` grows as ``C(dim + p, p)``: keep ``K * dim`` well below the
        number of transitions.
    n_blocks : int
        Number of independent blocks (whole paths, or contiguous time
        blocks when there are fewer than 20 paths) for the debiasing and
        the error bar.
    diffusion : float or array_like, optional
        Known diffusion matrix ``D``; estimated from the increments if not
        given.
    dt_correction : bool
        Combine one- and two-step increments to cancel the ``O(dt)``
        discretisation bias of the velocity moments and of ``D`` (default).

    Returns
    -------
    Estimate
        ``value`` in nats per unit time. ``details`` holds the diffusion
        matrix, the basis size ``K``, the analytic noise term
        ``2 dim K / T`` for comparison with the removed bias, the number of
        blocks and the two variance components of the error bar.

    Notes
    -----
    Formula. With block sums ``x_k`` of ``dz b(m)^T`` (shape (dim, K)) and
    block times ``T_k`` (``T = sum T_k``),

        sigma = sum_{k != j} tr(D^-1 x_k G^-1 x_j^T) / sum_{k != j} T_k T_j.

    Bias. The plug-in ``tr(D^-1 X G^-1 X^T)`` is biased upwards by
    ``tr(D^-1 Cov(X) G^-1)``; for white increments that is ``2 dim K / T``
    (the noise term of stochastic force inference). Increments are not
    white once conditioned on a smooth function of the state, so instead
    the U-statistic above keeps only products of distinct, independent
    blocks: it is unbiased for ``tr(D^-1 E[X] G^-1 E[X]^T)`` whatever the
    correlations inside a block. What remains: relative ``O(dt^2)``
    discretisation bias with ``dt_correction`` (``O(dt)`` without; a
    two-step increment is combined as ``2 X(dt) - X(2 dt)``, and ``D`` by
    the same extrapolation), relative ``O(K tau / T)`` from inverting the
    sampled Gram matrix ``G`` (``tau`` the correlation time), and the
    projection bias ``sigma_b <= sigma_dot`` when ``v`` is not in the span.

    Error bar. Analytic: the delta-method variance of the estimate as a
    function of block means of ``dz b(m)^T``, ``b b^T`` and ``dz dz^T``
    (cluster-robust over blocks), plus the variance of the degenerate part
    of the U-statistic, which dominates near ``sigma = 0``. For the
    rotating Ornstein-Uhlenbeck process it reaches the Cramer-Rao bound
    ``sqrt(8 sigma / T)``.

    Assumptions: stationary data; additive noise with constant ``D``;
    coordinates even under time reversal; blocks longer than the
    correlation time; with timestamps, ``dt`` nearly constant (the
    two-step extrapolation assumes it).

    References
    ----------
    A. Frishman and P. Ronceray, Phys. Rev. X 10, 021009 (2020).
    """
    tr = _check_inputs(traj, n_blocks)
    dim = traj.dim
    phi = make_basis(basis, tr.start)
    block, count = tr.blocks(n_blocks)
    S = _block_sums(tr, block, count, phi)
    K = S.x1.shape[2]
    N, T = S.n.sum(), S.t1.sum()

    # Velocity moments, optionally extrapolated to dt -> 0 block by block.
    x = S.x1.copy()
    if dt_correction:
        has = S.t2 > 0
        ratio = np.where(has, S.t1 / np.where(has, S.t2, 1.0), 0.0)
        x[has] = 2.0 * S.x1[has] - ratio[has, None, None] * S.x2[has]
    G = S.gram.sum(0) / N

    # Diffusion: block contributions D_k with D = sum_k D_k.
    if diffusion is not None:
        D = as_diffusion_matrix(diffusion, dim)
        D_k = np.broadcast_to(D * (S.n / N)[:, None, None], S.m1.shape)
        d_method = "given"
    else:
        alpha, beta, d_method = _diffusion_weights(S)
        if not dt_correction:
            alpha, beta, d_method = 1.0 / (2.0 * T), 0.0, "one-step"
        D_k = alpha * S.m1 - beta * S.m2
        D = 0.5 * (D_k.sum(0) + D_k.sum(0).T)
    if np.linalg.eigvalsh(D).min() <= 0:
        raise PathspaceError(
            "diffusion: the estimated D is not positive definite; give "
            "diffusion= or record more transitions"
        )

    # Whitened block sums y_k = L^T x_k W, so tr(D^-1 x G^-1 x'^T) = y . y'.
    L = np.linalg.cholesky(np.linalg.inv(D))
    W, rank = _inv_sqrt_psd(G)
    y = np.einsum("ia,kab,bj->kij", L.T, x, W).reshape(count, -1)
    value, raw, var2 = u_statistic(y, S.t1)

    var1 = _delta_variance(
        tr, block, count, phi, S, x, y, D, D_k, L, W, diffusion is None
    )
    stderr = float(np.sqrt(var1 + var2))

    status, message = block_status(count)
    if status == "ok" and N < 10 * K * dim:
        status = "under-sampled"
        message = (
            f"{int(N)} transitions for {K * dim} projection "
            "coefficients; use a smaller basis or more data"
        )
    warn_if_not_ok(status, message, "entropy production")
    return Estimate(
        value=value,
        stderr=stderr,
        raw=raw,
        bias=raw - value,
        n_samples=int(N),
        estimator="projection",
        status=status,
        message=message,
        details={
            "diffusion": D,
            "diffusion_method": d_method,
            "basis": basis if isinstance(basis, str | int) else "callable",
            "n_basis": K,
            "rank": rank,
            "total_time": float(T),
            "noise_bias_analytic": 2.0 * dim * rank / float(T),
            "n_blocks": count,
            "dt_correction": bool(dt_correction),
            "stderr_first_order": float(np.sqrt(var1)),
            "stderr_second_order": float(np.sqrt(var2)),
        },
    )


def _check_inputs(traj: Trajectories, n_blocks: int) -> Transitions:
    if not isinstance(traj, Trajectories):
        raise PathspaceError(
            f"traj: expected a Trajectories object, got {type(traj).__name__}; "
            "wrap arrays with pathspace.simulate.Trajectories(z, dt=...)"
        )
    if int(n_blocks) != n_blocks or n_blocks < 2:
        raise PathspaceError(f"n_blocks: expected an integer >= 2, got {n_blocks!r}")
    tr = traj.transitions()
    if len(tr) < 10:
        raise PathspaceError(
            f"entropy production: expected at least 10 transitions, found "
            f"{len(tr)}; record longer trajectories"
        )
    if np.any(tr.dt <= 0):
        raise PathspaceError(
            "t: expected increasing timestamps, found a step with dt <= 0; "
            "sort the samples in time"
        )
    return tr


def _delta_variance(
    tr: Transitions,
    block: np.ndarray,
    count: int,
    phi: Callable,
    S: _BlockSums,
    x: np.ndarray,
    y: np.ndarray,
    D: np.ndarray,
    D_k: np.ndarray,
    L: np.ndarray,
    W: np.ndarray,
    estimated_D: bool,
) -> float:
    """Cluster-robust delta-method variance of ``tr(D^-1 X G^-1 X^T)``.

    Influence of block ``k`` on ``2 tr(D^-1 X C^T) - tr(C^T D^-1 C G)``
    (``C = X G^-1``), plus ``-tr(D^-1 dD D^-1 X G^-1 X^T)`` when ``D`` is
    estimated.
    """
    N, T = S.n.sum(), S.t1.sum()
    ybar = y.sum(0) / T
    psi = 2.0 * ((y - np.outer(S.t1, ybar)) @ ybar) / T

    # Gram part: g_k = sum over the block of v_b^T D^-1 v_b at the starts.
    C = x.sum(0) / T @ W @ W.T
    Q = C.T @ np.linalg.solve(D, C)
    if S.gram.shape[0] == count:
        g = np.einsum("kab,ab->k", S.gram, Q)
    else:
        g = np.zeros(count)
        for lo in range(0, len(tr), _CHUNK):
            b = phi(tr.start[lo : lo + _CHUNK])
            g += np.bincount(
                block[lo : lo + _CHUNK], np.einsum("na,ab,nb->n", b, Q, b), count
            )
    psi -= (g - S.n * g.sum() / N) / N

    if estimated_D:
        Dinv = np.linalg.inv(D)
        A = Dinv @ C @ (x.sum(0) / T).T @ Dinv
        dD = D_k - D[None] * (S.n / N)[:, None, None]
        psi -= np.einsum("kij,ji->k", dD, A)
    return float(count / (count - 1) * np.sum(psi**2))
