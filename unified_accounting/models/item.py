"""Products and services (QuickBooks ``Item``, Xero items)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from .common import Money, RecordMeta, UnifiedModel
from .money import UnitPrice


class ItemType(StrEnum):
    SERVICE = "service"
    #: Goods whose quantity on hand is tracked.
    INVENTORY = "inventory"
    #: Goods whose quantity is not tracked.
    NON_INVENTORY = "non_inventory"
    #: Several items sold together (QuickBooks group items; read only).
    BUNDLE = "bundle"
    #: A heading that groups items in lists (QuickBooks categories; read only).
    CATEGORY = "category"


class ItemStatus(StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"
    DELETED = "deleted"


class ItemPricing(UnifiedModel):
    """How an item is sold, or bought."""

    unit_price: UnitPrice | None = None
    #: The ledger account its lines post to (income when sold, expense or cost of sales when bought).
    account_id: str | None = None
    tax_rate_id: str | None = None
    description: str | None = None


class Item(RecordMeta):
    """Something sold or bought. Lines name it by ``item_id``: the id ``conn.items.list()`` gives
    (on Xero that is the item's code, which is how Xero lines name items)."""

    name: str = Field(min_length=1)
    #: The item's short code or SKU.
    code: str | None = None
    description: str | None = None
    type: ItemType = ItemType.SERVICE
    #: How it is sold (``None``: not sold).
    sales: ItemPricing | None = None
    #: How it is bought (``None``: not bought).
    purchase: ItemPricing | None = None
    #: For inventory items, how many are on hand (read only on most providers).
    quantity_on_hand: Money | None = None
    #: For inventory items: the asset account holding their value.
    inventory_account_id: str | None = None
    status: ItemStatus = ItemStatus.ACTIVE
