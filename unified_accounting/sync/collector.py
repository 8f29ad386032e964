"""Garbage collection for bulk work: a sync of many records in a process of its own.

CPython's cyclic collector starts a young-generation pass every 700 allocations of container
objects, and now and then a full pass over every object it tracks. A sync keeps several decoded
pages alive at once (fetched ahead while the one before is written): tens of thousands of records,
each a tree of models, dicts and lists. Each full pass walks all of them, and every record's values
with them, so on a sync of 100,000 QuickBooks invoices the collector took a quarter of the
process's CPU — more than decoding — without finding anything to free: records hold no cycles,
reference counting frees them.

:func:`bulk_collection` lowers that cost for the duration of a block: what exists when it starts
(modules, the client, its engine) is moved out of the collector's passes (``gc.freeze``), and
young-generation passes start every ``threshold`` allocations instead of every 700. Cycles are
still collected, later. On exit the previous thresholds come back, and the objects it froze are
collected again as usual (objects frozen before it began stay frozen).

``ua sync`` and ``ua worker`` run inside it. A program that runs large syncs in a process of its
own can do the same::

    with bulk_collection():
        await service.sync(connection)

It changes the whole interpreter's collector (there is one per process): in a process that
serves other work at the same time, measure before using it.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

#: Container allocations between young-generation passes inside :func:`bulk_collection`
#: (CPython's default is 700). At 50,000 a sync's collector CPU fell to about that of no
#: collection at all on the benchmarks of ``docs/performance.md``.
BULK_THRESHOLD = 50_000


@contextlib.contextmanager
def bulk_collection(threshold: int = BULK_THRESHOLD) -> Iterator[None]:
    """Collect garbage less often, and never walk what already exists, inside the block (see the
    module docstring)."""
    if threshold < 1:
        raise ValueError(f"threshold must be a positive number of allocations, not {threshold}")
    previous = gc.get_threshold()
    # Objects frozen before (by ``ua serve``'s start-up, an enclosing block) stay frozen after.
    owns_freeze = gc.get_freeze_count() == 0
    gc.freeze()
    gc.set_threshold(threshold, *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        if owns_freeze:
            gc.unfreeze()
