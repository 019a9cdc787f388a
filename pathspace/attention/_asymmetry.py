"""Query-key asymmetry of attention (paper Eq. 30) and symmetrisation.

For ``M = W_Q^T W_K``: ``M_S = (M + M^T) / 2``, ``M_A = (M - M^T) / 2`` and
the dimensionless asymmetry index ``Q = ||M_A||_F / ||M||_F`` in [0, 1]
(0 for symmetric attention, ``W_Q = W_K``). Symmetrising means
``M -> M_S``, which removes the architectural source ``{C, M_A}`` of the
antisymmetric drift Jacobian (Eq. 22).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pathspace._errors import PathspaceError

__all__ = ["query_key_matrix", "asymmetry_index", "split_query_key", "symmetrize"]


def _as_square(M: Any, name: str = "M") -> np.ndarray:
    if hasattr(M, "detach"):
        M = M.detach().cpu().numpy()
    M = np.asarray(M, dtype=np.float64)
    if M.ndim < 2 or M.shape[-1] != M.shape[-2]:
        raise PathspaceError(
            f"{name}: expected a square matrix (or a stack of them, one per "
            f"head), got shape {M.shape}"
        )
    if not np.all(np.isfinite(M)):
        raise PathspaceError(f"{name}: found NaN or inf entries")
    return M


def query_key_matrix(W_Q: Any, W_K: Any) -> np.ndarray:
    """``M = W_Q^T W_K`` for projections of shape (..., d_k, d) each."""
    W_Q = np.asarray(getattr(W_Q, "detach", lambda: W_Q)(), dtype=np.float64)
    W_K = np.asarray(getattr(W_K, "detach", lambda: W_K)(), dtype=np.float64)
    if W_Q.shape != W_K.shape or W_Q.ndim < 2:
        raise PathspaceError(
            "W_Q, W_K: expected two matrices of the same shape (d_k, d), got "
            f"{W_Q.shape} and {W_K.shape}"
        )
    return np.swapaxes(W_Q, -1, -2) @ W_K


def split_query_key(M: Any) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric and antisymmetric parts ``(M_S, M_A)`` of ``M``."""
    M = _as_square(M)
    Mt = np.swapaxes(M, -1, -2)
    return 0.5 * (M + Mt), 0.5 * (M - Mt)


def asymmetry_index(
    M: Any = None, *, W_Q: Any = None, W_K: Any = None
) -> np.ndarray | float:
    """Query-key asymmetry ``Q = ||M_A||_F / ||M||_F`` (Eq. 30).

    Give either ``M`` (shape (d, d) or (n_heads, d, d)) or both ``W_Q`` and
    ``W_K``. Returns a float for one matrix, an array for a stack.
    """
    if M is None:
        if W_Q is None or W_K is None:
            raise PathspaceError("asymmetry_index: give M, or both W_Q and W_K")
        M = query_key_matrix(W_Q, W_K)
    M = _as_square(M)
    _, M_A = split_query_key(M)
    norm = np.linalg.norm(M, axis=(-2, -1))
    if np.any(norm == 0):
        raise PathspaceError("asymmetry_index: M is zero; Q is undefined")
    Q = np.linalg.norm(M_A, axis=(-2, -1)) / norm
    return float(Q) if np.ndim(Q) == 0 else Q


def symmetrize(M: Any = None, *, W_Q: Any = None, W_K: Any = None) -> np.ndarray:
    """The symmetrised query-key matrix ``(M + M^T) / 2``.

    With ``W_Q`` and ``W_K`` this is ``(W_Q^T W_K + W_K^T W_Q) / 2``.
    """
    if M is None:
        if W_Q is None or W_K is None:
            raise PathspaceError("symmetrize: give M, or both W_Q and W_K")
        M = query_key_matrix(W_Q, W_K)
    return split_query_key(M)[0]
