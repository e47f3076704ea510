"""Domain objects and the interface of the customer store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Dict, List, Optional, Protocol


@dataclass(frozen=True)
class Plan:
    """A product in the catalogue."""

    code: str
    name: str
    kind: str
    monthly_price: float
    upgrade_to: Optional[str]


@dataclass(frozen=True)
class Customer:
    """A customer account, with its current plan."""

    account_number: str
    name: str
    date_of_birth: date
    tier: str
    plan: Plan
    balance: float
    due_date: date
    language: str
    contract_start: date
    phone: str
    email: str


@dataclass(frozen=True)
class Ticket:
    """A ticket the bot or an agent created (technical, complaint, callback, ...)."""

    reference: str
    kind: str
    topic: str
    summary: str
    status: str
    created_at: datetime
    account_number: Optional[str] = None
    details: Dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Appointment:
    """A technician visit booked against a ticket."""

    ticket_reference: str
    starts_at: datetime


class CustomerStore(Protocol):
    """What the actions need from a CRM. Implementations return domain objects, not rows."""

    async def find_customer(self, account_number: str) -> Optional[Customer]:
        """The customer with this account number, or None."""

    async def verify_identity(self, account_number: str, date_of_birth: date) -> Optional[Customer]:
        """The customer when both match, else None (never says which one was wrong)."""

    async def open_tickets(self, account_number: str) -> List[Ticket]:
        """Tickets of the account that are not closed."""

    async def count_tickets(self, account_number: str, kind: str, topic: Optional[str], since: datetime) -> int:
        """How many tickets of a kind (and topic) the account has had since a time."""

    async def create_ticket(
        self,
        kind: str,
        topic: str,
        summary: str,
        account_number: Optional[str] = None,
        details: Optional[Dict[str, Any]] = None,
    ) -> Ticket:
        """Create a ticket and return it with its reference."""

    async def free_technician_slots(self, after: datetime, count: int) -> List[datetime]:
        """The next free technician visit slots."""

    async def book_appointment(self, ticket_reference: str, starts_at: datetime) -> Appointment:
        """Book a technician visit for a ticket."""

    async def record_payment_arrangement(
        self, account_number: str, new_due_date: date, reason: str, follow_up_on: date
    ) -> Ticket:
        """Record a payment deferral and its follow-up; returns the follow-up ticket."""

    async def get_plan(self, code: str) -> Optional[Plan]:
        """A plan from the catalogue."""

    async def order_upgrade(self, account_number: str, plan_code: str, delivery_date: date) -> Ticket:
        """Record an accepted upgrade."""

    async def record_survey(self, conversation_id: str, kind: str, score: int, comment: Optional[str]) -> None:
        """Store a CSAT or NPS answer."""
