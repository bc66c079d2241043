"""``python -m tcfunc.testing``: run the local API emulator until Ctrl-C."""

from __future__ import annotations

import sys

from .emulator import main

if __name__ == "__main__":
    sys.exit(main())
