"""``ua demo``: the whole promise on one machine in under a minute, with nothing to install.

Both provider emulators run on loopback; a demo consumer connects to each through the real OAuth
flow into an embedded (SQLite) vault in a temporary folder; the same product code bills, collects
and edits an invoice on both; a sync fills the local mirror; a signed webhook from each emulator
triggers the incremental sync that brings the mirror up to date.
"""

from .scenario import run_demo

__all__ = ["run_demo"]
