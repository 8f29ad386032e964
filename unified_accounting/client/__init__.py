"""The client API: ``AsyncClient`` (source of truth) and its generated blocking twin ``Client``."""

from .async_client import AsyncClient, AsyncConnection
from .attachments import AsyncAttachments
from .blocking import Attachments, Client, Connection, Pager, Reports, Resource
from .pager import AsyncPager
from .raw import RawResponse
from .reports import AsyncReports
from .resources import AsyncResource

__all__ = [
    "AsyncAttachments",
    "AsyncClient",
    "AsyncConnection",
    "AsyncPager",
    "AsyncReports",
    "AsyncResource",
    "Attachments",
    "Client",
    "Connection",
    "Pager",
    "RawResponse",
    "Reports",
    "Resource",
]
