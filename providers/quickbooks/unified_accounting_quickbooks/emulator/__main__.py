"""Run the emulator as a local server: ``python -m unified_accounting_quickbooks.emulator --port 8765``.

``--help`` lists the flags (the same as ``ua sandbox quickbooks``).
"""

from __future__ import annotations

from unified_accounting.emulation.command import main

from .command import COMMAND

if __name__ == "__main__":
    raise SystemExit(main(COMMAND, prog="python -m unified_accounting_quickbooks.emulator"))
