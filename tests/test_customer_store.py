"""The bundled SQL customer store and its seed command."""

from datetime import date, datetime, timedelta, timezone

import pytest

from actions.crm.seed import load_source, main as seed_main


async def test_seed_loads_twenty_customers_including_the_voice_test_account(customer_store) -> None:
    customer = await customer_store.find_customer("100019021001803")
    assert customer is not None
    assert customer.plan.name == "Fibre 500"
    assert customer.tier == "vip"


async def test_verify_identity_needs_both_to_match(customer_store) -> None:
    assert await customer_store.verify_identity("100019021001803", date(1985, 3, 12)) is not None
    assert await customer_store.verify_identity("100019021001803", date(1985, 3, 13)) is None
    assert await customer_store.verify_identity("100099999999999", date(1985, 3, 12)) is None


async def test_tickets_are_created_and_counted(customer_store) -> None:
    ticket = await customer_store.create_ticket("complaint", "billing", "charged twice", "100019021001803")
    assert ticket.reference.startswith("NW-")
    since = datetime.now(timezone.utc) - timedelta(days=1)
    assert await customer_store.count_tickets("100019021001803", "complaint", "billing", since) == 1
    assert [t.reference for t in await customer_store.open_tickets("100019021001803")] == [ticket.reference]


async def test_payment_arrangement_moves_the_due_date(customer_store) -> None:
    new_due = date.today() + timedelta(days=20)
    ticket = await customer_store.record_payment_arrangement("100019021001803", new_due, "bank_card", new_due)
    assert ticket.kind == "payment_arrangement"
    assert (await customer_store.find_customer("100019021001803")).due_date == new_due


async def test_technician_slots_skip_booked_ones(customer_store) -> None:
    after = datetime(2026, 11, 23, 12, tzinfo=timezone.utc)  # a Monday
    first = await customer_store.free_technician_slots(after, 3)
    assert len(first) == 3 and all(slot.weekday() < 5 for slot in first)
    ticket = await customer_store.create_ticket("technical", "router", "no signal")
    await customer_store.book_appointment(ticket.reference, first[0])
    again = await customer_store.free_technician_slots(after, 3)
    assert first[0] not in again


def test_seed_file_errors_name_the_file_and_entry(tmp_path) -> None:
    bad = tmp_path / "customers.yml"
    bad.write_text("plans:\n  - {code: a, name: A, kind: mobile, monthly_price: 1, upgrade_to: null}\n"
                   "customers:\n  - {account_number: '123', name: X, plan: a}\n")
    with pytest.raises(ValueError, match=r"customers.yml: customer 1: account_number must be 15 digits"):
        load_source(bad)
    bad.write_text("plans: [\n")
    with pytest.raises(ValueError, match=r"customers.yml: invalid YAML"):
        load_source(bad)


def test_seed_command_reports_errors_without_a_traceback(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("SWITCHBOARD_CUSTOMER_DB_URL", f"sqlite:///{tmp_path / 'c.db'}")
    bad = tmp_path / "customers.yml"
    bad.write_text("customers: []\n")
    assert seed_main(["--source", str(bad)]) == 1
    assert "needs top-level 'plans' and 'customers'" in capsys.readouterr().err
