"""The ``ua`` command line (``ua = "unified_accounting.cli:main"``)."""

from .app import build_app, main

__all__ = ["build_app", "main"]
