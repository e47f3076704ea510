"""pii.cards: card numbers are found however they are written, and nothing else is."""

from __future__ import annotations

from typing import Iterator, List

import pytest

from pii.cards import CardMatch, digit_tokens, find_cards, is_card_number, luhn_valid
from pii.numbers import CONFLICTS, HAN_DIGITS, LANGUAGES, lookup_word, normalize_word, parse_han

CARD = "4539148803436467"  # a Luhn-valid Visa test number with varied digits
GROUPS = ["4539", "1488", "0343", "6467"]


def found(text: str) -> List[str]:
    return [match.digits for match in find_cards(text)]


def assert_one_card(text: str, digits: str, covered: str) -> None:
    """``text`` holds exactly one card, ``digits``, spelled as ``covered``."""
    matches = find_cards(text)
    assert [m.digits for m in matches] == [digits], f"expected {digits} in {text!r}, got {matches}"
    match = matches[0]
    assert (
        text[match.start : match.end] == covered
    ), f"the match should cover {covered!r} exactly, covers {text[match.start:match.end]!r}"


def test_the_test_card_is_a_card() -> None:
    assert is_card_number(CARD), "the fixture card must be valid for these tests to mean anything"


# -- separators --------------------------------------------------------------

SEPARATORS = {
    "space": " ",
    "double space": "  ",
    "no-break space": "\u00a0",
    "narrow no-break space": "\u202f",
    "ideographic space": "\u3000",
    "thin space": "\u2009",
    "hyphen": "-",
    "en dash": "\u2013",
    "em dash": "\u2014",
    "minus sign": "\u2212",
    "dot": ".",
    "slash": "/",
    "underscore": "_",
    "spaced hyphen": " - ",
    "comma space": ", ",
    "newline": "\n",
    "crlf": "\r\n",
    "tab": "\t",
    "zero-width space": "\u200b",
    "word joiner": "\u2060",
    "soft hyphen": "\u00ad",
    "none": "",
}


@pytest.mark.parametrize("separator", list(SEPARATORS.values()), ids=list(SEPARATORS))
def test_each_separator_joins_groups(separator: str) -> None:
    number = separator.join(GROUPS)
    assert_one_card(f"my card is {number} thanks", CARD, number)


def test_mixed_separators_and_groupings() -> None:
    number = "4539 148-80343\u00a06467"
    assert_one_card(f"card: {number}.", CARD, number)
    amex = "3782 822463 10005"
    assert_one_card(f"amex {amex}", "378282246310005", amex)


def test_four_separators_break_a_candidate() -> None:
    assert found("4539    1488 0343 6467") == [], "more than 3 separator characters split the number"


@pytest.mark.parametrize("text", ["4539 1488 x 0343 6467", "4539 1488 and 0343 6467", "4539+1488+0343+6467"])
def test_letters_and_plus_break_a_candidate(text: str) -> None:
    assert found(text) == [], f"{text!r}: a letter or '+' between groups must break the number"


def test_match_offsets_cover_the_original_characters() -> None:
    text = "pay with ٤٥٣٩ ١٤٨٨ 0343 6467 now"
    match = find_cards(text)[0]
    assert match == CardMatch(9, 28, CARD), match
    assert text[: match.start] == "pay with " and text[match.end :] == " now"


# -- Unicode digits and Chinese numerals ----------------------------------------


def to_script(digits: str, zero: int) -> str:
    return "".join(chr(zero + int(d)) for d in digits)


SCRIPTS = {
    "fullwidth": 0xFF10,
    "arabic-indic": 0x0660,
    "extended arabic-indic": 0x06F0,
    "devanagari": 0x0966,
    "bengali": 0x09E6,
    "thai": 0x0E50,
    "mathematical bold": 0x1D7CE,
}


@pytest.mark.parametrize("zero", list(SCRIPTS.values()), ids=list(SCRIPTS))
def test_unicode_decimal_digits(zero: int) -> None:
    number = " ".join(to_script(group, zero) for group in GROUPS)
    assert_one_card(f"card {number}", CARD, number)


def test_digits_of_mixed_scripts_in_one_group() -> None:
    number = "４5٣9 1४88 ０343 6467"
    assert_one_card(number, CARD, number)


def test_chinese_numerals() -> None:
    han = {str(v): k for k, v in HAN_DIGITS.items() if k not in "幺两兩〇"}
    number = "".join(han[d] for d in CARD)
    assert_one_card(f"我的卡号是{number}谢谢", CARD, number)
    yao = "四幺幺幺 幺幺幺幺 幺幺幺幺 幺幺幺幺"
    assert_one_card(f"卡号{yao}", "4111111111111111", yao)
    assert parse_han("两〇二六") == "2026", "两 is 2 and 〇 is 0"


@pytest.mark.parametrize(
    "run, digits",
    [
        ("十", "10"),
        ("十一", "11"),
        ("四十", "40"),
        ("四十一", "41"),
        ("四十一十二", "4112"),
        ("四一一一", "4111"),
    ],
)
def test_chinese_tens(run: str, digits: str) -> None:
    assert parse_han(run) == digits, f"{run} should read {digits}"


# -- number words --------------------------------------------------------------

DIGIT_BY_DIGIT = {
    "en": "four five three nine one four eight eight zero three four three six four six seven",
    "en-oh": "Four Five Three Nine, One Four Eight Eight, Oh Three Four Three, Six Four Six Seven",
    "fr": "quatre cinq trois neuf un quatre huit huit zéro trois quatre trois six quatre six sept",
    "ro": "patru cinci trei nouă unu patru opt opt zero trei patru trei șase patru șase șapte",
    "ro-no-diacritics": "patru cinci trei noua unu patru opt opt zero trei patru trei sase patru sase sapte",
    "ro-cedilla": "patru cinci trei nouă unu patru opt opt zero trei patru trei şase patru şase şapte",
    "uk": "чотири п'ять три дев'ять один чотири вісім вісім нуль три чотири три шість чотири шість сім",
    "uk-apostrophes": "чотири п’ять три девʼять один чотири вісім вісім нуль три чотири три шість чотири шість сім",
    "lt": "keturi penki trys devyni vienas keturi aštuoni aštuoni nulis trys keturi trys šeši keturi šeši septyni",
    "zh": "四 五 三 九 一 四 八 八 零 三 四 三 六 四 六 七",
}


@pytest.mark.parametrize("spoken", list(DIGIT_BY_DIGIT.values()), ids=list(DIGIT_BY_DIGIT))
def test_card_read_digit_by_digit(spoken: str) -> None:
    assert_one_card(f"ok {spoken} thanks", CARD, spoken)


TENS = {
    "en": "forty-five thirty nine fourteen eighty eight oh three forty three sixty four sixty seven",
    "fr": "quarante-cinq trente-neuf quatorze quatre-vingt-huit zéro trois quarante-trois soixante-quatre soixante-sept",
    "ro": "patruzeci și cinci treizeci și nouă paisprezece optzeci și opt zero trei patruzeci si trei "
    "șaizeci și patru șaizeci și șapte",
    "uk": "сорок п'ять тридцять дев'ять чотирнадцять вісімдесят вісім нуль три сорок три "
    "шістдесят чотири шістдесят сім",
    "lt": "keturiasdešimt penki trisdešimt devyni keturiolika aštuoniasdešimt aštuoni nulis trys "
    "keturiasdešimt trys šešiasdešimt keturi šešiasdešimt septyni",
    "zh": "四十五 三十九 十四 八十八 零 三 四十三 六十四 六十七",
}


@pytest.mark.parametrize("spoken", list(TENS.values()), ids=list(TENS))
def test_card_read_in_pairs(spoken: str) -> None:
    assert_one_card(spoken, CARD, spoken)


def test_forty_one_eleven() -> None:
    spoken = "forty one eleven eleven eleven eleven eleven eleven eleven"
    assert_one_card(spoken, "4111111111111111", spoken)
    spoken_fr = "quarante et un onze onze onze onze onze onze onze"
    assert_one_card(spoken_fr, "4111111111111111", spoken_fr)


def test_double_and_triple() -> None:
    spoken = "four five three nine one four double eight oh three four three six four six seven"
    assert_one_card(spoken, CARD, spoken)
    assert [t.digits for t in digit_tokens("triple one, double oh")] == ["111", "00"]


@pytest.mark.parametrize(
    "words, digits",
    [
        ("soixante-dix-sept", "77"),
        ("soixante et onze", "71"),
        ("quatre-vingts", "80"),
        ("quatre-vingt-un", "81"),
        ("quatre-vingt-dix-neuf", "99"),
        ("vingt et un", "21"),
        ("dix-huit", "18"),
        ("douăzeci și unu", "21"),
        ("nouăsprezece", "19"),
        ("дев'яносто дев'ять", "99"),
        ("devyniasdešimt devyni", "99"),
        ("forty-one", "41"),
        ("twenty", "20"),
        ("twenty zero", "200"),
        ("ten one", "101"),
    ],
)
def test_compound_numbers(words: str, digits: str) -> None:
    got = "".join(t.digits for t in digit_tokens(words))
    assert got == digits, f"{words!r} should read {digits}, read {got}"


def test_every_table_word_is_recognised() -> None:
    for language, vocab in LANGUAGES.items():
        for table in (vocab.units, vocab.teens, vocab.tens):
            for word, value in table.items():
                for variant in (word, word.upper(), normalize_word(word)):
                    tokens = digit_tokens(f"x {variant} x")
                    assert [t.digits for t in tokens] == [
                        str(value)
                    ], f"{language} {variant!r} should read {value}, got {tokens}"


def test_tables_do_not_conflict() -> None:
    assert CONFLICTS == (), f"words meaning different things in two languages: {CONFLICTS}"
    assert lookup_word("ȘAPTE") == lookup_word("sapte") == lookup_word("şapte")


@pytest.mark.parametrize("text", ["someone phoned", "bonbon", "the unusual", "dvigubas", "tone", "seizure"])
def test_digit_words_inside_other_words_are_not_digits(text: str) -> None:
    assert digit_tokens(text) == [], f"{text!r} holds no digit word"


# -- card brands -------------------------------------------------------------------


@pytest.mark.parametrize(
    "brand, number",
    [
        ("amex 15", "378282246310005"),
        ("amex 15 (371)", "371449635398431"),
        ("visa 13", "4222222222222"),
        ("visa 16", "4111111111111111"),
        ("visa 19", "4000000000000000006"),
        ("mastercard", "5105105105105100"),
        ("mastercard 2-series", "2223003122003222"),
        ("diners 14", "30569309025904"),
        ("diners 14 (38)", "38520000023237"),
        ("discover", "6011111111111117"),
        ("jcb", "3530111333300000"),
        ("unionpay", "6200000000000005"),
        ("maestro", "6759649826438453"),
    ],
)
def test_brands(brand: str, number: str) -> None:
    assert is_card_number(number), f"{brand} {number} should be a card number"
    assert_one_card(f"card {number} ok", number, number)


# -- things that are not cards -------------------------------------------------------


def luhn_complete(prefix: str) -> str:
    """``prefix`` plus the check digit that makes it Luhn-valid."""
    return next(prefix + d for d in "0123456789" if luhn_valid(prefix + d))


@pytest.mark.parametrize(
    "text",
    [
        "+44 7700 900123",
        "07700 900123",
        "+86 138 0013 8000",
        "+370 612 34567",
        "+33 6 12 34 56 78",
        "+380 67 123 4567",
        "+" + luhn_complete("491512345678"),  # a Luhn-valid 13-digit "+" phone number
        "+49 1512 " + luhn_complete("491512345678")[6:],
        "100019021001803",
        "1000 1902 1001 803",
        luhn_complete("10001902100180"),  # a Luhn-valid account number: starts with 1
        "born 12/03/1985",
        "due 2026-12-01",
        "12/03/1985 2026-12-01",
        "order 4111111111111112",  # fails the Luhn check
        "41111111111111111111",  # 20 digits, no separators
        "4111111111111111111111111",
        luhn_complete("711111111111111"),
        luhn_complete("811111111111111"),
        luhn_complete("911111111111111"),
        luhn_complete("011111111111111"),
        luhn_complete("41111111111"),  # 12 digits
    ],
)
def test_not_cards(text: str) -> None:
    assert found(text) == [], f"{text!r} is not a card number"


def test_the_luhn_valid_phone_would_otherwise_be_a_card() -> None:
    number = luhn_complete("491512345678")
    assert found(number) == [number], "without the '+' this 13-digit number is a card number"


def test_a_plus_number_too_long_for_a_phone_is_still_a_card() -> None:
    assert found("+4111 1111 1111 1111") == ["4111111111111111"], "16 digits can't be an E.164 phone"


def test_luhn() -> None:
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")
    assert not luhn_valid(""), "empty is not valid"
    assert not luhn_valid("٤١١١١١١١١١١١١١١١"), "luhn_valid takes ASCII digits only"
    assert not luhn_valid("4111 1111 1111 1111")


@pytest.mark.parametrize(
    "digits, expected",
    [
        ("4111111111111111", True),
        ("4222222222222", True),
        ("422222222222", False),  # 12 digits
        ("4" + "0" * 18 + "6", False),  # 20 digits
        ("1" + "0" * 14 + "8", False),
        (luhn_complete("711111111111111"), False),
        (luhn_complete("011111111111111"), False),
        ("４１１１１１１１１１１１１１１１", False),  # not ASCII
    ],
)
def test_is_card_number(digits: str, expected: bool) -> None:
    assert is_card_number(digits) is expected, f"is_card_number({digits!r}) should be {expected}"


# -- which sub-sequence is the card ------------------------------------------------------


def _cards(count: int = 400) -> Iterator[str]:
    """Some varied 16-digit Visa numbers."""
    for n in range(count):
        yield luhn_complete(f"4{(n * 7_919_000_003 + 12_345) % 10**14:014d}")


def test_a_card_inside_a_longer_run_of_groups() -> None:
    text = "ref 1000 1902 4111 1111 1111 1111"
    assert found(text) == ["4111111111111111"], "the card starts at a later group boundary"
    assert found("100019021001803 4111 1111 1111 1111") == ["4111111111111111"]


def test_two_cards_in_one_candidate() -> None:
    assert found("4111 1111 1111 1111, 5105 1051 0510 5100") == ["4111111111111111", "5105105105105100"]


def test_a_stray_digit_before_the_card_does_not_hide_it() -> None:
    # "p + first 12 digits" is itself a 13-digit card, but the whole 16-digit card masks more.
    for card in _cards():
        for p in "23456":
            if luhn_valid(p + card[:12]) and not luhn_valid(p + card):
                spaced = " ".join(card[i : i + 4] for i in range(0, 16, 4))
                assert found(f"item {p} {spaced}") == [card], f"{p} {spaced}: the 16-digit card must win"
                return
    pytest.fail("no example found")  # pragma: no cover


def test_a_security_code_after_the_card_is_not_read_as_part_of_it() -> None:
    for card in _cards():
        code = next((f"{i:03d}" for i in range(1000) if luhn_valid(card + f"{i:03d}")), None)
        if code is not None:
            spaced = " ".join(card[i : i + 4] for i in range(0, 16, 4))
            assert found(f"{spaced} {code}") == [
                card
            ], f"{spaced} {code}: a 16-digit card and its CVV, though all 19 digits pass Luhn"
            return
    pytest.fail("no example found")  # pragma: no cover


def test_an_expiry_after_the_card_is_not_read_as_part_of_it() -> None:
    # (card + "MM" never passes Luhn when the card does; card + "M" can.)
    for card in _cards():
        for month in range(1, 10):
            if luhn_valid(card + str(month)):
                text = f"{card} {month}/29"
                assert found(text) == [card], f"{text}: the month belongs to the expiry"
                return
    pytest.fail("no example found")  # pragma: no cover


def test_digit_tokens_kinds_and_offsets() -> None:
    text = "4111 forty one 四十一 ٤"
    tokens = digit_tokens(text)
    assert [(t.digits, t.kind, text[t.start : t.end]) for t in tokens] == [
        ("4111", "digits", "4111"),
        ("41", "words", "forty one"),
        ("41", "han", "四十一"),
        ("4", "digits", "٤"),
    ]


@pytest.mark.parametrize(
    "iban",
    [
        "DE89 3704 0044 0532 0130 00",
        "DE89370400440532013000",
        "de89 3704 0044 0532 0130 00",
        "GB82 WEST 1234 5698 7654 32",
        "FR14 2004 1010 0505 0001 3M02 606",
        "LT12 1000 0111 0100 1000",
        "RO49 AAAA 1B31 0075 9384 0000",
    ],
)
def test_ibans_are_bank_accounts_not_cards(iban: str) -> None:
    assert found(f"my IBAN is {iban}, thanks") == [], f"{iban} is a (mod-97 valid) IBAN, not a card"


def test_an_invalid_iban_does_not_hide_a_card() -> None:
    assert found("XX11 4111 1111 1111 1111") == ["4111111111111111"], "XX11… fails mod-97: not an IBAN"
