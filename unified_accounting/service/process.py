"""The worker of ``ua serve``, in a process of its own beside the receiver.

A webhook receiver must answer within a provider's deadline (QuickBooks: 3 s; a slow endpoint gets
disabled), while a worker fetching and applying records spends several times more CPU per event
than the receiver spends per delivery. On one event loop, every millisecond the worker computes
is a millisecond no delivery is answered; in one process, the two share one interpreter lock. So
``ua serve`` runs its worker as a child process, at a lower CPU priority (``nice``), which the
operating system schedules behind the receiver:

* on SQLite, the child runs the embedded runner, which polls the inbox every
  :data:`POLL_INTERVAL` seconds (the receiver's inbox rows are the queue);
* on PostgreSQL, it runs a procrastinate worker (the receiver defers jobs in its transaction).

The child ends with the server, and on its own if the server dies without stopping it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
from multiprocessing.process import BaseProcess

from ..client.async_client import AsyncClient
from ..sync.collector import bulk_collection
from .app import runner_for
from .embedded import EmbeddedRunner

#: Seconds between the embedded worker's looks at the inbox.
POLL_INTERVAL = 0.5
#: How much lower the worker's CPU priority is than the receiver's (``nice`` increment).
NICENESS = 10
#: Seconds between the child's checks that its parent is alive.
_PARENT_CHECK = 1.0
#: Seconds a stopping worker has to finish its job; then it exits anyway (its transactions are
#: atomic: an unfinished job's events stay pending and are processed later).
STOP_GRACE = 8.0


def start_worker_process(database_url: str | None, *, niceness: int = NICENESS) -> BaseProcess:
    """Start the worker of ``ua serve`` (see the module docstring) and return its process."""
    context = multiprocessing.get_context("spawn")
    process = context.Process(
        target=_run, args=(database_url, os.getpid(), niceness), name="ua-worker", daemon=True
    )
    process.start()
    return process


def stop_worker_process(process: BaseProcess, timeout: float = STOP_GRACE + 2) -> None:
    """Stop the worker (it finishes the statement it is in: its transactions are short)."""
    if process.is_alive():
        process.terminate()
        process.join(timeout)
        if process.is_alive():
            process.kill()
            process.join()


def _run(database_url: str | None, parent: int, niceness: int) -> None:  # pragma: no cover - child
    if niceness:
        with contextlib.suppress(OSError):
            os.nice(niceness)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
        work = asyncio.create_task(_work(database_url))
        watch = asyncio.create_task(_watch_parent(parent, stop))
        ended = asyncio.create_task(stop.wait())
        await asyncio.wait({work, ended}, return_when=asyncio.FIRST_COMPLETED)
        for task in (work, watch, ended):
            task.cancel()
        _, late = await asyncio.wait({work, watch, ended}, timeout=STOP_GRACE)
        if late:
            logging.getLogger(__name__).warning("the worker did not stop within %ss: exiting", STOP_GRACE)
            os._exit(1)

    with bulk_collection():  # a worker's syncs are bulk work (see unified_accounting.sync.collector)
        asyncio.run(main())


async def _watch_parent(parent: int, stop: asyncio.Event) -> None:
    # Polled: no event tells a process that its parent died (it is re-parented, silently).
    while os.getppid() == parent:  # noqa: ASYNC110
        await asyncio.sleep(_PARENT_CHECK)
    stop.set()  # the server is gone (killed without stopping us): so is our reason to run


async def _work(database_url: str | None) -> None:
    async with AsyncClient(database_url=database_url) as client:
        runner = runner_for(client)
        if isinstance(runner, EmbeddedRunner):
            runner.poll_interval = POLL_INTERVAL
            async with runner:
                await asyncio.Event().wait()
        else:
            try:
                await runner.run_worker()
            finally:
                await runner.close()
