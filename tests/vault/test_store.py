"""The vault store: durable records, consumer isolation, encryption at rest, keys, shared grants."""

from __future__ import annotations

import asyncio
import contextlib
import stat
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from unified_accounting import ConfigurationError, ConnectionHealth, ConnectionKey, ConnectionRecord, TokenSet
from unified_accounting.vault import VaultKeyError, VaultStore, new_key, open_vault

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def record(
    consumer: str = "acme", company: str = "c-1", access: str = "at-1", refresh: str = "rt-1"
) -> ConnectionRecord:
    return ConnectionRecord(
        consumer_id=consumer,
        provider="ledgerly",
        company_id=company,
        company_name="Company " + company,
        environment="sandbox",
        tokens=TokenSet(
            access_token=SecretStr(access),
            refresh_token=SecretStr(refresh),
            expires_at=NOW,
            refresh_token_expires_at=NOW + timedelta(days=100),
            hard_expires_at=NOW + timedelta(days=5 * 365),
            scopes=("books", "reports"),
        ),
        metadata={"connection_id": "x-1"},
    )


async def test_a_record_survives_a_new_store(database_url: str, secret_key: str) -> None:
    first = open_vault(database_url, secret_key, environ={})
    saved = record()
    await first.save(saved)
    await first.close()
    second = open_vault(database_url, secret_key, environ={})
    loaded = await second.get(saved.key)
    await second.close()
    assert loaded is not None
    assert loaded.tokens.access_token.get_secret_value() == "at-1"
    assert (
        loaded.tokens.refresh_token is not None and loaded.tokens.refresh_token.get_secret_value() == "rt-1"
    )
    assert loaded.tokens.expires_at == NOW and loaded.reauthorize_by == NOW + timedelta(days=100)
    assert loaded.tokens.scopes == ("books", "reports")
    assert (loaded.environment, loaded.company_name, loaded.metadata) == (
        "sandbox",
        "Company c-1",
        {"connection_id": "x-1"},
    )
    assert "at-1" not in repr(loaded) and "rt-1" not in repr(loaded)


async def test_one_company_under_two_consumers_never_mixes(database_url: str, secret_key: str) -> None:
    store = open_vault(database_url, secret_key, environ={})
    await store.save(record("a", "shared", "at-a", "rt-a"))
    await store.save(record("b", "shared", "at-b", "rt-b"))
    await store.save(record("a", "second", "at-a2", "rt-a2"))
    a = await store.get(ConnectionKey("a", "ledgerly", "shared"))
    b = await store.get(ConnectionKey("b", "ledgerly", "shared"))
    assert a is not None and b is not None
    assert a.tokens.access_token.get_secret_value() == "at-a"
    assert b.tokens.access_token.get_secret_value() == "at-b"
    assert [r.company_id for r in await store.list(consumer_id="a")] == ["second", "shared"]
    assert [r.company_id for r in await store.list(consumer_id="b")] == ["shared"]
    await store.delete(ConnectionKey("b", "ledgerly", "shared"))
    assert await store.get(ConnectionKey("b", "ledgerly", "shared")) is None
    assert await store.get(ConnectionKey("a", "ledgerly", "shared")) is not None
    await store.close()


async def test_companies_of_one_consent_share_their_tokens(database_url: str, secret_key: str) -> None:
    store = open_vault(database_url, secret_key, environ={})
    first, second = record(company="org-1"), record(company="org-2")
    await store.save(first)
    await store.save(second)
    rotated = first.tokens.model_copy(
        update={"access_token": SecretStr("at-2"), "refresh_token": SecretStr("rt-2")}
    )
    await store.save(first.model_copy(update={"tokens": rotated}))
    sibling = await store.get(second.key)
    assert sibling is not None and sibling.tokens.refresh_token == SecretStr("rt-2")
    await store.delete(first.key)
    sibling = await store.get(second.key)
    assert sibling is not None and sibling.tokens.access_token == SecretStr("at-2")
    await store.close()


async def test_tokens_are_never_written_in_plain_text(
    sqlite_url: str, secret_key: str, tmp_path: Path
) -> None:
    store = open_vault(sqlite_url, secret_key, environ={})
    access, refresh = "AT-" + "x1y2z3" * 8, "RT-" + "q9w8e7" * 8
    await store.save(record(access=access, refresh=refresh))
    verifier = "VERIFIER-" + "k" * 50
    await store.create_state(
        consumer_id="acme", provider="ledgerly", redirect_uri="http://localhost/cb", code_verifier=verifier
    )
    while_open = _contents(tmp_path)  # the WAL file exists only while the store is open
    await store.close()
    for name, content in [*while_open, *_contents(tmp_path)]:
        for secret in (access, refresh, verifier, secret_key):
            assert secret.encode() not in content, f"{name} holds a secret in plain text"


def _contents(directory: Path) -> list[tuple[str, bytes]]:
    found = [
        (p.name, p.read_bytes())
        for p in sorted(directory.glob("vault.sqlite3*"))
        if not p.name.endswith(".key")
    ]
    assert found
    return found


async def test_the_embedded_default_creates_an_owner_only_key_file(tmp_path: Path) -> None:
    environ = {"UA_DATA_DIR": str(tmp_path / "data")}
    store = open_vault(environ=environ)
    await store.save(record())
    await store.close()
    key_file = tmp_path / "data" / "vault.sqlite3.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "data" / "vault.sqlite3").stat().st_mode) == 0o600
    again = open_vault(environ=environ)
    assert (await again.get(record().key)) is not None
    await again.close()
    key_file.chmod(0o644)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        await open_vault(environ=environ).start()


async def test_a_wrong_key_is_refused_and_rotation_re_encrypts(database_url: str) -> None:
    old, new = new_key(), new_key()
    store = open_vault(database_url, old, environ={})
    await store.save(record())
    await store.close()
    with pytest.raises(VaultKeyError, match="another key"):
        await open_vault(database_url, new, environ={}).start()
    rotating = open_vault(database_url, f"{new},{old}", environ={})
    assert await rotating.rotate_keys() == 1
    await rotating.close()
    rotated = open_vault(database_url, new, environ={})
    loaded = await rotated.get(record().key)
    assert loaded is not None and loaded.tokens.access_token == SecretStr("at-1")
    await rotated.close()
    with pytest.raises(VaultKeyError):
        await open_vault(database_url, old, environ={}).start()


async def test_short_keys_and_server_databases_without_key_are_refused(postgres_url: str) -> None:
    with pytest.raises(ConfigurationError, match="UA_SECRET_KEY"):
        open_vault(postgres_url, environ={})
    with pytest.raises(ConfigurationError, match="at least 32"):
        await VaultStore("sqlite://", keys=["short"]).start()
    with pytest.raises(ConfigurationError, match="sqlite:///PATH and postgresql"):
        VaultStore("mysql://x/y", keys=[new_key()])


async def test_a_long_passphrase_works_as_a_key(sqlite_url: str) -> None:
    store = open_vault(sqlite_url, "correct horse battery staple and then some more", environ={})
    await store.save(record())
    assert (await store.get(record().key)) is not None
    await store.close()


async def test_health_and_last_error_are_kept(database_url: str, secret_key: str) -> None:
    store = open_vault(database_url, secret_key, environ={})
    broken = record().model_copy(
        update={"health": ConnectionHealth.NEEDS_REAUTH, "last_error": "invalid_grant"}
    )
    await store.save(broken)
    loaded = await store.get(broken.key)
    assert loaded is not None and (loaded.health, loaded.last_error) == (
        ConnectionHealth.NEEDS_REAUTH,
        "invalid_grant",
    )
    await store.close()


async def test_two_stores_starting_at_once_migrate_once(database_url: str, secret_key: str) -> None:
    import asyncio

    stores = [open_vault(database_url, secret_key, environ={}) for _ in range(2)]
    await asyncio.gather(*(s.start() for s in stores))
    await stores[0].save(record())
    assert await stores[1].get(record().key) is not None
    for store in stores:
        await store.close()


async def test_reads_of_one_connection_end_in_the_order_they_were_asked(
    database_url: str, secret_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each request of a connection reads its tokens first; requests asked for in order must meet
    # the rate limiter in that order, so their reads must not overtake one another.
    store = open_vault(database_url, secret_key, environ={})
    saved = record()
    await store.save(saved)
    db = await store.start()
    delays = iter([0.05, 0.04, 0.03, 0.02, 0.01])  # each later read would be answered sooner
    real_read = type(db).read

    @contextlib.asynccontextmanager
    async def slow_read(self: Any, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        await asyncio.sleep(next(delays, 0))
        async with real_read(self, *args, **kwargs) as conn:
            yield conn

    monkeypatch.setattr(type(db), "read", slow_read)
    ended: list[int] = []

    async def get(index: int) -> None:
        assert await store.get(saved.key) is not None
        ended.append(index)

    await asyncio.gather(*(get(index) for index in range(5)))
    await store.close()
    assert ended == [0, 1, 2, 3, 4]
