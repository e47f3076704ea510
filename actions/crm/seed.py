"""Load the sample customers and plans: ``python -m actions.crm.seed [--if-empty]``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Dict, Optional

import yaml
from sqlalchemy import delete, func, select

from actions.config import ActionsConfig
from actions.content import CONTENT_DIR
from actions.crm.sql_store import SqlCustomerStore
from actions.crm.tables import AppointmentRow, CustomerRow, PlanRow, SurveyRow, TicketRow, utcnow

DEFAULT_SOURCE = CONTENT_DIR / "customers.yml"


def load_source(path: Path) -> Dict[str, Any]:
    """Read and check the seed file; errors name the file and the entry."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: invalid YAML: {exc}") from exc
    if not isinstance(data, dict) or "plans" not in data or "customers" not in data:
        raise ValueError(f"{path}: needs top-level 'plans' and 'customers' lists")
    codes = {p["code"] for p in data["plans"]}
    for index, customer in enumerate(data["customers"], start=1):
        if customer.get("plan") not in codes:
            raise ValueError(f"{path}: customer {index} ({customer.get('name')}): unknown plan {customer.get('plan')!r}")
        number = str(customer.get("account_number", ""))
        if not (number.isdigit() and len(number) == 15):
            raise ValueError(f"{path}: customer {index}: account_number must be 15 digits, got {number!r}")
    return data


async def seed(store: SqlCustomerStore, data: Dict[str, Any], today: Optional[date] = None, if_empty: bool = False) -> int:
    """Replace the store's contents with the seed data; returns the number of customers."""
    today = today or date.today()
    await store.create_schema()
    async with store._sessions() as session, session.begin():
        if if_empty and (await session.execute(select(func.count(CustomerRow.account_number)))).scalar_one():
            return 0
        for table in (AppointmentRow, TicketRow, SurveyRow, CustomerRow, PlanRow):
            await session.execute(delete(table))
        for plan in data["plans"]:
            session.add(PlanRow(**{k: plan[k] for k in ("code", "name", "kind", "monthly_price", "upgrade_to")}))
        await session.flush()
        for c in data["customers"]:
            session.add(
                CustomerRow(
                    account_number=str(c["account_number"]),
                    name=c["name"],
                    date_of_birth=c["date_of_birth"],
                    tier=c["tier"],
                    plan_code=c["plan"],
                    balance=float(c["balance"]),
                    due_date=today + timedelta(days=int(c["due_in_days"])),
                    language=c["language"],
                    contract_start=c["contract_start"],
                    phone=c["phone"],
                    email=c["email"],
                )
            )
        await session.flush()
        for c in data["customers"]:
            for number, ticket in enumerate(c.get("open_tickets") or [], start=1):
                session.add(
                    TicketRow(
                        reference=f"NW-S{c['account_number'][-4:]}{number}",
                        account_number=str(c["account_number"]),
                        kind="complaint" if ticket.get("topic") == "billing" else "technical",
                        topic=ticket["topic"],
                        summary=ticket["summary"],
                        status="open",
                        created_at=utcnow() - timedelta(days=3),
                    )
                )
    return len(data["customers"])


async def _main(args: argparse.Namespace) -> int:
    config = ActionsConfig.from_env()
    store = SqlCustomerStore(config.customer_db_url)
    try:
        data = load_source(Path(args.source))
        count = await seed(store, data, if_empty=args.if_empty)
    except ValueError as exc:
        print(f"seed error: {exc}", file=sys.stderr)
        return 1
    finally:
        await store.close()
    if count:
        print(f"Customer store: loaded {count} customers into {config.customer_db_url}")
    else:
        print(f"Customer store: already has customers ({config.customer_db_url})")
    return 0


def main(argv: Optional[list] = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", default=str(DEFAULT_SOURCE), help="seed YAML file")
    parser.add_argument("--if-empty", action="store_true", help="only seed when the store has no customers")
    return asyncio.run(_main(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
