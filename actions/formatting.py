"""How amounts and dates are shown to the customer, per language."""

from __future__ import annotations

from datetime import date, datetime

_DATE_FORMATS = {
    "en": "%d/%m/%Y",
    "fr": "%d/%m/%Y",
    "ro": "%d.%m.%Y",
    "uk": "%d.%m.%Y",
    "lt": "%Y-%m-%d",
    "zh": "%Y年%m月%d日",
}


def money(amount: float, language: str) -> str:
    """An amount in euros, with the language's decimal separator."""
    text = f"{amount:.2f}"
    if language in ("fr", "ro", "uk", "lt"):
        text = text.replace(".", ",")
    return f"{text} €" if language != "en" else f"€{text}"


def day(value: date, language: str) -> str:
    """A date in the language's usual numeric format."""
    return value.strftime(_DATE_FORMATS.get(language, _DATE_FORMATS["en"]))


def slot_time(value: datetime, language: str) -> str:
    """A technician slot: date and time (24-hour)."""
    return f"{day(value.date(), language)} {value.strftime('%H:%M')}"
