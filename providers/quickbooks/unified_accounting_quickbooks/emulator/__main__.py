"""Run the emulator as a local server: ``python -m unified_accounting_quickbooks.emulator --port 8765``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Local QuickBooks Online emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=1, help="sample-data seed (-1 for empty companies)")
    parser.add_argument("--customers", type=int, default=25)
    parser.add_argument("--items", type=int, default=10)
    parser.add_argument("--invoices", type=int, default=60)
    parser.add_argument("--realms", type=int, default=1, help="number of companies")
    parser.add_argument("--no-limits", action="store_true", help="disable throttling")
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument("--webhook-url", default=None)
    args = parser.parse_args(argv)

    import uvicorn

    from .app import create_emulator

    app = create_emulator(
        seed=None if args.seed < 0 else args.seed,
        customers=args.customers,
        items=args.items,
        invoices=args.invoices,
        realms=args.realms,
        limits=not args.no_limits,
        latency_ms=args.latency_ms,
        webhook_url=args.webhook_url,
        webhook_delay_s=1.0 if args.webhook_url else None,
    )
    emulator = app.state.emulator
    print(
        f"QuickBooks emulator on http://{args.host}:{args.port}  companies: {', '.join(emulator.realm_ids)}"
    )
    print(f"client_id={emulator.options.client_id} client_secret={emulator.options.client_secret}")
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
