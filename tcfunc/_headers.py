"""The one case-insensitive header lookup, for any mapping of header names.

Standard library only and no imports, so the pure modules (request, response,
verify, sse) and the transports share it at no cost.
"""

from __future__ import annotations

from typing import Mapping, Optional

__all__ = ["header_value"]


def header_value(headers: Mapping[str, str], name: str) -> Optional[str]:
    """``headers[name]`` ignoring case, for any mapping (None when absent).

    An exact-case hit costs one dictionary lookup (and a case-insensitive
    mapping such as :class:`tcfunc.transport.Headers` answers it for any
    case); otherwise the names are compared lower-cased. With two names that
    differ only in case, the exact spelling wins, then the first in order.
    """
    value = headers.get(name)
    if value is None:
        lower = name.lower()
        for key, val in headers.items():
            if key.lower() == lower:
                return val
    return value
