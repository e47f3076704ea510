"""pii.redact: what is masked, how, and that nothing else changes."""

from __future__ import annotations

import copy
from collections import OrderedDict, namedtuple

import pytest

import pii
from pii import (
    redact_follow_up,
    MASK_PART,
    SplitCard,
    contains_card,
    find_split_card,
    redact_piece,
    redact_text,
    redact_value,
)
from pii import false_positives
from pii.redact import MASK_CVV, MASK_EXPIRY

CARD = "4111 1111 1111 1111"
MASKED = "[card ending 1111]"


def test_mask_strings() -> None:
    assert MASK_PART == "[card number part removed]"
    assert MASK_EXPIRY == "[expiry removed]"
    assert MASK_CVV == "[security code removed]"
    assert pii.mask_card("378282246310005") == "[card ending 0005]"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("card 4111111111111111 please", "card [card ending 1111] please"),
        ("4111 1111 1111 1111", "[card ending 1111]"),
        ("amex 3782 822463 10005", "amex [card ending 0005]"),
        ("２２２３ ００３１ ２２００ ３２２２", "[card ending 3222]"),
        ("four one one one one one one one one one one one one one one one", MASKED),
        ("cards 4111111111111111 and 5105105105105100", "cards [card ending 1111] and [card ending 5100]"),
    ],
)
def test_cards_are_masked(text: str, expected: str) -> None:
    assert redact_text(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        (f"{CARD} 12/29", f"{MASKED} {MASK_EXPIRY}"),
        (f"{CARD} 12/2029", f"{MASKED} {MASK_EXPIRY}"),
        (f"{CARD} 12-29", f"{MASKED} {MASK_EXPIRY}"),
        (f"{CARD} 12.29", f"{MASKED} {MASK_EXPIRY}"),
        (f"{CARD} 12 / 29", f"{MASKED} {MASK_EXPIRY}"),
        (f"{CARD}, 1/29", f"{MASKED}, {MASK_EXPIRY}"),
        (f"{CARD} expires 12/29", f"{MASKED} expires {MASK_EXPIRY}"),
        (f"exp 12/29 card {CARD}", f"exp {MASK_EXPIRY} card {MASKED}"),
        (f"12/29 is the expiry of {CARD}", f"{MASK_EXPIRY} is the expiry of {MASKED}"),
        (f"{CARD} 123", f"{MASKED} {MASK_CVV}"),
        (f"{CARD}, 1234", f"{MASKED}, {MASK_CVV}"),
        (f"{CARD} 12/29 123", f"{MASKED} {MASK_EXPIRY} {MASK_CVV}"),
        (f"{CARD} exp 12/29 cvv 123", f"{MASKED} exp {MASK_EXPIRY} cvv {MASK_CVV}"),
        (f"{CARD} and the code on the back is 987", f"{MASKED} and the code on the back is {MASK_CVV}"),
        (
            f"the security code is 987, and after a long story the card is {CARD}",
            f"the security code is {MASK_CVV}, and after a long story the card is {MASKED}",
        ),
        (f"{CARD} one two three", f"{MASKED} {MASK_CVV}"),
    ],
)
def test_expiry_and_security_code_next_to_a_card(text: str, expected: str) -> None:
    assert redact_text(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        (f"{CARD}, born 12/03/1985", f"{MASKED}, born 12/03/1985"),  # a date, not an expiry
        (f"{CARD} call me on 07700 900123", f"{MASKED} call me on 07700 900123"),
        (f"{CARD} and I have 2 of them", f"{MASKED} and I have 2 of them"),
        (
            f"{CARD}. By the way, I moved here in the year 2021",
            f"{MASKED}. By the way, I moved here in the year 2021",
        ),
    ],
)
def test_other_numbers_next_to_a_card_are_kept(text: str, expected: str) -> None:
    assert redact_text(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("my cvv is 123", f"my cvv is {MASK_CVV}"),
        ("CVV: 1234", f"CVV: {MASK_CVV}"),
        ("cvv2 987", f"cvv2 {MASK_CVV}"),
        ("CVC2=987", f"CVC2={MASK_CVV}"),
        ("cvv123", f"cvv{MASK_CVV}"),
        ("the CID is 1234", f"the CID is {MASK_CVV}"),
        ("csc 123", f"csc {MASK_CVV}"),
        ("security code 1 2 3", f"security code {MASK_CVV}"),
        ("card verification value: 123", f"card verification value: {MASK_CVV}"),
        ("cryptogramme 123", f"cryptogramme {MASK_CVV}"),
        ("le code de sécurité est 123", f"le code de sécurité est {MASK_CVV}"),
        ("code de securite 123", f"code de securite {MASK_CVV}"),
        ("codul de securitate este 123", f"codul de securitate este {MASK_CVV}"),
        ("cod de securitate 123", f"cod de securitate {MASK_CVV}"),
        ("codul cvv e 123", f"codul cvv e {MASK_CVV}"),
        ("код безпеки 123", f"код безпеки {MASK_CVV}"),
        ("мій СVV 123", f"мій СVV {MASK_CVV}"),  # Cyrillic С
        ("мій СВВ 123", f"мій СВВ {MASK_CVV}"),  # all Cyrillic
        ("saugos kodas 123", f"saugos kodas {MASK_CVV}"),
        ("saugos kodą 123", f"saugos kodą {MASK_CVV}"),
        ("安全码是123", f"安全码是{MASK_CVV}"),
        ("验证码：123", f"验证码：{MASK_CVV}"),
        ("校验码 一二三", f"校验码 {MASK_CVV}"),
        ("CVV码 123", f"CVV码 {MASK_CVV}"),
        ("cvv is one two three", f"cvv is {MASK_CVV}"),
    ],
)
def test_security_code_after_a_keyword_without_a_card(text: str, expected: str) -> None:
    assert redact_text(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("exp 12/29", f"exp {MASK_EXPIRY}"),
        ("exp. 12/29", f"exp. {MASK_EXPIRY}"),
        ("expiry date 12 / 2029", f"expiry date {MASK_EXPIRY}"),
        ("it expires 12-29", f"it expires {MASK_EXPIRY}"),
        ("valid thru 12/29", f"valid thru {MASK_EXPIRY}"),
        ("valid until 12.29", f"valid until {MASK_EXPIRY}"),
        ("exp 1229", f"exp {MASK_EXPIRY}"),
        ("exp 12 29", f"exp {MASK_EXPIRY}"),
        ("expire fin 12/29", f"expire fin {MASK_EXPIRY}"),
        ("date d'expiration : 12/29", f"date d'expiration : {MASK_EXPIRY}"),
        ("expiră 12/29", f"expiră {MASK_EXPIRY}"),
        ("data de expirare 12/29", f"data de expirare {MASK_EXPIRY}"),
        ("valabil până la 12/29", f"valabil până la {MASK_EXPIRY}"),
        ("valabil pana 12/29", f"valabil pana {MASK_EXPIRY}"),
        ("термін дії 12/29", f"термін дії {MASK_EXPIRY}"),
        ("дійсна до 12/29", f"дійсна до {MASK_EXPIRY}"),
        ("galioja iki 12/29", f"galioja iki {MASK_EXPIRY}"),
        ("galiojimo data 12/29", f"galiojimo data {MASK_EXPIRY}"),
        ("有效期12/29", f"有效期{MASK_EXPIRY}"),
        ("到期 12/29", f"到期 {MASK_EXPIRY}"),
    ],
)
def test_expiry_after_a_keyword_without_a_card(text: str, expected: str) -> None:
    assert redact_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "the meeting is 12/29 and code 123",
        "I was born on 12/03/1985",
        "my account number is 100019021001803",
        "call me on +44 7700 900123 or 07700 900123",
        "the year 2026 and 12 items",
        "order 4111111111111112",
        "cvv means card verification value",
        "my card expires soon",
        "exp 2029",  # a year, not MM/YY
        "the security code has 3 digits",
        "expert 12/29",
        "Hello, I need help with my bill from 2026-12-01, ref 12345.",
        "",
        "   ",
    ],
)
def test_other_texts_are_unchanged(text: str) -> None:
    assert redact_text(text) == text, f"{text!r} holds nothing to mask"


def test_everything_else_is_byte_for_byte_identical() -> None:
    before = "  Здравствуйте 👋\u200f\r\n\tmy card:\u00a0"
    after = " 🙏 café\u0301 \u202e ok\n"
    assert redact_text(before + CARD + after) == before + MASKED + after
    weird = "\ufeff\x00 tab\there \u2028 line \U0001f600 " * 3
    assert redact_text(weird) == weird


def test_contains_card() -> None:
    assert contains_card(f"my card is {CARD}")
    assert contains_card("quatre un un un un un un un un un un un un un un un")
    assert not contains_card("my account number is 100019021001803")
    assert not contains_card("cvv 123")


# -- redact_value ----------------------------------------------------------------


def test_redact_value_nested() -> None:
    Point = namedtuple("Point", "x y")
    value = {
        "text": f"card {CARD}",
        "4111111111111111": "a key that is a card",
        7: ["ok", {"deep": (4111111111111111, "exp 12/29")}],
        "numbers": [4111111111111111, 4111111111111111.0, 100019021001803, 12, 3.5, -4111111111111111],
        "others": [True, False, None, b"4111111111111111", Point(1, "4111111111111111")],
        "ordered": OrderedDict(a="4111111111111111"),
    }
    original = copy.deepcopy(value)
    redacted = redact_value(value)
    assert value == original, "redact_value must not mutate its input"
    assert redacted == {
        "text": f"card {MASKED}",
        MASKED: "a key that is a card",
        7: ["ok", {"deep": (MASKED, f"exp {MASK_EXPIRY}")}],
        "numbers": [MASKED, MASKED, 100019021001803, 12, 3.5, MASKED],
        "others": [True, False, None, b"4111111111111111", Point(1, MASKED)],
        "ordered": OrderedDict(a=MASKED),
    }
    assert isinstance(redacted["others"][4], Point) and isinstance(redacted["ordered"], OrderedDict)
    assert redacted["text"] is not value["text"] or value["text"] == redacted["text"]


def test_redact_value_returns_new_containers() -> None:
    value = {"a": ["b"]}
    redacted = redact_value(value)
    assert redacted == value
    assert redacted is not value and redacted["a"] is not value["a"], "containers are copies"


@pytest.mark.parametrize("value", [None, 1, 2.5, True, b"x", "plain", object])
def test_redact_value_leaves_other_values(value: object) -> None:
    assert redact_value(value) == value


# -- split cards ----------------------------------------------------------------------


def test_split_in_two() -> None:
    assert find_split_card(["4111 1111"], "1111 1111") == SplitCard((0,), MASKED)


def test_split_in_four() -> None:
    previous = ["hello", "can I pay my bill", "4111", "1111", "1111"]
    assert find_split_card(previous, "1111") == SplitCard((2, 3, 4), MASKED)


def test_split_with_leading_words_in_the_first_piece_and_trailing_words_in_the_last() -> None:
    previous = ["hi", "my card is 4111 1111"]
    result = find_split_card(previous, "1111 1111 thanks")
    assert result == SplitCard((1,), f"{MASKED} thanks"), result
    assert redact_piece(previous[1]) == f"my card is {MASK_PART}"


def test_split_then_security_code_and_expiry_in_the_last_piece() -> None:
    result = find_split_card(["4111 1111 1111"], "1111 exp 12/29 cvv 123")
    assert result == SplitCard((0,), f"{MASKED} exp {MASK_EXPIRY} cvv {MASK_CVV}"), result
    result = find_split_card(["4111 1111 1111"], "1111 123")
    assert result == SplitCard((0,), f"{MASKED} {MASK_CVV}"), result


def test_split_in_words_and_unicode_digits() -> None:
    result = find_split_card(["quatre un un un", "un un un un"], "١١١١ ١١١١")
    assert result == SplitCard((0, 1), MASKED), result


def test_split_non_card_digits_is_none() -> None:
    assert find_split_card(["1000 1902"], "1001 803") is None, "an account number is not a card"
    assert find_split_card(["+44 7700"], "900123") is None
    assert find_split_card(["4111 1111"], "1111 1112") is None, "fails the Luhn check"


def test_split_with_an_unrelated_message_between_is_none() -> None:
    assert find_split_card(["4111 1111", "what is my balance?"], "1111 1111") is None


def test_split_current_with_leading_words_is_none() -> None:
    assert find_split_card(["4111 1111"], "and 1111 1111") is None


def test_card_wholly_in_the_current_message_is_none() -> None:
    assert find_split_card([], CARD) is None
    assert find_split_card(["hello"], CARD) is None
    assert find_split_card(["12"], CARD) is None, "the card is redact_text's job"


def test_redact_piece() -> None:
    assert redact_piece("4111 1111") == MASK_PART
    assert redact_piece("4111 1111\n") == MASK_PART + "\n"
    assert redact_piece("my card is 4111-1111") == f"my card is {MASK_PART}"
    assert redact_piece("no digits here") == "no digits here"


def test_split_pieces_then_redacted_hold_no_card_digits() -> None:
    previous = ["my card is 4111", "1111 1111"]
    result = find_split_card(previous, "1111 thanks")
    assert result is not None
    pieces = [redact_piece(previous[i]) for i in result.pieces] + [result.text]
    assert all("1111" not in p.replace(MASKED, "") for p in pieces), pieces


# -- the false-positive measurement -------------------------------------------------------

#: Texts in the project's data that deliberately hold a card number (none today).
DELIBERATE_CARDS: frozenset = frozenset()


def test_project_texts_have_no_false_positives(capsys: pytest.CaptureFixture[str]) -> None:
    report = false_positives.scan()
    assert report.total > 1000, f"the scan should cover the NLU data, customers and stories: {report}"
    kinds = dict(report.scanned)
    assert kinds.get("nlu") and kinds.get("customers") and kinds.get("stories"), kinds
    unexpected = [c for c in report.changed if c.text not in DELIBERATE_CARDS]
    assert unexpected == [], f"redact_text changed texts that hold no card number: {unexpected}"
    assert false_positives.main([]) == 0
    out = capsys.readouterr().out
    assert f"scanned {report.total} texts" in out and f"changed {len(report.changed)}" in out, out


def test_strip_annotations() -> None:
    strip = false_positives.strip_annotations
    assert strip("my account is [100019021001803](account_number)") == "my account is 100019021001803"
    assert strip('it is [Fibre 500]{"entity": "plan", "role": "to"} ok') == "it is Fibre 500 ok"
    assert strip('[a](b) and [c]{"entity": "d"}') == "a and c"


@pytest.mark.parametrize("text, expected", [
    ("123", MASK_CVV), (" 4567. ", MASK_CVV), ("12/27", MASK_EXPIRY), ("09 / 2028", MASK_EXPIRY),
    ("12345", "12345"), ("13/27", "13/27"), ("what is 12 plus 30?", "what is 12 plus 30?"), ("one", "one"),
    ("card 4111 1111 1111 1111", "card [card ending 1111]"),
])
def test_a_follow_up_to_a_card_alone_is_its_code_or_expiry(text, expected) -> None:
    assert redact_follow_up(text) == expected
