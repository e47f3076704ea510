"""Find payment card numbers (PANs) in free text, however they are written.

A card number is 13–19 digits, Luhn-valid, first digit 2–6 (the ISO/IEC 7812 major
industry identifiers of the payment networks). Digits may be any Unicode decimal digit,
Chinese numerals, or number words in en/fr/ro/uk/lt (see :mod:`pii.numbers`), in groups
joined by up to three separator characters (spaces, dashes, dots, slashes, zero-width
characters, newlines …). Everything here is pure: no I/O, no state.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import List, NamedTuple, Optional, Sequence, Tuple

from pii.numbers import (
    HAN_NUMERALS,
    NumberWord,
    lookup_word,
    parse_han,
    word_initials,
    word_pattern,
)

__all__ = [
    "CardMatch",
    "DigitToken",
    "digit_tokens",
    "find_cards",
    "is_card_number",
    "is_expiry_pair",
    "is_separator",
    "is_separator_gap",
    "luhn_valid",
]

MIN_LEN = 13
MAX_LEN = 19
MAX_SEPARATOR = 3
#: A phone number has at most 15 digits (E.164); a "+" number that long is never a card.
MAX_PHONE = 15
_CARD_FIRST_DIGITS = frozenset("23456")
_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)
PLUS_SIGNS = frozenset("+\uff0b\u207a\u208a")
_EXPIRY_MARKS = frozenset("/-.\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uff0f\uff0d\uff0e")


@lru_cache(maxsize=1)
def _atom_pattern() -> "re.Pattern[str]":
    """Digit runs, Chinese numeral runs and number words (compiled on first use)."""
    return re.compile(
        rf"(?=[\d{HAN_NUMERALS}{word_initials()}])"
        rf"(?:(?P<d>\d+)|(?P<h>[{HAN_NUMERALS}]+)|(?P<w>{word_pattern()}))"
    )


@dataclass(frozen=True)
class CardMatch:
    """A card number found in a text: ``text[start:end]`` is all of it."""

    start: int
    end: int
    digits: str


@dataclass(frozen=True)
class DigitToken:
    """One group of digits in a text.

    ``kind`` is ``"digits"`` (a run of Unicode decimal digits), ``"han"`` (a run of
    Chinese numerals) or ``"words"`` (a number word, or a compound like "forty one",
    "double four", "quatre-vingt-dix-sept"). ``digits`` is its value in ASCII digits.
    """

    start: int
    end: int
    digits: str
    kind: str


class _Atom(NamedTuple):
    start: int
    end: int
    digits: str
    word: Optional[NumberWord]


def luhn_valid(digits: str) -> bool:
    """True when ``digits`` (ASCII 0-9 only, non-empty) passes the Luhn checksum."""
    if not digits or not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index & 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def is_card_number(digits: str) -> bool:
    """True for 13–19 ASCII digits, Luhn-valid, whose first digit is 2–6."""
    return MIN_LEN <= len(digits) <= MAX_LEN and digits[0] in _CARD_FIRST_DIGITS and luhn_valid(digits)


def is_separator(char: str) -> bool:
    """A character allowed between digit groups: space, punctuation, symbol, control, format."""
    if char in PLUS_SIGNS:
        return False
    category = unicodedata.category(char)
    return category[0] in "ZPS" or category in ("Cc", "Cf")


def is_separator_gap(gap: str) -> bool:
    """True when ``gap`` (the text between two digit groups) joins them: ≤3 separators."""
    if len(gap) > MAX_SEPARATOR:
        return False
    return gap in _COMMON_GAPS or _short_gap(gap)


_COMMON_GAPS = frozenset(["", " ", "-", "  ", " - ", ", ", ".", "/", "\n"])


@lru_cache(maxsize=4096)
def _short_gap(gap: str) -> bool:
    return all(map(is_separator, gap))


def _ascii_digits(run: str) -> str:
    if run.isascii():
        return run
    return "".join(str(unicodedata.digit(ch)) for ch in run)


def _atoms(text: str) -> List[_Atom]:
    atoms = []
    for match in _atom_pattern().finditer(text):
        group = match.lastgroup
        if group == "d":
            atoms.append(_Atom(match.start(), match.end(), _ascii_digits(match.group()), None))
        elif group == "h":
            atoms.append(_Atom(match.start(), match.end(), parse_han(match.group()), None))
        else:
            word = lookup_word(match.group())
            if word is not None:
                atoms.append(_Atom(match.start(), match.end(), "", word))
    return atoms


def digit_tokens(text: str) -> List[DigitToken]:
    """Every digit group of ``text`` in order: digit runs, Chinese numerals, number words."""
    atoms = _atoms(text)
    tokens: List[DigitToken] = []
    n = len(atoms)

    def joined(i: int, end: int) -> Optional[_Atom]:
        """Atom ``i`` if it exists and only separators lie between ``end`` and it."""
        if i < n and is_separator_gap(text[end : atoms[i].start]):
            return atoms[i]
        return None

    def word_of(atom: Optional[_Atom], kind: str) -> Optional[NumberWord]:
        if atom is not None and atom.word is not None and atom.word.kind == kind:
            return atom.word
        return None

    i = 0
    while i < n:
        atom = atoms[i]
        word = atom.word
        if word is None:
            kind = "han" if atom.digits and not text[atom.start].isdecimal() else "digits"
            tokens.append(DigitToken(atom.start, atom.end, atom.digits, kind))
            i += 1
            continue
        start, end, i = atom.start, atom.end, i + 1
        if word.kind == "repeat":
            nxt = joined(i, end)
            unit = word_of(nxt, "unit")
            if unit is not None:
                digits = str(unit.value) * word.value
            elif (
                nxt is not None and nxt.word is None and len(nxt.digits) == 1 and text[nxt.start].isdecimal()
            ):
                digits = nxt.digits * word.value
            else:
                continue  # a bare "double" is just a word
            assert nxt is not None
            tokens.append(DigitToken(start, nxt.end, digits, "words"))
            i += 1
            continue
        if word.kind == "connector":
            continue
        value, takes_teens = word.value, word.takes_teens
        kind = word.kind
        if kind == "unit" and word.times_twenty:
            score = joined(i, end)
            if score is not None and score.word is not None and score.word.score:
                value, kind, takes_teens, end, i = 80, "tens", True, score.end, i + 1
        if kind == "teen" and word.teen_units:
            unit_atom = joined(i, end)
            unit = word_of(unit_atom, "unit")
            if unit is not None and unit.value in word.teen_units:
                assert unit_atom is not None
                value, end, i = 10 + unit.value, unit_atom.end, i + 1
        elif kind == "tens":
            nxt = joined(i, end)
            skip = 0
            if word_of(nxt, "connector") is not None:
                assert nxt is not None
                nxt, skip = joined(i + 1, nxt.end), 1
            unit = word_of(nxt, "unit")
            teen = word_of(nxt, "teen")
            if unit is not None and unit.value > 0:
                assert nxt is not None
                value, end, i = value + unit.value, nxt.end, i + 1 + skip
            elif teen is not None and takes_teens:
                assert nxt is not None
                value, end, i = value + teen.value, nxt.end, i + 1 + skip
                tail = joined(i, end)
                tail_unit = word_of(tail, "unit")
                if tail_unit is not None and tail_unit.value in teen.teen_units:
                    assert tail is not None
                    value, end, i = value + tail_unit.value, tail.end, i + 1
        tokens.append(DigitToken(start, end, str(value), "words"))
    return tokens


def is_expiry_pair(month: str, gap: str, year: str, *, spaces: bool = False) -> bool:
    """``month gap year`` reads as a card expiry (MM/YY, MM-YYYY, MM.YY, "MM / YY")."""
    if not (1 <= len(month) <= 2 and 1 <= int(month) <= 12):
        return False
    if not (len(year) == 2 or (len(year) == 4 and year[:2] in ("19", "20"))):
        return False
    mark = gap.strip()
    if not mark:
        return spaces and bool(gap)
    return len(mark) == 1 and mark in _EXPIRY_MARKS


def _standard_lengths(digits: str) -> Tuple[int, ...]:
    """Usual lengths of the brand ``digits`` starts with: 16; Amex 15; Diners 14."""
    lengths = [16]
    if digits[:2] in ("34", "37"):
        lengths.append(15)
    if digits[:2] in ("30", "36", "38"):
        lengths.append(14)
    return tuple(lengths)


def _preferred_end(
    groups: Sequence[Tuple[str, str]], valid: Sequence[Tuple[int, int]], digits: str
) -> Tuple[int, int]:
    """Which of the valid ends (token index, length) of one start to take.

    The longest, except that a usual-length card followed by a 3–4 digit group or an
    expiry is read as card + security code / expiry: "4111 1111 1111 1111 123" is a
    16-digit card and its CVV even when all 19 digits pass the Luhn check too.
    """
    end, length = valid[-1]
    standard = _standard_lengths(digits)
    if length in standard:
        return end, length
    for short_end, short_length in reversed(valid[:-1]):
        if short_length not in standard:
            continue
        if length - short_length in (3, 4):
            return short_end, short_length
        month, year = short_end + 1, short_end + 2
        if year < len(groups) and is_expiry_pair(groups[month][0], groups[year][1], groups[year][0]):
            return short_end, short_length
    return end, length


def search_groups(groups: Sequence[Tuple[str, str]], plus: bool = False) -> List[Tuple[int, int]]:
    """Card matches in one candidate, as (first, last) group indices.

    ``groups`` are (ASCII digits, separator before it) of consecutive joined digit
    groups; ``plus`` says the first digit was directly preceded by "+" (a phone number:
    then a match from the first group needs over 15 digits). Sub-sequences start and end
    at group boundaries; the non-overlapping set that masks the most digits wins
    (earliest on ties).
    """
    n = len(groups)
    # Luhn sums of each group alone, its last digit kept (plain) or doubled.
    lengths = [len(digits) for digits, _ in groups]
    plains, doubles = [], []
    for digits, _ in groups:
        plain = doubled = 0
        for char in digits:
            value = ord(char) - 48
            plain, doubled = value + doubled, _DOUBLED[value] + plain
        plains.append(plain)
        doubles.append(doubled)
    choice: List[Optional[Tuple[int, int]]] = [None] * n
    for start in range(n):
        first = groups[start][0]
        if not first or first[0] not in _CARD_FIRST_DIGITS:
            continue
        least = MAX_PHONE + 1 if plus and start == 0 else MIN_LEN
        plain = doubled = length = 0
        valid: List[Tuple[int, int]] = []
        end = start
        while end < n:
            size = lengths[end]
            length += size
            if length > MAX_LEN:
                break
            if size & 1:
                plain, doubled = doubled + plains[end], plain + doubles[end]
            else:
                plain, doubled = plain + plains[end], doubled + doubles[end]
            if length >= least and plain % 10 == 0:
                valid.append((end, length))
            end += 1
        if valid:
            prefix = "".join(g for g, _ in groups[start : start + 3])
            choice[start] = _preferred_end(groups, valid, prefix)
    best = [0] * (n + 1)
    for start in range(n - 1, -1, -1):
        best[start] = best[start + 1]
        picked = choice[start]
        if picked is not None:
            covered = picked[1] + best[picked[0] + 1]
            if covered >= best[start]:
                best[start] = covered
            else:
                choice[start] = None
    matches = []
    start = 0
    while start < n:
        picked = choice[start]
        if picked is not None and best[start] == picked[1] + best[picked[0] + 1]:
            matches.append((start, picked[0]))
            start = picked[0] + 1
        else:
            start += 1
    return matches


def candidates(text: str, tokens: Sequence[DigitToken]) -> List[List[DigitToken]]:
    """Maximal runs of ``tokens`` joined by separator gaps."""
    runs: List[List[DigitToken]] = []
    for token in tokens:
        if runs and is_separator_gap(text[runs[-1][-1].end : token.start]):
            runs[-1].append(token)
        else:
            runs.append([token])
    return runs


_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}[0-9]{2}(?:[ \u00a0-]?[A-Za-z0-9]){11,34}")


def iban_spans(text: str) -> List[Tuple[int, int]]:
    """Where ``text`` holds an IBAN (mod-97 valid): a bank account, never a card."""
    spans = []
    for match in _IBAN.finditer(text):
        chars = [(i, ch) for i, ch in enumerate(match.group(), match.start()) if ch.isalnum()]
        for length in range(min(len(chars), 34), 14, -1):
            end = chars[length - 1][0] + 1
            if end < len(text) and text[end].isalnum():
                continue  # an IBAN ends at a group boundary
            compact = "".join(ch for _, ch in chars[:length]).upper()
            rearranged = compact[4:] + compact[:4]
            if int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1:
                spans.append((match.start(), end))
                break
    return spans


def cards_in_tokens(text: str, tokens: Sequence[DigitToken]) -> List[CardMatch]:
    """The card numbers among ``tokens`` (the digit tokens of ``text``); IBANs excluded."""
    if sum(len(t.digits) for t in tokens) < MIN_LEN:
        return []
    ibans = iban_spans(text)
    if ibans:
        tokens = [t for t in tokens if not any(a <= t.start and t.end <= b for a, b in ibans)]
    found = []
    for run in candidates(text, tokens):
        if sum(len(t.digits) for t in run) < MIN_LEN:
            continue
        groups = [(t.digits, text[run[k - 1].end : t.start] if k else "") for k, t in enumerate(run)]
        plus = run[0].start > 0 and text[run[0].start - 1] in PLUS_SIGNS
        for first, last in search_groups(groups, plus):
            digits = "".join(t.digits for t in run[first : last + 1])
            found.append(CardMatch(run[first].start, run[last].end, digits))
    return found


def find_cards(text: str) -> List[CardMatch]:
    """Every card number in ``text``, in order, non-overlapping."""
    return cards_in_tokens(text, digit_tokens(text))
