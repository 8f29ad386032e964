"""QuickBooks Online provider for unified-accounting (entry point ``quickbooks``)."""

from .meter import BudgetAlert, MeteredReadBudgetWarning, MeterUsage, ReadBudgetExhausted, UsageMeter
from .models import Account, Item
from .provider import QuickBooksProvider
from .settings import QuickBooksSettings

__all__ = [
    "Account",
    "BudgetAlert",
    "Item",
    "MeterUsage",
    "MeteredReadBudgetWarning",
    "QuickBooksProvider",
    "QuickBooksSettings",
    "ReadBudgetExhausted",
    "UsageMeter",
]
