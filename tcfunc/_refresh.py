"""Moved to :mod:`tcfunc._providers._refresh`; these names stay importable from here."""

from __future__ import annotations

from ._providers._refresh import (
    DEFAULT_ADVISORY_SECONDS,
    DEFAULT_MANDATORY_SECONDS,
    DEFAULT_RETRY_DELAY,
    Flight,
    RefreshingCredential,
    SingleFlight,
    as_sdk_error,
    copy_error,
)

__all__ = [
    "DEFAULT_ADVISORY_SECONDS",
    "DEFAULT_MANDATORY_SECONDS",
    "DEFAULT_RETRY_DELAY",
    "Flight",
    "RefreshingCredential",
    "SingleFlight",
    "as_sdk_error",
    "copy_error",
]
