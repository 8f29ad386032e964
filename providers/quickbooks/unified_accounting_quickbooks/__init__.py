"""QuickBooks Online provider for unified-accounting (entry point ``quickbooks``)."""

from .meter import BudgetAlert, MeteredReadBudgetWarning, MeterUsage, ReadBudgetExhausted, UsageMeter
from .models import Account
from .provider import QuickBooksProvider
from .settings import QuickBooksSettings

__all__ = [
    "Account",
    "BudgetAlert",
    "MeterUsage",
    "MeteredReadBudgetWarning",
    "QuickBooksProvider",
    "QuickBooksSettings",
    "ReadBudgetExhausted",
    "UsageMeter",
]
