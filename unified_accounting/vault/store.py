"""``VaultStore``: the durable, encrypted :class:`~unified_accounting.connections.ConnectionStore`.

Connections live in ``ua_connections`` keyed by (consumer, provider, company); their access and
refresh tokens are Fernet ciphertexts. ``refresh_lock`` is single-flight per grant (token set):
across tasks through an ``asyncio.Lock`` per grant, across threads and processes through a lease on
the grant's row — a conditional ``UPDATE`` takes it when it is free, expired or already the
caller's (the pattern of :mod:`unified_accounting.sync.lease`). Every write is a unit of work of
the vault's :class:`~unified_accounting.storage.database.Database`, which a cancellation cannot cut
short. No transaction stays open while the lease is held: the call to the provider's token
endpoint holds no database lock, so other writers (a webhook, another connection's save) go on
meanwhile. The holder renews the lease while it is
alive; one that dies loses it after ``refresh_lease_ttl``. Saving the refreshed tokens releases the
lease in the same ``UPDATE`` that writes them, committed before anything else happens.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import hashlib
import json
import logging
import os
import secrets
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import Row, and_, case, delete, null, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..connections import ConnectionHealth, ConnectionKey, ConnectionRecord
from ..errors import ConfigurationError, ProviderUnavailable
from ..storage.database import Database
from ..storage.urls import async_database_url, check_sqlite_directory, sqlite_path
from ..tokens import TokenSet
from .crypto import TokenCipher, VaultKeyError, load_or_create_key_file
from .schema import connections, consumers, grants, oauth_states, vault_meta
from .states import (
    STATE_LIFETIME,
    InvalidState,
    PendingAuthorization,
    StateProblem,
    check_state,
    state_hash,
)

logger = logging.getLogger(__name__)

_KEY_CHECK = "key_check"
_KEY_CHECK_TEXT = "unified-accounting vault"
MAX_ID_LENGTH = 255
#: How long a refresh lease outlives a holder that died; a live holder renews it every third.
REFRESH_LEASE_TTL = timedelta(seconds=30)
#: How long a caller waits for another process's refresh of the same grant before giving up.
REFRESH_WAIT = timedelta(minutes=2)


@dataclass
class _RefreshLease:
    """A lease this task holds on a grant's row (``refresh_owner`` = ``owner``)."""

    grant_id: int
    owner: str
    released: bool = False


def _check_id(name: str, value: str) -> None:
    if not value or len(value) > MAX_ID_LENGTH:
        raise ConfigurationError(f"{name} must be 1 to {MAX_ID_LENGTH} characters, got {value!r}")


class VaultStore:
    """Connections and OAuth states in a SQL database (SQLite or PostgreSQL), secrets encrypted.

    ``url`` is a plain ``sqlite:///PATH`` or ``postgresql://...`` URL; ``keys`` the secret keys,
    newest first (see :mod:`unified_accounting.vault.crypto`). Nothing touches the database until
    the first call, which opens it (migrating every installed schema: the mirror, sync state and
    webhook inbox live beside the connections) and checks the key. A store belongs to the event
    loop that first uses it (the blocking ``Client`` keeps all its work on one loop).
    """

    def __init__(
        self,
        url: str,
        *,
        keys: Sequence[str] = (),
        key_file: Path | None = None,
        create_directory: bool = False,
    ) -> None:
        if not keys and key_file is None:
            raise ConfigurationError("VaultStore needs secret keys or a key file")
        self.url = async_database_url(url)
        # Only the embedded vault's own data directory is created; a SQLite path the user gave
        # must exist, or a typo would create directories wherever the program runs.
        self._create_directory = create_directory
        # Keys are checked, and a key file read or created, when the store starts (first use).
        self._keys = tuple(keys)
        self._key_file = key_file
        self._cipher_or_none: TokenCipher | None = None
        self._db: Database | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._starting: asyncio.Lock | None = None
        self._local_locks: dict[object, asyncio.Lock] = {}
        self._reads: dict[ConnectionKey, asyncio.Lock] = {}
        #: How long a refresh lease outlives a holder that died (renewed every third while alive).
        self.refresh_lease_ttl = REFRESH_LEASE_TTL
        #: How long ``refresh_lock`` waits for another process's refresh before giving up.
        self.refresh_wait = REFRESH_WAIT
        # The refresh lease the current task holds through refresh_lock, if any.
        self._lease: contextvars.ContextVar[_RefreshLease | None] = contextvars.ContextVar(
            f"ua_vault_lease_{id(self)}", default=None
        )

    def __repr__(self) -> str:
        dialect = self.url.split(":", 1)[0]
        return f"<VaultStore {dialect}>"

    @property
    def dialect(self) -> str:
        return "sqlite" if self.url.startswith("sqlite") else "postgresql"

    # ---------------------------------------------------------------------------------- start-up

    async def start(self) -> Database:
        """Open the database, migrate its schemas and check the secret key (once; then a no-op).

        Returns the database, where the other packages keep their tables too."""
        loop = asyncio.get_running_loop()
        if self._db is not None:
            if loop is not self._loop:
                raise ConfigurationError(
                    "this vault store is used from a second event loop: create one store (one "
                    "AsyncClient) per event loop, or use the blocking Client, which keeps one loop"
                )
            return self._db
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            if self._db is None:
                database_file = sqlite_path(self.url)
                if database_file is not None and self._create_directory:
                    database_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                check_sqlite_directory(self.url)
                if self._cipher_or_none is None:
                    keys = self._keys
                    if not keys and self._key_file is not None:
                        keys = (load_or_create_key_file(self._key_file),)
                    self._cipher_or_none = TokenCipher(keys)
                db = await Database.open(self.url)
                try:
                    await self._check_key(db)
                except BaseException:
                    await db.dispose()
                    raise
                self._restrict_file_modes()
                self._db, self._loop = db, loop
        assert self._db is not None
        return self._db

    def _restrict_file_modes(self) -> None:
        """Make an embedded database file (and its WAL companions) readable by its owner only."""
        database_file = sqlite_path(self.url)
        if database_file is None:
            return
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                os.chmod(f"{database_file}{suffix}", 0o600)

    async def _check_key(self, db: Database) -> None:
        async def read_or_set(conn: AsyncConnection) -> str | None:
            stored = (
                await conn.execute(select(vault_meta.c.value).where(vault_meta.c.name == _KEY_CHECK))
            ).scalar_one_or_none()
            if stored is None:
                await conn.execute(
                    db.insert(vault_meta)
                    .values(name=_KEY_CHECK, value=self._cipher.encrypt(_KEY_CHECK_TEXT))
                    .on_conflict_do_nothing()
                )
            return stored

        stored = await db.transaction(read_or_set)
        if stored is None:
            return
        try:
            self._cipher.decrypt(stored)
        except VaultKeyError:
            raise VaultKeyError(
                "the secret key does not open this vault: it was created with another key. Set "
                "UA_SECRET_KEY (or secret_key=) to the vault's key; to rotate, give 'NEW,OLD'"
            ) from None

    async def close(self) -> None:
        if self._db is not None:
            await self._db.dispose()
            self._db = None

    @property
    def _cipher(self) -> TokenCipher:
        if self._cipher_or_none is None:
            raise RuntimeError("the vault store is not started: call 'await store.start()' first")
        return self._cipher_or_none

    # ----------------------------------------------------------------------- ConnectionStore API

    async def save(self, record: ConnectionRecord) -> None:
        _check_id("consumer_id", record.consumer_id)
        _check_id("company_id", record.company_id)
        now = datetime.now(UTC)
        lease = self._lease.get()
        db = await self.start()

        async def write(conn: AsyncConnection) -> bool:
            await conn.execute(
                db.insert(consumers).values(id=record.consumer_id, created_at=now).on_conflict_do_nothing()
            )
            existing = (
                await conn.execute(select(connections.c.grant_id).where(_key_clause(record.key)))
            ).scalar_one_or_none()
            grant_id = await self._save_grant(conn, record, existing, now, lease)
            values = self._connection_values(record, grant_id)
            statement = db.insert(connections).values(**values)
            updates = {k: statement.excluded[k] for k in values if k not in (*_KEY_COLUMNS, "created_at")}
            await conn.execute(
                statement.on_conflict_do_update(index_elements=list(_KEY_COLUMNS), set_=updates)
            )
            if existing is not None and existing != grant_id:
                await _drop_unused_grant(conn, existing)
            return lease is not None and lease.grant_id == grant_id

        released = await db.transaction(write)
        if released:
            assert lease is not None
            lease.released = True

    async def _save_grant(
        self,
        conn: AsyncConnection,
        record: ConnectionRecord,
        current: int | None,
        now: datetime,
        lease: _RefreshLease | None = None,
    ) -> int:
        """Store the record's tokens; return the grant (token set) the connection now uses.

        Tokens equal to another grant's of the same consumer and provider join that grant (the
        companies of one consent); otherwise the connection's own grant is updated in place (a
        refresh or a reconnect), so every connection sharing it sees the new tokens. When this
        task holds the grant's refresh lease, the same ``UPDATE`` releases it: the refreshed
        tokens and the end of the refresh are one write.
        """
        values = self._grant_values(record, now)
        shared = (
            await conn.execute(
                select(grants.c.id).where(
                    grants.c.consumer_id == record.consumer_id,
                    grants.c.provider == record.provider,
                    grants.c.fingerprint == values["fingerprint"],
                )
            )
        ).scalar()
        target = shared if shared is not None else current
        if target is None:
            inserted = await conn.execute(
                grants.insert().values(
                    consumer_id=record.consumer_id, provider=record.provider, created_at=now, **values
                )
            )
            primary_key = inserted.inserted_primary_key
            assert primary_key is not None
            return int(primary_key[0])
        if lease is not None and lease.grant_id == target:
            ours = grants.c.refresh_owner == lease.owner
            values["refresh_owner"] = case((ours, null()), else_=grants.c.refresh_owner)
            values["refresh_until"] = case((ours, null()), else_=grants.c.refresh_until)
        await conn.execute(update(grants).where(grants.c.id == target).values(**values))
        return int(target)

    async def get(self, key: ConnectionKey) -> ConnectionRecord | None:
        # One connection's reads run one at a time, in the order asked. Each request of a
        # connection reads its tokens first: read side by side they finished in any order, so
        # requests asked for in order met the rate limiter shuffled, and a sync's pages after the
        # one sent late waited for it.
        reading = self._reads.get(key)
        if reading is None:
            reading = self._reads[key] = asyncio.Lock()
        async with reading, (await self.start()).read() as conn:
            row = (await conn.execute(_joined().where(_key_clause(key)))).first()
        return self._record(row) if row is not None else None

    async def list(
        self, *, consumer_id: str | None = None, provider: str | None = None
    ) -> list[ConnectionRecord]:
        query = _joined().order_by(
            connections.c.consumer_id, connections.c.provider, connections.c.company_id
        )
        if consumer_id is not None:
            query = query.where(connections.c.consumer_id == consumer_id)
        if provider is not None:
            query = query.where(connections.c.provider == provider)
        async with (await self.start()).read() as conn:
            rows = (await conn.execute(query)).all()
        return [self._record(row) for row in rows]

    async def delete(self, key: ConnectionKey) -> None:
        async def remove(conn: AsyncConnection) -> None:
            grant_id = (
                await conn.execute(select(connections.c.grant_id).where(_key_clause(key)))
            ).scalar_one_or_none()
            await conn.execute(delete(connections).where(_key_clause(key)))
            if grant_id is not None:
                await _drop_unused_grant(conn, grant_id)

        await (await self.start()).transaction(remove)

    @contextlib.asynccontextmanager
    async def refresh_lock(self, key: ConnectionKey) -> AsyncIterator[None]:
        """Single-flight per token set: the lease covers every connection sharing the key's grant.

        Waiters in this process queue on a lock per grant; other processes poll the lease row.
        Nothing is held open on the database meanwhile (see the module's docstring).
        """
        if self._lease.get() is not None:
            raise RuntimeError("refresh_lock is not re-entrant: this task already holds one")
        db = await self.start()
        while True:
            grant_id = await self._grant_of(db, key)
            local = self._local_locks.setdefault(
                ("grant", grant_id) if grant_id is not None else key, asyncio.Lock()
            )
            async with local:
                lease = await self._take_lease(db, key, grant_id) if grant_id is not None else None
                if lease is not None and await self._grant_of(db, key) != grant_id:
                    # Reconnected onto another token set meanwhile: lease that one instead.
                    await self._release_lease(db, lease)
                    continue
                # No lease when nothing is stored: the holder finds that out when it re-reads.
                async with self._holding(db, lease):
                    yield
                return

    async def _grant_of(self, db: Database, key: ConnectionKey) -> int | None:
        async with db.read() as conn:
            grant_id = (
                await conn.execute(select(connections.c.grant_id).where(_key_clause(key)))
            ).scalar_one_or_none()
        return int(grant_id) if grant_id is not None else None

    async def _take_lease(self, db: Database, key: ConnectionKey, grant_id: int) -> _RefreshLease | None:
        """Wait for the grant's lease and take it; ``None`` if the grant is gone meanwhile."""
        lease = _RefreshLease(grant_id, secrets.token_hex(8))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.refresh_wait.total_seconds()
        pause = 0.02
        columns = grants.c
        while True:
            now = datetime.now(UTC)
            # Look first (a read takes no write lock), then take it with one conditional UPDATE.
            async with db.read() as conn:
                row = (
                    await conn.execute(
                        select(columns.refresh_owner, columns.refresh_until).where(columns.id == grant_id)
                    )
                ).first()
            if row is None:
                return None
            if row.refresh_owner is None or row.refresh_until is None or row.refresh_until < now:

                async def take(conn: AsyncConnection, now: datetime = now) -> bool:
                    taken = await conn.execute(
                        update(grants)
                        .where(
                            columns.id == grant_id,
                            or_(
                                columns.refresh_owner.is_(None),
                                columns.refresh_until.is_(None),
                                columns.refresh_until < now,
                                columns.refresh_owner == lease.owner,
                            ),
                        )
                        .values(refresh_owner=lease.owner, refresh_until=now + self.refresh_lease_ttl)
                    )
                    return bool(taken.rowcount == 1)

                if await db.transaction(take):
                    return lease
            if loop.time() >= deadline:
                raise ProviderUnavailable(
                    f"the tokens of connection {key} have been refreshing elsewhere for "
                    f"{int(self.refresh_wait.total_seconds())} s (a slow token endpoint?): try again later",
                    provider=key.provider,
                )
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.5)

    @contextlib.asynccontextmanager
    async def _holding(self, db: Database, lease: _RefreshLease | None) -> AsyncIterator[None]:
        """Hold ``lease`` for the block: renew it meanwhile, release it after (unless a save did)."""
        if lease is None:
            yield
            return
        token = self._lease.set(lease)
        renewing = asyncio.create_task(self._renew_lease(db, lease), name="ua-refresh-lease")
        try:
            yield
        finally:
            self._lease.reset(token)
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
            if not lease.released:
                try:
                    await asyncio.shield(self._release_lease(db, lease))
                except Exception:
                    # It expires by itself: waiters take it over after refresh_lease_ttl.
                    logger.warning("could not release the refresh lease of grant %s", lease.grant_id)

    async def _renew_lease(self, db: Database, lease: _RefreshLease) -> None:
        columns = grants.c

        async def renew(conn: AsyncConnection) -> int:
            renewed = await conn.execute(
                update(grants)
                .where(columns.id == lease.grant_id, columns.refresh_owner == lease.owner)
                .values(refresh_until=datetime.now(UTC) + self.refresh_lease_ttl)
            )
            return int(renewed.rowcount)

        while not lease.released:
            await asyncio.sleep(self.refresh_lease_ttl.total_seconds() / 3)
            if lease.released:
                return
            try:
                renewed = await db.transaction(renew)
            except Exception:
                logger.warning("could not renew the refresh lease of grant %s", lease.grant_id, exc_info=True)
                continue
            if renewed != 1 and not lease.released:
                logger.warning(
                    "the refresh lease of grant %s expired before its refresh ended (was this process "
                    "stalled?): another process may refresh the same tokens",
                    lease.grant_id,
                )
                return

    async def _release_lease(self, db: Database, lease: _RefreshLease) -> None:
        columns = grants.c

        async def release(conn: AsyncConnection) -> None:
            await conn.execute(
                update(grants)
                .where(columns.id == lease.grant_id, columns.refresh_owner == lease.owner)
                .values(refresh_owner=None, refresh_until=None)
            )

        await db.transaction(release)
        lease.released = True

    # ----------------------------------------------------------------------------- OAuth states

    async def create_state(
        self,
        *,
        consumer_id: str,
        provider: str,
        redirect_uri: str,
        code_verifier: str | None,
        scopes: Sequence[str] = (),
        lifetime: timedelta = STATE_LIFETIME,
    ) -> str:
        """Record a new single-use state for this consumer and provider; return the state value."""
        _check_id("consumer_id", consumer_id)
        state = secrets.token_urlsafe(32)
        now = datetime.now(UTC)

        async def record(conn: AsyncConnection) -> None:
            await conn.execute(
                oauth_states.insert().values(
                    state_hash=state_hash(state),
                    consumer_id=consumer_id,
                    provider=provider,
                    redirect_uri=redirect_uri,
                    scopes=" ".join(scopes),
                    code_verifier=self._cipher.encrypt(code_verifier) if code_verifier else None,
                    created_at=now,
                    expires_at=now + lifetime,
                )
            )
            # Housekeeping: states are worthless a day after they expired.
            await conn.execute(
                delete(oauth_states).where(oauth_states.c.expires_at < now - timedelta(days=1))
            )

        await (await self.start()).transaction(record)
        return state

    async def consume_state(
        self, state: str | None, *, provider: str | None = None, consumer_id: str | None = None
    ) -> PendingAuthorization:
        """Use up ``state`` (atomically: a replay finds it used) or raise :class:`InvalidState`.

        ``provider`` and ``consumer_id``, when given, must be the ones the state was issued for.
        """
        if not state:
            raise InvalidState(StateProblem.MISSING)
        hashed = state_hash(state)
        now = datetime.now(UTC)

        async def use(conn: AsyncConnection) -> PendingAuthorization:
            row = (
                await conn.execute(select(oauth_states).where(oauth_states.c.state_hash == hashed))
            ).first()
            if row is None:
                raise InvalidState(StateProblem.UNKNOWN)
            pending = PendingAuthorization(
                consumer_id=row.consumer_id,
                provider=row.provider,
                redirect_uri=row.redirect_uri,
                scopes=tuple(row.scopes.split()),
                code_verifier=self._cipher.decrypt(row.code_verifier) if row.code_verifier else None,
            )
            check_state(
                pending,
                used_at=row.used_at,
                expires_at=row.expires_at,
                now=now,
                provider=provider,
                consumer_id=consumer_id,
            )
            used = await conn.execute(
                update(oauth_states)
                .where(and_(oauth_states.c.state_hash == hashed, oauth_states.c.used_at.is_(None)))
                .values(used_at=now)
            )
            if used.rowcount != 1:
                raise InvalidState(StateProblem.REPLAYED)
            return pending

        return await (await self.start()).transaction(use)

    # --------------------------------------------------------------------------- key rotation

    async def rotate_keys(self) -> int:
        """Re-encrypt every stored secret with the first key; return how many rows changed.

        Run it after putting a new key first (``UA_SECRET_KEY='NEW,OLD'``); afterwards the old key
        can be dropped.
        """

        async def reencrypt(conn: AsyncConnection) -> int:
            count = 0
            rows = (
                await conn.execute(select(grants.c.id, grants.c.access_token, grants.c.refresh_token))
            ).all()
            for row in rows:
                await conn.execute(
                    update(grants)
                    .where(grants.c.id == row.id)
                    .values(
                        access_token=self._cipher.rotate(row.access_token),
                        refresh_token=self._cipher.rotate(row.refresh_token) if row.refresh_token else None,
                    )
                )
                count += 1
            states = (
                await conn.execute(
                    select(oauth_states.c.state_hash, oauth_states.c.code_verifier).where(
                        oauth_states.c.code_verifier.is_not(None)
                    )
                )
            ).all()
            for state in states:
                await conn.execute(
                    update(oauth_states)
                    .where(oauth_states.c.state_hash == state.state_hash)
                    .values(code_verifier=self._cipher.rotate(state.code_verifier))
                )
            await conn.execute(
                update(vault_meta)
                .where(vault_meta.c.name == _KEY_CHECK)
                .values(value=self._cipher.encrypt(_KEY_CHECK_TEXT))
            )
            return count

        return await (await self.start()).transaction(reencrypt)

    # ------------------------------------------------------------------------------- mapping

    def _grant_values(self, record: ConnectionRecord, now: datetime) -> dict[str, Any]:
        tokens = record.tokens
        return {
            "fingerprint": fingerprint(record),
            "access_token": self._cipher.encrypt(tokens.access_token.get_secret_value()),
            "refresh_token": self._cipher.encrypt(tokens.refresh_token.get_secret_value())
            if tokens.refresh_token is not None
            else None,
            "token_type": tokens.token_type,
            "scopes": " ".join(tokens.scopes),
            "expires_at": tokens.expires_at,
            "refresh_expires_at": tokens.refresh_token_expires_at,
            "hard_expires_at": tokens.hard_expires_at,
            "updated_at": now,
        }

    @staticmethod
    def _connection_values(record: ConnectionRecord, grant_id: int) -> dict[str, Any]:
        return {
            "consumer_id": record.consumer_id,
            "provider": record.provider,
            "company_id": record.company_id,
            "grant_id": grant_id,
            "company_name": record.company_name,
            "environment": record.environment,
            "health": ConnectionHealth(record.health).value,
            "last_error": record.last_error,
            "grant_metadata": json.dumps(record.metadata, sort_keys=True),
            "created_at": record.created_at,
            "updated_at": record.updated_at,
        }

    def _record(self, row: Row[Any]) -> ConnectionRecord:
        tokens = TokenSet(
            access_token=SecretStr(self._cipher.decrypt(row.access_token)),
            refresh_token=SecretStr(self._cipher.decrypt(row.refresh_token)) if row.refresh_token else None,
            token_type=row.token_type,
            expires_at=row.expires_at,
            refresh_token_expires_at=row.refresh_expires_at,
            hard_expires_at=row.hard_expires_at,
            scopes=tuple(row.scopes.split()),
        )
        metadata: Mapping[str, Any] = json.loads(row.grant_metadata or "{}")
        return ConnectionRecord(
            consumer_id=row.consumer_id,
            provider=row.provider,
            company_id=row.company_id,
            company_name=row.company_name,
            environment=row.environment,
            tokens=tokens,
            health=ConnectionHealth(row.health),
            last_error=row.last_error,
            metadata={str(k): str(v) for k, v in metadata.items()},
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


_KEY_COLUMNS = ("consumer_id", "provider", "company_id")


def fingerprint(record: ConnectionRecord) -> str:
    """What identifies a token set without revealing it: SHA-256 of its refresh (else access) token."""
    secret = record.tokens.refresh_token or record.tokens.access_token
    return hashlib.sha256(b"ua-grant:" + secret.get_secret_value().encode()).hexdigest()


def _joined() -> Any:
    return select(
        connections,
        grants.c.access_token,
        grants.c.refresh_token,
        grants.c.token_type,
        grants.c.scopes,
        grants.c.expires_at,
        grants.c.refresh_expires_at,
        grants.c.hard_expires_at,
    ).join(grants, grants.c.id == connections.c.grant_id)


async def _drop_unused_grant(conn: AsyncConnection, grant_id: int) -> None:
    still_used = (
        await conn.execute(select(connections.c.id).where(connections.c.grant_id == grant_id).limit(1))
    ).first()
    if still_used is None:
        await conn.execute(delete(grants).where(grants.c.id == grant_id))


def _key_clause(key: ConnectionKey) -> Any:
    return and_(
        connections.c.consumer_id == key.consumer_id,
        connections.c.provider == key.provider,
        connections.c.company_id == key.company_id,
    )
