"""Run the Xero emulator as a local HTTP server: ``python -m unified_accounting_xero.emulator --port 8765``.

Point a client's ``base_url`` at the printed address.  ``--help`` lists the flags (the same as
``ua sandbox xero``); ``-o NAME=VALUE`` sets any other option.
"""

from __future__ import annotations

from unified_accounting.emulation.command import main

from .command import COMMAND

if __name__ == "__main__":
    raise SystemExit(main(COMMAND, prog="python -m unified_accounting_xero.emulator"))
