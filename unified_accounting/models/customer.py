"""The unified customer (QuickBooks ``Customer``, Xero ``Contact``)."""

from __future__ import annotations

from .party import Party, PartyStatus

#: A customer's status (active or archived): the one of every party.
CustomerStatus = PartyStatus


class Customer(Party):
    """Someone invoiced (QuickBooks ``Customer``, Xero ``Contact``)."""

    #: The customer this one belongs to (QuickBooks sub-customers and jobs).
    parent_id: str | None = None
