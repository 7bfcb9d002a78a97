"""Run ExoDesk with ``python -m exodesk``."""

from __future__ import annotations

import sys

from exodesk.app import main

if __name__ == "__main__":
    sys.exit(main())
