"""The collector's named errors, mapped to HTTP answers in one place (``app.py``).

CanhError
 ├── ApiError(status, reason)      a request refused with a clear 4xx/5xx
 └── StoreUnavailable              the database cannot commit (disk full, locked): 503
"""

from __future__ import annotations


class CanhError(Exception):
    """Base of the collector's errors."""


class ApiError(CanhError):
    """A request refused: HTTP status, a stable reason code, and a message saying what to do."""

    def __init__(
        self, status: int, reason: str, message: str, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message
        self.retry_after = retry_after


class StoreUnavailable(CanhError):
    """The store could not commit; nothing was written."""
