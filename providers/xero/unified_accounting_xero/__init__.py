"""Xero provider for unified-accounting: ACCREC invoices, contacts, payments, accounts and items.

Installed, it registers itself under the ``unified_accounting`` entry-point group as ``xero``; use it
through ``unified_accounting.Client(providers={"xero": {...}})``. See ``docs/providers/xero.md``.
"""

from .errors import XeroRateLimited
from .models import Account
from .provider import XeroProvider
from .settings import XeroSettings

__all__ = ["Account", "XeroProvider", "XeroRateLimited", "XeroSettings"]
