"""Run the Xero emulator as a local HTTP server: ``python -m unified_accounting_xero.emulator --port 8765``.

Point a client's identity and API base URLs at the printed address.  Only a few options are exposed on the
command line; build the app with ``create_emulator(**options)`` for the rest.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from .app import create_emulator
from .options import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Local Xero emulator (identity + Accounting API).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=1, help="seed for sample data (default 1)")
    parser.add_argument("--tenants", type=int, default=1, help="number of organisations")
    parser.add_argument("--invoices", type=int, default=100)
    parser.add_argument("--contacts", type=int, default=25)
    parser.add_argument("--no-rate-limits", action="store_true")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args(argv)
    app = create_emulator(
        seed=args.seed,
        tenants=args.tenants,
        invoices=args.invoices,
        contacts=args.contacts,
        rate_limits=not args.no_rate_limits,
        latency_ms=args.latency_ms,
        redirect_uris=[
            f"http://{args.host}:{args.port}/callback",
            "http://localhost:8000/callback",
            "http://127.0.0.1:8000/callback",
        ],
    )
    import uvicorn

    print(f"Xero emulator on http://{args.host}:{args.port}  client_id={DEFAULT_CLIENT_ID}")
    print(f"client_secret={DEFAULT_CLIENT_SECRET}")
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
