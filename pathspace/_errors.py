"""Errors and warnings shared by every layer of pathspace.

User-facing problems (bad input, an unsupported combination) raise
:class:`PathspaceError`, whose message is one line: what was expected, what
was found, and how to fix it. The command line prints that line and exits
non-zero without a traceback.
"""

from __future__ import annotations


class PathspaceError(ValueError):
    """Invalid input or an unsupported request, described in one line."""


class PathspaceWarning(UserWarning):
    """Something the caller can change (more data, other bins, longer runs)."""


class UnderSampledWarning(PathspaceWarning):
    """An estimate rests on too few samples to be trusted at face value."""


class ConvergenceWarning(PathspaceWarning):
    """An iterative solver stopped before meeting its tolerance."""
