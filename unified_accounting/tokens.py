"""OAuth token sets and what a consent grants, in provider-neutral form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from .models.common import UTCDateTime


class TokenSet(BaseModel):
    """Tokens for one connection. Secrets are ``SecretStr``: they never appear in reprs or logs."""

    model_config = ConfigDict(frozen=True)

    access_token: SecretStr
    refresh_token: SecretStr | None = None
    token_type: str = "Bearer"
    expires_at: UTCDateTime | None = Field(default=None, description="When the access token expires.")
    refresh_token_expires_at: UTCDateTime | None = Field(
        default=None, description="When the refresh token expires if not used (rolling)."
    )
    hard_expires_at: UTCDateTime | None = Field(
        default=None, description="When the grant ends whatever happens (QuickBooks' 5-year limit)."
    )
    scopes: tuple[str, ...] = ()

    def expires_within(self, lead_time: timedelta, now: datetime | None = None) -> bool:
        """True when the access token is expired or will be within ``lead_time``."""
        if self.expires_at is None:
            return False
        return self.expires_at - (now or datetime.now(UTC)) <= lead_time

    @property
    def reauthorize_by(self) -> datetime | None:
        """The last moment the grant can still be refreshed without the user: the earliest expiry known."""
        limits = [t for t in (self.refresh_token_expires_at, self.hard_expires_at) if t is not None]
        return min(limits) if limits else None

    @classmethod
    def from_token_response(
        cls, payload: dict[str, Any], *, now: datetime | None = None, previous: TokenSet | None = None
    ) -> TokenSet:
        """Build from a standard OAuth 2.0 token response (relative ``expires_in`` → absolute times).

        A refresh response without a ``refresh_token`` keeps the previous one, as RFC 6749 §6 allows.
        """
        now = now or datetime.now(UTC)
        if "access_token" not in payload:
            raise ValueError("token response has no access_token")
        refresh = payload.get("refresh_token")
        expires_in = payload.get("expires_in")
        scope = payload.get("scope")
        return cls(
            access_token=SecretStr(str(payload["access_token"])),
            refresh_token=SecretStr(str(refresh))
            if refresh
            else (previous.refresh_token if previous else None),
            token_type=str(payload.get("token_type") or "Bearer"),
            expires_at=now + timedelta(seconds=float(expires_in)) if expires_in is not None else None,
            scopes=tuple(str(scope).split()) if scope else (previous.scopes if previous else ()),
            refresh_token_expires_at=previous.refresh_token_expires_at if previous else None,
            hard_expires_at=previous.hard_expires_at if previous else None,
        )


class Grant(BaseModel):
    """One company (QuickBooks realm, Xero tenant) that a completed consent gives access to."""

    model_config = ConfigDict(frozen=True)

    company_id: str
    company_name: str | None = None
    tokens: TokenSet
    #: Provider bookkeeping needed later (for Xero, the connection id used to disconnect one tenant).
    metadata: dict[str, str] = Field(default_factory=dict)
