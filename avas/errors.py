"""One root exception; callers catch the subclass they can handle.

try: service.ingest(path)
except InputError as e: print(e)  # names the bad input
"""

from __future__ import annotations


class AvasError(Exception):
    """Root of every error AVAS raises on purpose."""

    exit_code = 1


class InputError(AvasError):
    """Bad user input: a file, a URL, a question, an id. The message names the input."""

    exit_code = 2


class NotFoundError(InputError):
    """An id (video, event) that the store does not hold."""


class DependencyError(AvasError):
    """A tool, package extra or model that this configuration needs is missing."""

    exit_code = 3


class StoreError(AvasError):
    """The graph store cannot be opened or is inconsistent."""

    exit_code = 4
