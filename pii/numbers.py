"""Digit words of the product's six languages (en, fr, ro, uk, lt, zh), as data.

Each language is one :class:`Vocabulary` table. Words are written in their proper
spelling; lookups go through :func:`normalize_word`, which folds case, strips
diacritics (Romanian ș/ş/s, ț/ţ/t, ă/a; French é/e; Lithuanian š/s) and drops
apostrophes (Ukrainian п'ять / п’ять / пʼять / пять), so every variant matches.

Chinese numerals are characters, not words: :data:`HAN_DIGITS` and :func:`parse_han`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Tuple

__all__ = [
    "HAN_DIGITS",
    "HAN_NUMERALS",
    "HAN_TEN",
    "LANGUAGES",
    "NumberWord",
    "Vocabulary",
    "lookup_word",
    "normalize_word",
    "parse_han",
    "word_initials",
    "word_pattern",
]

_APOSTROPHES = "'\u2019\u02bc\u2018`\u00b4"


@dataclass(frozen=True)
class Vocabulary:
    """One language's number words.

    ``units`` are 0–9, ``teens`` 10–19, ``tens`` 20, 30 … 90. A tens word followed by a
    unit 1–9 combines ("forty one" → 41), optionally through a ``connectors`` word
    ("vingt et un", "douăzeci și unu"). ``repeaters`` repeat the next unit ("double
    four" → 44). The French specials: ``teen_compounds`` (dix + sept/huit/neuf → 17–19),
    ``times_twenty`` × ``scores`` (quatre-vingt → 80) and ``teen_taking_tens``
    (soixante-dix → 70; quatre-vingt-dix → 90).
    """

    language: str
    units: Mapping[str, int]
    teens: Mapping[str, int]
    tens: Mapping[str, int]
    connectors: FrozenSet[str] = frozenset()
    repeaters: Mapping[str, int] = field(default_factory=dict)
    teen_compounds: Mapping[str, FrozenSet[int]] = field(default_factory=dict)
    times_twenty: FrozenSet[str] = frozenset()
    scores: FrozenSet[str] = frozenset()
    teen_taking_tens: FrozenSet[str] = frozenset()


ENGLISH = Vocabulary(
    language="en",
    units={
        "zero": 0,
        "oh": 0,
        "nought": 0,
        "one": 1,
        "two": 2,
        "three": 3,
        "four": 4,
        "five": 5,
        "six": 6,
        "seven": 7,
        "eight": 8,
        "nine": 9,
    },
    teens={
        "ten": 10,
        "eleven": 11,
        "twelve": 12,
        "thirteen": 13,
        "fourteen": 14,
        "fifteen": 15,
        "sixteen": 16,
        "seventeen": 17,
        "eighteen": 18,
        "nineteen": 19,
    },
    tens={
        "twenty": 20,
        "thirty": 30,
        "forty": 40,
        "fourty": 40,
        "fifty": 50,
        "sixty": 60,
        "seventy": 70,
        "eighty": 80,
        "ninety": 90,
    },
    repeaters={"double": 2, "triple": 3},
)

FRENCH = Vocabulary(
    language="fr",
    units={
        "zéro": 0,
        "un": 1,
        "une": 1,
        "deux": 2,
        "trois": 3,
        "quatre": 4,
        "cinq": 5,
        "six": 6,
        "sept": 7,
        "huit": 8,
        "neuf": 9,
    },
    teens={
        "dix": 10,
        "onze": 11,
        "douze": 12,
        "treize": 13,
        "quatorze": 14,
        "quinze": 15,
        "seize": 16,
    },
    tens={
        "vingt": 20,
        "vingts": 20,
        "trente": 30,
        "quarante": 40,
        "cinquante": 50,
        "soixante": 60,
        "septante": 70,
        "huitante": 80,
        "octante": 80,
        "nonante": 90,
    },
    connectors=frozenset({"et"}),
    teen_compounds={"dix": frozenset({7, 8, 9})},
    times_twenty=frozenset({"quatre"}),
    scores=frozenset({"vingt", "vingts"}),
    teen_taking_tens=frozenset({"soixante"}),
)

ROMANIAN = Vocabulary(
    language="ro",
    units={
        "zero": 0,
        "unu": 1,
        "un": 1,
        "una": 1,
        "doi": 2,
        "două": 2,
        "trei": 3,
        "patru": 4,
        "cinci": 5,
        "șase": 6,
        "șapte": 7,
        "opt": 8,
        "nouă": 9,
    },
    teens={
        "zece": 10,
        "unsprezece": 11,
        "doisprezece": 12,
        "douăsprezece": 12,
        "treisprezece": 13,
        "paisprezece": 14,
        "patrusprezece": 14,
        "cincisprezece": 15,
        "șaisprezece": 16,
        "șaptesprezece": 17,
        "optsprezece": 18,
        "nouăsprezece": 19,
        # spoken forms
        "unșpe": 11,
        "doișpe": 12,
        "douășpe": 12,
        "treișpe": 13,
        "paișpe": 14,
        "cinșpe": 15,
        "șaișpe": 16,
        "șaptișpe": 17,
        "optișpe": 18,
        "nouășpe": 19,
    },
    tens={
        "douăzeci": 20,
        "treizeci": 30,
        "patruzeci": 40,
        "cincizeci": 50,
        "șaizeci": 60,
        "șaptezeci": 70,
        "optzeci": 80,
        "nouăzeci": 90,
    },
    connectors=frozenset({"și"}),
)

UKRAINIAN = Vocabulary(
    language="uk",
    units={
        "нуль": 0,
        "ноль": 0,
        "один": 1,
        "одна": 1,
        "одне": 1,
        "одну": 1,
        "два": 2,
        "дві": 2,
        "три": 3,
        "чотири": 4,
        "п'ять": 5,
        "шість": 6,
        "сім": 7,
        "вісім": 8,
        "дев'ять": 9,
    },
    teens={
        "десять": 10,
        "одинадцять": 11,
        "дванадцять": 12,
        "тринадцять": 13,
        "чотирнадцять": 14,
        "п'ятнадцять": 15,
        "шістнадцять": 16,
        "сімнадцять": 17,
        "вісімнадцять": 18,
        "дев'ятнадцять": 19,
    },
    tens={
        "двадцять": 20,
        "тридцять": 30,
        "сорок": 40,
        "п'ятдесят": 50,
        "шістдесят": 60,
        "сімдесят": 70,
        "вісімдесят": 80,
        "дев'яносто": 90,
    },
)

LITHUANIAN = Vocabulary(
    language="lt",
    units={
        "nulis": 0,
        "vienas": 1,
        "viena": 1,
        "du": 2,
        "dvi": 2,
        "trys": 3,
        "keturi": 4,
        "keturios": 4,
        "penki": 5,
        "penkios": 5,
        "šeši": 6,
        "šešios": 6,
        "septyni": 7,
        "septynios": 7,
        "aštuoni": 8,
        "aštuonios": 8,
        "devyni": 9,
        "devynios": 9,
    },
    teens={
        "dešimt": 10,
        "vienuolika": 11,
        "dvylika": 12,
        "trylika": 13,
        "keturiolika": 14,
        "penkiolika": 15,
        "šešiolika": 16,
        "septyniolika": 17,
        "aštuoniolika": 18,
        "devyniolika": 19,
    },
    tens={
        "dvidešimt": 20,
        "trisdešimt": 30,
        "keturiasdešimt": 40,
        "penkiasdešimt": 50,
        "šešiasdešimt": 60,
        "septyniasdešimt": 70,
        "aštuoniasdešimt": 80,
        "devyniasdešimt": 90,
    },
)

#: Chinese digit characters (幺 "yao" is 1 when reading out numbers; 两 is 2).
HAN_DIGITS: Mapping[str, int] = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "幺": 1,
    "二": 2,
    "两": 2,
    "兩": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
HAN_TEN = "十"
HAN_NUMERALS = "".join(HAN_DIGITS) + HAN_TEN

#: The tables, by language code (Chinese is character-based: see HAN_DIGITS).
LANGUAGES: Mapping[str, Vocabulary] = {
    v.language: v for v in (ENGLISH, FRENCH, ROMANIAN, UKRAINIAN, LITHUANIAN)
}


@dataclass(frozen=True)
class NumberWord:
    """What one normalized word means: ``kind`` is unit, teen, tens, connector or repeat."""

    value: int
    kind: str
    teen_units: FrozenSet[int] = frozenset()  # dix: the units it combines with
    times_twenty: bool = False  # quatre (× vingt)
    score: bool = False  # vingt(s)
    takes_teens: bool = False  # soixante (+ dix … dix-neuf)


def normalize_word(word: str) -> str:
    """Case-folded ``word`` without diacritics or apostrophes (the lookup key)."""
    folded = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in folded if not unicodedata.combining(ch) and ch not in _APOSTROPHES)


def _build() -> Tuple[Dict[str, NumberWord], Tuple[str, ...]]:
    """Merge the tables into one lookup; returns it and any conflicting keys."""
    table: Dict[str, NumberWord] = {}
    conflicts = []

    def put(word: str, entry: NumberWord) -> None:
        key = normalize_word(word)
        if key in table and table[key] != entry:
            conflicts.append(key)
            return
        table[key] = entry

    for vocab in LANGUAGES.values():
        for word, value in vocab.units.items():
            put(word, NumberWord(value, "unit", times_twenty=word in vocab.times_twenty))
        for word, value in vocab.teens.items():
            put(word, NumberWord(value, "teen", teen_units=vocab.teen_compounds.get(word, frozenset())))
        for word, value in vocab.tens.items():
            put(
                word,
                NumberWord(
                    value, "tens", score=word in vocab.scores, takes_teens=word in vocab.teen_taking_tens
                ),
            )
        for word in vocab.connectors:
            put(word, NumberWord(0, "connector"))
        for word, times in vocab.repeaters.items():
            put(word, NumberWord(times, "repeat"))
    return table, tuple(conflicts)


WORDS, CONFLICTS = _build()


@lru_cache(maxsize=8192)
def lookup_word(word: str) -> Optional[NumberWord]:
    """The :class:`NumberWord` for ``word`` in any of the languages, or None."""
    hit = WORDS.get(word.casefold())
    if hit is not None or word.isascii():
        return hit
    return WORDS.get(normalize_word(word))


def parse_han(run: str) -> str:
    """ASCII digits of a run of Chinese numerals: 四一一一 → 4111, 四十一 → 41, 十一 → 11."""
    out = []
    i, n = 0, len(run)
    while i < n:
        ch = run[i]
        if ch == HAN_TEN or (i + 1 < n and run[i + 1] == HAN_TEN and HAN_DIGITS[ch] > 0):
            value = 10 if ch == HAN_TEN else HAN_DIGITS[ch] * 10
            i += 1 if ch == HAN_TEN else 2
            if i < n and run[i] != HAN_TEN and HAN_DIGITS[run[i]] > 0:
                value += HAN_DIGITS[run[i]]
                i += 1
            out.append(str(value))
        else:
            out.append(str(HAN_DIGITS[ch]))
            i += 1
    return "".join(out)


_COMBINING = "\u0300-\u036f"
_VARIANT_RANGES = ((0x41, 0x24F), (0x400, 0x4FF), (0xFF21, 0xFF5A))


def _variants() -> Dict[str, str]:
    """For each base letter, every letter that normalizes to it (both cases, any accent)."""
    found: Dict[str, List[str]] = {}
    for low, high in _VARIANT_RANGES:
        for code in range(low, high + 1):
            char = chr(code)
            if not char.isalpha():
                continue
            base = normalize_word(char)
            if len(base) == 1:
                found.setdefault(base, []).append(char)
    return {base: "".join(sorted(set(chars))) for base, chars in found.items()}


def _trie() -> Dict[str, Any]:
    trie: Dict[str, Any] = {}
    for vocab in LANGUAGES.values():
        for table in (vocab.units, vocab.teens, vocab.tens, vocab.repeaters):
            for word in table:
                _insert(trie, word, "")
        for word in vocab.connectors:
            _insert(trie, word, "")
    return trie


def word_initials() -> str:
    """Regex class body (escaped) of every letter a number word can start with."""
    variants = _variants()
    return re.escape("".join(sorted({ch for sym in _trie() for ch in variants.get(sym, sym)})))


def word_pattern() -> str:
    """Regex source matching any number word of the tables as a whole word.

    A trie of the words, each letter a class of its case and accent variants (optionally
    followed by combining marks), each apostrophe optional and any of ' ’ ʼ; the letters
    around it must not be letters. Built once by :mod:`pii.cards`.
    """
    variants = _variants()
    end = ""
    trie = _trie()

    def symbol(sym: str) -> str:
        if sym == "'":
            return "['\u2019\u02bc\u2018`]?"
        chars = variants.get(sym, sym)
        return "[" + re.escape(chars) + "][" + _COMBINING + "]*"

    def emit(node: Dict[str, Any]) -> str:
        branches = [symbol(sym) + emit(child) for sym, child in sorted(node.items()) if sym != end]
        if not branches:
            return ""
        body = "(?:" + "|".join(branches) + ")"
        return body + "?" if end in node else body

    letter = "[^\\W\\d_]"
    return (
        f"(?<!{letter})(?<![{_COMBINING}])"
        + emit(trie)
        + f"(?!{letter}|[{_COMBINING}]|['\u2019\u2018`]{letter})"
    )


def _insert(trie: Dict[str, Any], word: str, end: str) -> None:
    node = trie
    for char in normalize_word_keep_apostrophes(word):
        node = node.setdefault(char, {})
    node[end] = {}


def normalize_word_keep_apostrophes(word: str) -> str:
    """Like :func:`normalize_word` but every apostrophe becomes ``'``."""
    folded = unicodedata.normalize("NFKD", word.casefold())
    return "".join("'" if ch in _APOSTROPHES else ch for ch in folded if not unicodedata.combining(ch))
