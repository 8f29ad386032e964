"""One OS process of the two-process refresh test (run as a script, not collected by pytest).

Arguments: DATABASE_URL SECRET_KEY BASE_URL CALLS. Prints ``ready``, waits for a line on stdin,
then makes CALLS concurrent API calls on the expired connection and prints a JSON summary.
"""

from __future__ import annotations

import asyncio
import json
import sys

from unified_accounting import AsyncClient, UnifiedAccountingError


async def main(database_url: str, secret_key: str, base_url: str, calls: int) -> None:
    settings = {"client_id": "ledgerly-client", "client_secret": "ledgerly-secret", "base_url": base_url}
    async with AsyncClient(
        providers={"ledgerly": settings}, database_url=database_url, secret_key=secret_key, environ={}
    ) as client:
        conn = await client.connection(consumer_id="acme", provider="ledgerly")
        await conn.record()  # opens the vault before the race starts
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)

        async def call() -> str:
            try:
                await conn.customers.list().to_list()
            except UnifiedAccountingError as exc:
                return f"{type(exc).__name__}: {exc}"
            return "ok"

        results = await asyncio.gather(*(call() for _ in range(calls)))
        print(
            json.dumps({"ok": results.count("ok"), "errors": sorted({r for r in results if r != "ok"})}),
            flush=True,
        )


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
