"""Block-tridiagonal algebra of the discretised Jacobi operator.

The Hessian ``H`` of a path action ``A = sum_k l(z_k, z_{k+1})`` with respect
to the free states ``x_1, ..., x_N`` (each of length ``d``) is block
tridiagonal: diagonal blocks ``B_j`` and sub-diagonal blocks
``C_j = d^2 A / dx_{j+1} dx_j``. As a symmetric band matrix its lower
bandwidth is ``2 d - 1``; LAPACK's banded Cholesky factorises it for small
``d`` and a block recursion (block Thomas) for larger ``d``, both in
``O(N d^3)`` operations, linear in the path length.

The diagonal blocks of ``H^-1`` (the marginal covariances) come from the
standard selected-inversion recursion (the Rauch-Tung-Striebel smoother in
other words): forward Schur complements ``S_1 = B_1``,
``S_{j+1} = B_{j+1} - C_j S_j^-1 C_j^T``, then backward
``G_N = S_N^-1``, ``G_j = S_j^-1 + S_j^-1 C_j^T G_{j+1} C_j S_j^-1``.

References
----------
G. H. Golub and C. F. Van Loan, Matrix Computations, 4th ed., Sec. 4.5;
H. E. Rauch, F. Tung and C. T. Striebel, AIAA J. 3, 1445 (1965).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla

__all__ = [
    "BlockTridiagonalCholesky",
    "banded_cholesky",
    "block_diagonal_of_inverse",
    "solve_banded_cholesky",
    "to_lower_banded",
]


def to_lower_banded(
    diag: np.ndarray, sub: np.ndarray, shift: float = 0.0
) -> np.ndarray:
    """Lower band storage of a symmetric block-tridiagonal matrix.

    Parameters
    ----------
    diag : ndarray of shape (N, d, d)
        Diagonal blocks ``B_j`` (symmetric).
    sub : ndarray of shape (N - 1, d, d)
        Sub-diagonal blocks ``C_j = H[j + 1, j]``.
    shift : float
        Added to the main diagonal (Levenberg-Marquardt damping).

    Returns
    -------
    ndarray of shape (2 d, N d)
        ``ab[i - j, j] = H[i, j]`` for ``i >= j``, as
        :func:`scipy.linalg.cholesky_banded` expects with ``lower=True``.
    """
    N, d, _ = diag.shape
    ab = np.zeros((2 * d, N * d))
    p, q = np.meshgrid(np.arange(d), np.arange(d), indexing="ij")
    low = p >= q
    cols = (np.arange(N)[:, None] * d + q[low][None, :]).ravel()
    ab[np.tile((p - q)[low], N), cols] = diag[:, low].ravel()

    # Sub-diagonal block j fills rows (j + 1) d + p, columns j d + q.
    if N > 1:
        cols = (np.arange(N - 1)[:, None] * d + q.ravel()[None, :]).ravel()
        ab[np.tile((d + p - q).ravel(), N - 1), cols] = sub.reshape(N - 1, -1).ravel()
    ab[0] += shift
    return ab


def banded_cholesky(ab: np.ndarray) -> np.ndarray | None:
    """Lower banded Cholesky factor, or ``None`` if the matrix is not PD."""
    try:
        return sla.cholesky_banded(ab, lower=True, check_finite=False)
    except np.linalg.LinAlgError:
        return None


def solve_banded_cholesky(factor: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve ``H x = rhs`` from the factor of :func:`banded_cholesky`."""
    return sla.cho_solve_banded((factor, True), rhs, check_finite=False)


def block_diagonal_of_inverse(diag: np.ndarray, sub: np.ndarray) -> np.ndarray:
    """Diagonal blocks ``(H^-1)_{jj}`` of a SPD block-tridiagonal ``H``.

    Parameters
    ----------
    diag : ndarray of shape (N, d, d)
        Diagonal blocks ``B_j``.
    sub : ndarray of shape (N - 1, d, d)
        Sub-diagonal blocks ``C_j = H[j + 1, j]``.

    Returns
    -------
    ndarray of shape (N, d, d)
        ``G_j = (H^-1)_{jj}``; ``O(N d^3)`` operations, see the module
        docstring for the recursion.
    """
    N, d, _ = diag.shape
    Sinv = np.empty_like(diag)
    Sinv[0] = np.linalg.inv(diag[0])
    for j in range(N - 1):
        S = diag[j + 1] - sub[j] @ Sinv[j] @ sub[j].T
        Sinv[j + 1] = np.linalg.inv(S)

    # Backward pass: G_j = S_j^-1 + K_j^T G_{j+1} K_j with K_j = C_j S_j^-1.
    G = np.empty_like(diag)
    G[-1] = Sinv[-1]
    for j in range(N - 2, -1, -1):
        K = sub[j] @ Sinv[j]
        G[j] = Sinv[j] + K.T @ G[j + 1] @ K
    return 0.5 * (G + np.swapaxes(G, -1, -2))


# LAPACK's banded Cholesky wins for narrow bands; beyond this block size a
# block recursion with dense d x d kernels is faster (pbtrf is unblocked).
_BANDED_MAX_DIM = 8


class BlockTridiagonalCholesky:
    """Cholesky factor of a SPD block-tridiagonal matrix, ``H = L L^T``.

    ``L`` is block lower bidiagonal: ``L_jj = chol(S_j)`` with the Schur
    complements ``S_j`` of the module docstring and ``L_{j+1, j} =
    C_j L_jj^-T``. For ``d <= 8`` LAPACK's banded routine is used instead.
    Both cost ``O(N d^3)``.

    Use :meth:`factorise`, which returns ``None`` for a matrix that is not
    positive definite.
    """

    def __init__(self, banded: np.ndarray | None, blocks: tuple | None) -> None:
        self._banded = banded
        self._blocks = blocks

    @classmethod
    def factorise(
        cls, diag: np.ndarray, sub: np.ndarray, shift: float = 0.0
    ) -> BlockTridiagonalCholesky | None:
        """Factor ``H + shift I``; ``None`` if it is not positive definite."""
        N, d, _ = diag.shape
        if d <= _BANDED_MAX_DIM:
            factor = banded_cholesky(to_lower_banded(diag, sub, shift))
            return None if factor is None else cls(factor, None)
        Ld, Ls = np.empty_like(diag), np.empty_like(sub)
        S = diag[0] + shift * np.eye(d)
        try:
            for j in range(N):
                Ld[j] = np.linalg.cholesky(S)
                if j == N - 1:
                    break
                Ls[j] = np.linalg.solve(Ld[j], sub[j].T).T
                S = diag[j + 1] + shift * np.eye(d) - Ls[j] @ Ls[j].T
        except np.linalg.LinAlgError:
            return None
        return cls(None, (Ld, Ls))

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        """Solve ``H x = rhs`` for ``rhs`` of shape (N, d)."""
        if self._banded is not None:
            return solve_banded_cholesky(self._banded, rhs.ravel()).reshape(rhs.shape)
        Ld, Ls = self._blocks
        y = np.empty_like(rhs)
        # Dense d x d solves: NumPy's kernels beat scipy's triangular wrapper
        # at these sizes.
        y = np.empty_like(rhs)
        y[0] = np.linalg.solve(Ld[0], rhs[0])
        for j in range(1, len(rhs)):
            y[j] = np.linalg.solve(Ld[j], rhs[j] - Ls[j - 1] @ y[j - 1])
        x = np.empty_like(rhs)
        x[-1] = np.linalg.solve(Ld[-1].T, y[-1])
        for j in range(len(rhs) - 2, -1, -1):
            x[j] = np.linalg.solve(Ld[j].T, y[j] - Ls[j].T @ x[j + 1])
        return x

    def log_det(self) -> float:
        """``ln det H = 2 sum ln diag(L)``."""
        if self._banded is not None:
            return float(2.0 * np.log(self._banded[0]).sum())
        return float(2.0 * np.log(np.diagonal(self._blocks[0], axis1=1, axis2=2)).sum())
