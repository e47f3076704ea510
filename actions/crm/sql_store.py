"""The bundled customer store on SQL (SQLite by default, PostgreSQL through the URL)."""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Dict, List, Optional

from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import sessionmaker

from actions.crm.interface import Appointment, Customer, Plan, Ticket
from actions.crm.tables import AppointmentRow, Base, CustomerRow, PlanRow, SurveyRow, TicketRow

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg", "postgres": "postgresql+asyncpg"}

# Technician visits: weekdays, two slots a day, in UTC for the sample data.
VISIT_HOURS = (9, 14)


def _async_url(url: str):
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend not in _ASYNC_DRIVERS:
        raise ValueError(f"customer store URL: unsupported database {backend!r}")
    return parsed.set(drivername=_ASYNC_DRIVERS[backend])


def _as_utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes; everything here is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _plan(row: PlanRow) -> Plan:
    return Plan(row.code, row.name, row.kind, row.monthly_price, row.upgrade_to)


def _customer(row: CustomerRow, plan: PlanRow) -> Customer:
    return Customer(
        account_number=row.account_number,
        name=row.name,
        date_of_birth=row.date_of_birth,
        tier=row.tier,
        plan=_plan(plan),
        balance=row.balance,
        due_date=row.due_date,
        language=row.language,
        contract_start=row.contract_start,
        phone=row.phone,
        email=row.email,
    )


def _ticket(row: TicketRow) -> Ticket:
    return Ticket(
        reference=row.reference,
        kind=row.kind,
        topic=row.topic,
        summary=row.summary,
        status=row.status,
        created_at=_as_utc(row.created_at),
        account_number=row.account_number,
        details=row.details or {},
    )


def new_reference() -> str:
    """A short ticket reference a customer can read out: NW- and 6 characters."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "NW-" + "".join(secrets.choice(alphabet) for _ in range(6))


class SqlCustomerStore:
    """``CustomerStore`` on an async SQLAlchemy engine."""

    def __init__(self, url: str) -> None:
        self.engine: AsyncEngine = create_async_engine(_async_url(url))
        self._sessions = sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)

    async def create_schema(self) -> None:
        """Create the tables if they do not exist."""
        async with self.engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)

    async def close(self) -> None:
        """Release connections."""
        await self.engine.dispose()

    async def find_customer(self, account_number: str) -> Optional[Customer]:
        async with self._sessions() as session:
            row = await session.get(CustomerRow, account_number)
            if row is None:
                return None
            plan = await session.get(PlanRow, row.plan_code)
            return _customer(row, plan)

    async def verify_identity(self, account_number: str, date_of_birth: date) -> Optional[Customer]:
        customer = await self.find_customer(account_number)
        if customer is None or customer.date_of_birth != date_of_birth:
            return None
        return customer

    async def open_tickets(self, account_number: str) -> List[Ticket]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(TicketRow)
                .where(TicketRow.account_number == account_number, TicketRow.status != "closed")
                .order_by(TicketRow.id)
            )
            return [_ticket(r) for r in rows.scalars()]

    async def count_tickets(self, account_number: str, kind: str, topic: Optional[str], since: datetime) -> int:
        query = select(func.count(TicketRow.id)).where(
            TicketRow.account_number == account_number, TicketRow.kind == kind, TicketRow.created_at >= since
        )
        if topic:
            query = query.where(TicketRow.topic == topic)
        async with self._sessions() as session:
            return int((await session.execute(query)).scalar_one())

    async def create_ticket(
        self,
        kind: str,
        topic: str,
        summary: str,
        account_number: Optional[str] = None,
        details: Optional[Dict[str, Any]] = None,
    ) -> Ticket:
        row = TicketRow(
            reference=new_reference(),
            account_number=account_number,
            kind=kind,
            topic=topic,
            summary=summary,
            status="open",
            details=details or {},
        )
        async with self._sessions() as session, session.begin():
            session.add(row)
        return _ticket(row)

    async def free_technician_slots(self, after: datetime, count: int) -> List[datetime]:
        async with self._sessions() as session:
            taken = {_as_utc(r) for r in (await session.execute(select(AppointmentRow.starts_at))).scalars()}
        slots: List[datetime] = []
        day = after.date() + timedelta(days=1)
        while len(slots) < count:
            if day.weekday() < 5:
                for hour in VISIT_HOURS:
                    slot = datetime.combine(day, time(hour), tzinfo=timezone.utc)
                    if slot not in taken and len(slots) < count:
                        slots.append(slot)
            day += timedelta(days=1)
        return slots

    async def book_appointment(self, ticket_reference: str, starts_at: datetime) -> Appointment:
        async with self._sessions() as session, session.begin():
            session.add(AppointmentRow(ticket_reference=ticket_reference, starts_at=starts_at))
        return Appointment(ticket_reference, starts_at)

    async def _change_customer(
        self, account_number: str, column: str, value: Any, kind: str, topic: str, describe
    ) -> Ticket:
        """Change one customer field and record the ticket for it in the same transaction."""
        async with self._sessions() as session, session.begin():
            row = await session.get(CustomerRow, account_number)
            if row is None:
                raise KeyError(account_number)
            old = getattr(row, column)
            setattr(row, column, value)
            summary, details = describe(old)
            ticket = TicketRow(
                reference=new_reference(), account_number=account_number, kind=kind, topic=topic,
                summary=summary, status="open", details=details,
            )
            session.add(ticket)
        return _ticket(ticket)

    async def record_payment_arrangement(
        self, account_number: str, new_due_date: date, reason: str, follow_up_on: date
    ) -> Ticket:
        return await self._change_customer(
            account_number, "due_date", new_due_date, "payment_arrangement", "late_payment",
            lambda old: (
                f"Due date moved from {old.isoformat()} to {new_due_date.isoformat()}",
                {"reason": reason, "old_due_date": old.isoformat(), "new_due_date": new_due_date.isoformat(),
                 "follow_up_on": follow_up_on.isoformat()},
            ),
        )

    async def get_plan(self, code: str) -> Optional[Plan]:
        async with self._sessions() as session:
            row = await session.get(PlanRow, code)
            return _plan(row) if row else None

    async def order_upgrade(self, account_number: str, plan_code: str, delivery_date: date) -> Ticket:
        return await self._change_customer(
            account_number, "plan_code", plan_code, "upgrade", "sales",
            lambda old: (
                f"Upgrade from {old} to {plan_code}",
                {"from": old, "to": plan_code, "delivery_date": delivery_date.isoformat()},
            ),
        )

    async def record_survey(self, conversation_id: str, kind: str, score: int, comment: Optional[str]) -> None:
        async with self._sessions() as session, session.begin():
            session.add(SurveyRow(conversation_id=conversation_id, kind=kind, score=score, comment=comment))
