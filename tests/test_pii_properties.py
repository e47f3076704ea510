"""Property tests: a card number is masked however it is written, and nothing else is.

Numbers are rendered as digit groups (random grouping, random separators, a random
digit script per digit, Chinese numerals included) or as words in one of the six
languages (digit by digit, with teens/tens compounds and "double"), then embedded in
random text of letters that form no number word or keyword.
"""

from __future__ import annotations

import unicodedata
from typing import Callable, List, Sequence, Tuple

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pii import digit_tokens, find_split_card, is_card_number, luhn_valid, redact_piece, redact_text

Rendering = Tuple[List[Tuple[str, str]], List[str]]  # (text, digits) atoms, separators between

# -- numbers ---------------------------------------------------------------------------


def check_digit(body: str) -> str:
    return next(d for d in "0123456789" if luhn_valid(body + d))


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    length = draw(st.integers(13, 19))
    body = draw(st.sampled_from("23456")) + draw(
        st.text("0123456789", min_size=length - 2, max_size=length - 2)
    )
    return body + check_digit(body)


@st.composite
def non_card_numbers(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["first digit", "luhn", "short"]))
    if kind == "short":
        body = draw(st.sampled_from("23456")) + draw(st.text("0123456789", min_size=10, max_size=10))
        return body + check_digit(body)  # 12 digits
    length = draw(st.integers(13, 19))
    first = draw(st.sampled_from("01789" if kind == "first digit" else "23456"))
    body = first + draw(st.text("0123456789", min_size=length - 2, max_size=length - 2))
    good = check_digit(body)
    if kind == "first digit":
        return body + good
    return body + draw(st.sampled_from([d for d in "0123456789" if d != good]))


# -- rendering as digits ---------------------------------------------------------------------

HAN = "零一二三四五六七八九"
HAN_VARIANTS = {"0": "〇", "1": "幺", "2": "两"}
SCRIPT_ZEROS = [0x30, 0xFF10, 0x0660, 0x06F0, 0x0966, 0x09E6, 0x0E50, 0x1040, 0x1D7CE]
SEPARATOR_CHARS = [
    " ",
    "\u00a0",
    "\u202f",
    "\u3000",
    "\u2009",
    "-",
    "\u2013",
    "\u2014",
    "\u2212",
    ".",
    "/",
    "_",
    ",",
    "\n",
    "\t",
    "\u200b",
    "\u2060",
    "\u00ad",
    "*",
    "(",
    ")",
    "\r",
]
WORD_SEPARATORS = [" ", "  ", ", ", "-", " - ", "\u00a0", "\n", "\u3000", "\u200b ", " \u2060"]


@st.composite
def separators(draw: st.DrawFn, allow_empty: bool = True) -> str:
    return "".join(
        draw(st.lists(st.sampled_from(SEPARATOR_CHARS), min_size=0 if allow_empty else 1, max_size=3))
    )


@st.composite
def groupings(draw: st.DrawFn, length: int, at_least: int = 1) -> List[int]:
    """Random group boundaries: sorted cut positions inside 1..length-1."""
    count = draw(st.integers(at_least, min(length, 8)))
    cuts = draw(st.lists(st.integers(1, length - 1), min_size=count - 1, max_size=count - 1, unique=True))
    return sorted(cuts)


def draw_digit(draw: st.DrawFn, digit: str) -> Tuple[str, bool]:
    """One digit in a random script; True when it is a Chinese numeral."""
    if draw(st.integers(0, 9)) == 0:
        if digit in HAN_VARIANTS and draw(st.booleans()):
            return HAN_VARIANTS[digit], True
        return HAN[int(digit)], True
    return chr(draw(st.sampled_from(SCRIPT_ZEROS)) + int(digit)), False


@st.composite
def as_digits(draw: st.DrawFn, number: str, at_least: int = 1) -> Rendering:
    cuts = [0] + draw(groupings(len(number), at_least)) + [len(number)]
    atoms: List[Tuple[str, str]] = []
    seps: List[str] = []
    for a, b in zip(cuts, cuts[1:]):
        if atoms:
            seps.append(draw(separators()))
        # split a group where it changes between Chinese numerals and decimal digits
        run_text, run_digits, run_han = "", "", None
        for digit in number[a:b]:
            char, han = draw_digit(draw, digit)
            if run_han is not None and han != run_han:
                atoms.append((run_text, run_digits))
                seps.append("")
                run_text, run_digits = "", ""
            run_text, run_digits, run_han = run_text + char, run_digits + digit, han
        atoms.append((run_text, run_digits))
    return atoms, seps


# -- rendering as words -------------------------------------------------------------------------

UNITS = {
    "en": [
        ["zero", "oh"],
        ["one"],
        ["two"],
        ["three"],
        ["four"],
        ["five"],
        ["six"],
        ["seven"],
        ["eight"],
        ["nine"],
    ],
    "fr": [
        ["zéro"],
        ["un", "une"],
        ["deux"],
        ["trois"],
        ["quatre"],
        ["cinq"],
        ["six"],
        ["sept"],
        ["huit"],
        ["neuf"],
    ],
    "ro": [
        ["zero"],
        ["unu", "un", "una"],
        ["doi", "două"],
        ["trei"],
        ["patru"],
        ["cinci"],
        ["șase"],
        ["șapte"],
        ["opt"],
        ["nouă"],
    ],
    "uk": [
        ["нуль", "ноль"],
        ["один", "одна", "одне"],
        ["два", "дві"],
        ["три"],
        ["чотири"],
        ["п'ять"],
        ["шість"],
        ["сім"],
        ["вісім"],
        ["дев'ять"],
    ],
    "lt": [
        ["nulis"],
        ["vienas", "viena"],
        ["du", "dvi"],
        ["trys"],
        ["keturi", "keturios"],
        ["penki", "penkios"],
        ["šeši", "šešios"],
        ["septyni", "septynios"],
        ["aštuoni", "aštuonios"],
        ["devyni", "devynios"],
    ],
    "zh": [["零", "〇"], ["一", "幺"], ["二", "两"], ["三"], ["四"], ["五"], ["六"], ["七"], ["八"], ["九"]],
}
TEENS = {
    "en": [
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ],
    "fr": ["onze", "douze", "treize", "quatorze", "quinze", "seize", "dix-sept", "dix-huit", "dix-neuf"],
    "ro": [
        "unsprezece",
        "doisprezece",
        "treisprezece",
        "paisprezece",
        "cincisprezece",
        "șaisprezece",
        "șaptesprezece",
        "optsprezece",
        "nouăsprezece",
    ],
    "uk": [
        "одинадцять",
        "дванадцять",
        "тринадцять",
        "чотирнадцять",
        "п'ятнадцять",
        "шістнадцять",
        "сімнадцять",
        "вісімнадцять",
        "дев'ятнадцять",
    ],
    "lt": [
        "vienuolika",
        "dvylika",
        "trylika",
        "keturiolika",
        "penkiolika",
        "šešiolika",
        "septyniolika",
        "aštuoniolika",
        "devyniolika",
    ],
}
TENS = {
    "en": ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"],
    "fr": ["vingt", "trente", "quarante", "cinquante", "soixante"],
    "ro": ["douăzeci", "treizeci", "patruzeci", "cincizeci", "șaizeci", "șaptezeci", "optzeci", "nouăzeci"],
    "uk": ["двадцять", "тридцять", "сорок", "п'ятдесят", "шістдесят", "сімдесят", "вісімдесят", "дев'яносто"],
    "lt": [
        "dvidešimt",
        "trisdešimt",
        "keturiasdešimt",
        "penkiasdešimt",
        "šešiasdešimt",
        "septyniasdešimt",
        "aštuoniasdešimt",
        "devyniasdešimt",
    ],
}
ACCENTS = {
    "ro": {"ș": "șşs", "ț": "țţt", "ă": "ăa", "â": "âa", "î": "îi"},
    "fr": {"é": "ée"},
    "uk": {"'": "'’ʼ"},
    "lt": {"š": "šs", "ū": "ūu", "ė": "ėe"},
}


def french_pair(tens: int, unit: int) -> str:
    if tens == 1:
        return TEENS["fr"][unit - 1]
    if tens in (7, 9):  # soixante-dix…, quatre-vingt-dix…
        head = "soixante" if tens == 7 else "quatre-vingt"
        teen = TEENS["fr"][unit - 1] if unit else "dix"
        joiner = " et " if (tens, unit) == (7, 1) else "-"
        return head + joiner + teen
    if tens == 8:
        return "quatre-vingt-" + UNITS["fr"][unit][0]
    joiner = " et " if unit == 1 else "-"
    return TENS["fr"][tens - 2] + joiner + UNITS["fr"][unit][0]


def pair_words(language: str, tens: int, unit: int, draw: st.DrawFn) -> str:
    """A two-digit number (both digits 1–9) as one compound: 41 → "forty one"."""
    if language == "fr":
        return french_pair(tens, unit)
    if language == "zh":
        return ("十" if tens == 1 else HAN[tens] + "十") + HAN[unit]
    if tens == 1:
        return TEENS[language][unit - 1]
    unit_word = draw(st.sampled_from(UNITS[language][unit]))
    joiner = {"en": draw(st.sampled_from([" ", "-"])), "ro": draw(st.sampled_from([" și ", " si ", " şi "]))}
    return TENS[language][tens - 2] + joiner.get(language, " ") + unit_word


def accents(language: str, word: str, draw: st.DrawFn) -> str:
    for plain, options in ACCENTS.get(language, {}).items():
        if plain in word:
            word = word.replace(plain, draw(st.sampled_from(options)))
    case: Callable[[str], str] = draw(st.sampled_from([str.lower, str.upper, str.title]))
    return case(word)


@st.composite
def as_words(draw: st.DrawFn, number: str, at_least: int = 1) -> Rendering:
    language = draw(st.sampled_from(["en", "fr", "ro", "uk", "lt", "zh"]))
    atoms: List[Tuple[str, str]] = []
    compound: List[bool] = []
    i = 0
    while i < len(number):
        digit = number[i]
        rest = number[i:]
        choice = draw(st.integers(0, 3))
        after_quatre = language == "fr" and atoms and atoms[-1][1] == "4" and not compound[-1]
        if (
            choice == 0
            and len(rest) >= 2
            and rest[0] != "0"
            and rest[1] != "0"
            and not (after_quatre and rest[0] == "2")  # "quatre vingt-deux" would read 80…
        ):
            atoms.append((pair_words(language, int(rest[0]), int(rest[1]), draw), rest[:2]))
            compound.append(True)
            i += 2
            continue
        run = len(rest) - len(rest.lstrip(digit))
        if language == "en" and choice == 1 and run >= 2:
            times = min(run, draw(st.sampled_from([2, 3])))
            word = {2: "double", 3: "triple"}[times] + " " + draw(st.sampled_from(UNITS["en"][int(digit)]))
            atoms.append((word, digit * times))
            compound.append(True)
            i += times
            continue
        atoms.append((draw(st.sampled_from(UNITS[language][int(digit)])), digit))
        compound.append(False)
        i += 1
    assume(len(atoms) >= at_least)
    atoms = [(accents(language, text, draw), digits) for text, digits in atoms]
    seps = []
    for k in range(1, len(atoms)):
        if language == "zh" and not compound[k - 1] and not compound[k] and draw(st.booleans()):
            seps.append("")
        else:
            seps.append(draw(st.sampled_from(WORD_SEPARATORS)))
    return atoms, seps


@st.composite
def renderings(draw: st.DrawFn, number: str, at_least: int = 1) -> Rendering:
    if draw(st.booleans()):
        return draw(as_digits(number, at_least))
    return draw(as_words(number, at_least))


def joined(rendering: Rendering) -> str:
    atoms, seps = rendering
    out = atoms[0][0]
    for sep, (text, _) in zip(seps, atoms[1:]):
        out += sep + text
    return out


# -- surrounding text: letters that spell no number word and no keyword ---------------------------

FILLER = "bdfghjklmnpqrstwxzBDFGHJKLMNPQRSTWXZжшщЖШЩ"
words = st.lists(st.text(FILLER, min_size=1, max_size=8), min_size=0, max_size=3).map(" ".join)


def embed(prefix: str, number: str, suffix: str) -> str:
    return (prefix + " " if prefix else "") + number + (" " + suffix if suffix else "")


# -- checks --------------------------------------------------------------------------------------------


def ascii_digits(text: str) -> str:
    """Every Unicode decimal digit and Chinese numeral of ``text``, in ASCII, separators deleted."""
    out = []
    for char in text:
        if char.isdecimal():
            out.append(str(unicodedata.digit(char)))
        elif char in HAN or char in "〇幺两":
            out.append(str(HAN.index(char)) if char in HAN else {"〇": "0", "幺": "1", "两": "2"}[char])
    return "".join(out)


def spoken_digits(text: str) -> str:
    """The digits of ``text`` as pii reads them (number words included)."""
    return "".join(t.digits for t in digit_tokens(text))


def assert_no_card(out: str, card: str, original: str) -> None:
    for digits in (ascii_digits(out), spoken_digits(out)):
        assert card not in digits, f"card {card} still readable in {out!r} (from {original!r})"
        assert card[:12] not in digits, f"first 12 digits of {card} left in {out!r} (from {original!r})"


def endings(card: str) -> List[str]:
    """The last four the mask may show.

    The card's own, or — the documented policy — when a usual-length prefix (16; Amex
    15; Diners 14) is itself Luhn-valid, that prefix read as the card and the 1–4 digits
    after it as a security code or expiry.
    """
    allowed = [card[-4:]]
    allowed += [card[s - 4 : s] for s in (14, 15, 16) if s < len(card) and luhn_valid(card[:s])]
    return allowed


def ambiguous(card: str) -> bool:
    return len(endings(card)) > 1


# -- properties ------------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(data=st.data(), card=card_numbers(), prefix=words, suffix=words)
def test_every_rendering_of_a_card_is_masked(
    data: st.DataObject, card: str, prefix: str, suffix: str
) -> None:
    number = joined(data.draw(renderings(card)))
    text = embed(prefix, number, suffix)
    out = redact_text(text)
    assert number not in out, f"{number!r} left in {out!r}"
    assert_no_card(out, card, text)
    assert any(
        f"[card ending {end}]" in out for end in endings(card)
    ), f"{text!r} -> {out!r}: the mask should show the last four {card[-4:]}"
    if prefix:
        assert out.startswith(prefix + " "), f"the text before the card changed: {out!r}"
    if suffix:
        assert out.endswith(" " + suffix), f"the text after the card changed: {out!r}"


@settings(max_examples=300, deadline=None)
@given(data=st.data(), card=card_numbers(), count=st.integers(2, 4), lead=words, tail=words)
def test_a_card_split_over_messages_is_found(
    data: st.DataObject, card: str, count: int, lead: str, tail: str
) -> None:
    assume(not ambiguous(card))  # a valid usual-length prefix may end the card early (see endings)
    atoms, seps = data.draw(renderings(card, at_least=count))
    cuts = sorted(
        data.draw(
            st.lists(st.integers(1, len(atoms) - 1), min_size=count - 1, max_size=count - 1, unique=True)
        )
    )
    pieces = []
    for a, b in zip([0] + cuts, cuts + [len(atoms)]):
        piece = atoms[a][0]
        for k in range(a + 1, b):
            piece += seps[k - 1] + atoms[k][0]
        if b < len(atoms) and seps[b - 1].strip():
            piece += seps[b - 1]  # a trailing mark stays with its message
        pieces.append(piece)
    if lead:
        pieces[0] = lead + " " + pieces[0]
    if tail:
        pieces[-1] = pieces[-1] + " " + tail
    result = find_split_card(pieces[:-1], pieces[-1])
    assert result is not None, f"no card found in {pieces!r}"
    assert result.pieces == tuple(
        range(count - 1)
    ), f"{pieces!r}: every earlier piece holds part, got {result}"
    redacted = [redact_piece(pieces[i]) for i in result.pieces] + [result.text]
    whole = "\n".join(redacted)
    assert_no_card(whole, card, repr(pieces))
    assert f"[card ending {card[-4:]}]" in result.text, f"{pieces!r} -> {result.text!r}"


@settings(max_examples=300, deadline=None)
@given(data=st.data(), number=non_card_numbers(), prefix=words, suffix=words)
def test_numbers_that_are_not_cards_are_kept(
    data: st.DataObject, number: str, prefix: str, suffix: str
) -> None:
    atoms, seps = data.draw(renderings(number))
    groups: Sequence[str] = [digits for _, digits in atoms]
    for i in range(len(groups)):
        for j in range(i + 1, len(groups) + 1):
            assume(not is_card_number("".join(groups[i:j])))  # no aligned part is a card either
    text = embed(prefix, joined((atoms, seps)), suffix)
    assert redact_text(text) == text, f"{number} rendered as {text!r} is not a card number"
