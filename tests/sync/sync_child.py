"""Run one sync in a child process (the kill-and-resume test kills it mid-way).

Usage: python sync_child.py '<json arguments>'
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import timedelta

from unified_accounting import AsyncClient
from unified_accounting.sync import SyncOptions, SyncService


async def main(arguments: dict[str, object]) -> None:
    settings = dict(arguments["settings"])  # type: ignore[call-overload]
    async with AsyncClient(
        providers={str(arguments["provider"]): settings},
        environ={},
        database_url=str(arguments["database_url"]),
        secret_key=str(arguments["secret_key"]),
    ) as client:
        conn = await client.connection(
            consumer_id=str(arguments["consumer"]), provider=str(arguments["provider"])
        )
        options = SyncOptions(
            page_size=int(arguments["page_size"]),  # type: ignore[call-overload]
            resources=tuple(arguments["resources"]) if "resources" in arguments else None,  # type: ignore[arg-type]
            # A short lease: the parent resumes soon after killing this process.
            lease_ttl=timedelta(seconds=float(arguments["lease_ttl"])),  # type: ignore[arg-type]
        )
        await SyncService(client, options).sync(conn)


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1])))
