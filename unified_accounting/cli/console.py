"""Where commands print to."""

from __future__ import annotations

from rich.console import Console


def console() -> Console:
    """A console for one command's output, sized by the terminal (or ``COLUMNS``) at that moment:
    a console made once at import would keep the width of whatever ran first."""
    return Console()
