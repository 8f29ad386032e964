"""The connect page (an ASGI app): where users connect, reconnect and disconnect companies."""

from .app import ConnectPage, Identify, connect_link, create_connect_app
from .signing import Signer

__all__ = ["ConnectPage", "Identify", "Signer", "connect_link", "create_connect_app"]
