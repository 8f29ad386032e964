"""The blocking Client is generated from AsyncClient: same surface, same behaviour, no hand-kept copy."""

from __future__ import annotations

import inspect
import threading
from typing import Any

import httpx
import pytest
from ua_ledgerly.emulator import LedgerlyEmulator

from unified_accounting import AsyncClient, Client, Customer
from unified_accounting.client import (
    AsyncAttachments,
    AsyncConnection,
    AsyncPager,
    AsyncReports,
    AsyncResource,
    Attachments,
    Connection,
    Pager,
    Reports,
    Resource,
)

from .conftest import LEDGERLY


def public(cls: type) -> set[str]:
    """Public members, and public attributes declared by annotation (set by ``__init__``)."""
    annotated = {name for klass in cls.__mro__ for name in vars(klass).get("__annotations__", {})}
    members = {name for name, _ in inspect.getmembers_static(cls)}
    return {name for name in members | annotated if not name.startswith("_")}


@pytest.mark.parametrize(
    ("async_cls", "sync_cls", "only_sync", "only_async"),
    [
        (AsyncClient, Client, {"close"}, {"aclose", "database"}),  # the database handle is async only
        (AsyncConnection, Connection, set(), set()),
        (AsyncResource, Resource, set(), set()),
        (AsyncPager, Pager, set(), set()),
        (AsyncReports, Reports, set(), set()),
        (AsyncAttachments, Attachments, set(), set()),
    ],
)
def test_sync_surface_matches_async(
    async_cls: type, sync_cls: type, only_sync: set[str], only_async: set[str]
) -> None:
    assert public(sync_cls) - only_sync == public(async_cls) - only_async


def test_signatures_and_docs_carry_over() -> None:
    assert inspect.signature(Resource.update) == inspect.signature(AsyncResource.update)
    assert Resource.update.__doc__ == AsyncResource.update.__doc__
    blocking, source = (
        inspect.signature(Client.import_connection),
        inspect.signature(AsyncClient.import_connection),
    )
    assert blocking.parameters == source.parameters
    assert (source.return_annotation, blocking.return_annotation) == ("AsyncConnection", "Connection")


@pytest.fixture
def sync_client(ledgerly_app: Any) -> Any:
    with Client(
        providers={"ledgerly": LEDGERLY}, transport=httpx.ASGITransport(app=ledgerly_app), environ={}
    ) as client:
        yield client


def test_blocking_round_trip(sync_client: Client, emulator: LedgerlyEmulator) -> None:
    issued = emulator.issue_tokens()
    conn = sync_client.import_connection(
        consumer_id="acme", provider="ledgerly", company_id="c-1", access_token=issued["access_token"]
    )
    assert isinstance(conn, Connection) and isinstance(conn.invoices, Resource)
    assert conn.invoices is conn.invoices  # cached like the async property
    created = conn.customers.create(Customer(display_name="Blocking Ltd"))
    assert conn.customers.get(created.id).display_name == "Blocking Ltd"
    for i in range(3):
        conn.customers.create({"display_name": f"Extra {i}"})
    pager = conn.customers.list(page_size=2)
    assert isinstance(pager, Pager)
    assert [c.display_name for c in pager][:2] == ["Blocking Ltd", "Extra 0"]
    assert [len(page.items) for page in conn.customers.list(page_size=2).pages()] == [2, 2]
    assert sync_client.connection(consumer_id="acme", provider="ledgerly").key == conn.key
    assert len(sync_client.connections(consumer_id="acme")) == 1


def test_work_runs_on_the_clients_loop_thread(sync_client: Client, emulator: LedgerlyEmulator) -> None:
    from unified_accounting import hookimpl

    threads: list[str] = []

    class Spy:
        @hookimpl
        def ua_before_request(self) -> None:
            threads.append(threading.current_thread().name)

    sync_client._target.plugin_manager.register(Spy())
    issued = emulator.issue_tokens()
    conn = sync_client.import_connection(
        consumer_id="acme", provider="ledgerly", company_id="c-1", access_token=issued["access_token"]
    )
    conn.customers.list().to_list()
    assert threads == ["unified-accounting"]


def test_close_is_idempotent_and_errors_propagate(ledgerly_app: Any) -> None:
    client = Client(
        providers={"ledgerly": LEDGERLY}, transport=httpx.ASGITransport(app=ledgerly_app), environ={}
    )
    from unified_accounting import ConfigurationError

    with pytest.raises(ConfigurationError):
        client.connection(consumer_id="nobody", provider="ledgerly")
    client.close()
    client.close()


def test_constructor_errors_surface_in_the_caller() -> None:
    from unified_accounting import ConfigurationError

    with pytest.raises(ConfigurationError, match="max_retries"):
        Client(max_retries=-1)
