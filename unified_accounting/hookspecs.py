"""The hooks a plugin can implement, all prefixed ``ua_``. Every one is documented in ``docs/hooks.md``.

Implement them in a module or object decorated with :data:`hookimpl` and expose it through the
``unified_accounting`` entry-point group::

    [project.entry-points.unified_accounting]
    myprovider = "my_package.plugin"
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from datetime import datetime

    import httpx
    import typer

    from .changes import RecordChange
    from .connections import ConnectionHealth, ConnectionRecord
    from .provider import Provider

PROJECT = "unified_accounting"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# ============================================================================== Registration


@hookspec
def ua_register_providers() -> list[Provider]:
    """Return the providers this plugin offers (collect-all: every plugin's lists are combined).

    Each item must be a :class:`unified_accounting.Provider` instance with a unique ``name``; a name
    registered twice stops start-up with an error naming both plugins.
    """


# ========================================================================= Observing requests


@hookspec
def ua_before_request(provider: str, company_id: str, request: httpx.Request) -> None:
    """Called before every HTTP attempt to a provider API (retries included).

    The request may be inspected, or given extra headers; its ``Authorization`` header is a secret:
    never log it. Return value ignored.
    """


@hookspec
def ua_after_response(
    provider: str, company_id: str, request: httpx.Request, response: httpx.Response, elapsed: float
) -> None:
    """Called after every HTTP attempt that got an answer, error answers included.

    ``elapsed`` is the attempt's duration in seconds. Return value ignored.
    """


# ============================================================================ Record changes


@hookspec
def ua_record_changed(change: RecordChange) -> None:
    """Called once for every record created, updated, voided or deleted through the library.

    ``change.source`` says whether the change was made through the API or seen by a sync or webhook.
    Return value ignored; an exception propagates to the caller, so keep implementations light.
    """


# =============================================================================== Connections


@hookspec
def ua_connection_health_changed(
    connection: ConnectionRecord, previous: ConnectionHealth, current: ConnectionHealth
) -> None:
    """Called when a connection's health changes, for example to ``needs_reauth`` after ``invalid_grant``.

    This is the moment to ask the user to reconnect. Return value ignored.
    """


@hookspec
def ua_connection_established(connection: ConnectionRecord, reconnected: bool) -> None:
    """Called after a consent completed and the connection was stored (once per company granted).

    ``reconnected`` is true when the connection existed before (the user clicked "Reconnect", or
    connected the same company again): its tokens were replaced and its health is ``ok`` again.
    ``connection.tokens`` holds secrets: never log them. Return value ignored.
    """


@hookspec
def ua_connection_expiring(connection: ConnectionRecord, reauthorize_by: datetime) -> None:
    """Called by ``client.check_expiring(within=...)`` for each connection the user must soon renew.

    ``reauthorize_by`` is the earliest of the refresh token's expiry and the provider's hard limit
    (QuickBooks ends every grant after five years): after it, the connection needs the user to
    consent again. Run ``check_expiring`` periodically (daily is enough) and e-mail the user some
    days ahead. Connections already ``needs_reauth`` or ``revoked`` are not reported again.
    Return value ignored.
    """


@hookspec
def ua_connection_disconnected(connection: ConnectionRecord, revoked_at_provider: bool) -> None:
    """Called after a connection was removed by ``client.disconnect`` or ``client.revoke``.

    ``revoked_at_provider`` says whether the provider confirmed that access ended; it is false when
    the provider has no revocation endpoint or the grant was already gone. The record is no longer
    in the store when this runs. Return value ignored.
    """


# ======================================================================================= CLI


@hookspec
def ua_register_cli(app: typer.Typer) -> None:
    """Add commands or sub-command groups to the ``ua`` command line (``app.add_typer(...)``).

    Called once when ``ua`` starts. Return value ignored.
    """
