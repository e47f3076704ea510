"""Tables of the bundled SQL customer store."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, Column, Date, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import declarative_base

Base = declarative_base()


def utcnow() -> datetime:
    """Timezone-aware now."""
    return datetime.now(timezone.utc)


class PlanRow(Base):
    __tablename__ = "plans"

    code = Column(String(32), primary_key=True)
    name = Column(String(64), nullable=False)
    kind = Column(String(16), nullable=False)
    monthly_price = Column(Float, nullable=False)
    upgrade_to = Column(String(32), nullable=True)


class CustomerRow(Base):
    __tablename__ = "customers"

    account_number = Column(String(20), primary_key=True)
    name = Column(String(128), nullable=False)
    date_of_birth = Column(Date, nullable=False)
    tier = Column(String(16), nullable=False)
    plan_code = Column(String(32), ForeignKey("plans.code"), nullable=False)
    balance = Column(Float, nullable=False)
    due_date = Column(Date, nullable=False)
    language = Column(String(8), nullable=False)
    contract_start = Column(Date, nullable=False)
    phone = Column(String(32), nullable=False)
    email = Column(String(128), nullable=False)


class TicketRow(Base):
    __tablename__ = "tickets"

    id = Column(Integer, primary_key=True, autoincrement=True)
    reference = Column(String(16), unique=True, nullable=False)
    account_number = Column(String(20), ForeignKey("customers.account_number"), nullable=True, index=True)
    kind = Column(String(32), nullable=False)
    topic = Column(String(64), nullable=False)
    summary = Column(Text, nullable=False)
    status = Column(String(16), nullable=False, default="open")
    details = Column(JSON, nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class AppointmentRow(Base):
    __tablename__ = "appointments"

    id = Column(Integer, primary_key=True, autoincrement=True)
    ticket_reference = Column(String(16), ForeignKey("tickets.reference"), nullable=False)
    starts_at = Column(DateTime(timezone=True), nullable=False, unique=True)


class SurveyRow(Base):
    __tablename__ = "surveys"

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(64), nullable=False, index=True)
    kind = Column(String(8), nullable=False)
    score = Column(Integer, nullable=False)
    comment = Column(Text, nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
