"""The connect page (an ASGI app): where users connect, reconnect and disconnect companies."""

from .app import ConnectPage, Identify, connect_link, create_connect_app
from .sessions import ConnectSession, MemorySessionStore, SessionStore, SqlSessionStore
from .signing import Signer

__all__ = [
    "ConnectPage",
    "ConnectSession",
    "Identify",
    "MemorySessionStore",
    "SessionStore",
    "Signer",
    "SqlSessionStore",
    "connect_link",
    "create_connect_app",
]
