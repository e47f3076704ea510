"""Mask card numbers, and the expiry dates and security codes that go with them.

PCI DSS: a card number (and its security code) must never be stored. Every text the
assistant stores or forwards goes through :func:`redact_text` (or :func:`redact_value`
for structured data); :func:`find_split_card` catches a number typed over several
messages. Only the masked parts change; every other character is kept as it was.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional, Sequence, Set, Tuple

from pii.cards import (
    DigitToken,
    PLUS_SIGNS,
    cards_in_tokens,
    digit_tokens,
    is_card_number,
    is_expiry_pair,
    is_separator,
    is_separator_gap,
    search_groups,
)

__all__ = [
    "MASK_CVV",
    "MASK_EXPIRY",
    "MASK_PART",
    "SplitCard",
    "contains_card",
    "find_split_card",
    "mask_card",
    "redact_piece",
    "redact_text",
    "redact_value",
]

MASK_PART = "[card number part removed]"
MASK_EXPIRY = "[expiry removed]"
MASK_CVV = "[security code removed]"

#: How far (characters) an expiry or security code may be from the card it goes with.
NEAR = 32
#: Without a card in the text, how far after its keyword a security code may be.
KEYWORD_WINDOW = 30
#: How far after its keyword an expiry may start.
EXPIRY_WINDOW = 24
#: How far before a digit group its keyword may start (the longest keyword + window).
KEYWORD_REACH = KEYWORD_WINDOW + 40
EXPIRY_REACH = EXPIRY_WINDOW + 40

#: Latin and Cyrillic letters: a keyword must not touch one (Chinese may follow it).
_B = r"a-zA-Z\u00c0-\u024f\u0400-\u04ff"


def _keywords(first: str, words: Sequence[str], chinese: Sequence[str]) -> "re.Pattern[str]":
    """One case-insensitive pattern: ``words`` as whole words (starting with ``first``), or ``chinese``."""
    return re.compile(
        rf"(?<![{_B}])(?=[{first}])(?:{'|'.join(words)})(?![{_B}])|{'|'.join(chinese)}",
        re.IGNORECASE,
    )


_SECURITY_KEYWORD = _keywords(
    "csкс",
    [
        r"cvv(?:2(?!\d))?|cvc(?:2(?!\d))?|cv2|cid|csc|cvn",  # en
        r"security\s+code|card\s+verification(?:\s+(?:value|code|number))?",
        r"cryptogramme(?:\s+visuel)?|code\s+de\s+s[eé]curit[eé]",  # fr
        r"cod(?:ul)?\s+de\s+securitate|codul\s+cvv",  # ro
        r"saugos\s+kod[a-ząčęėįšųūž]*",  # lt
        r"код(?:у|ом)?\s+безпеки",  # uk
        # CVV / CVC typed with Cyrillic look-alikes (С, В, Ѵ), alone or mixed with Latin
        r"[cс][vвѵ][vвѵ](?:2(?!\d))?|[cс][vвѵ][cс](?:2(?!\d))?",
    ],
    ["安全码", "安全碼", "验证码", "驗證碼", "校验码", "校驗碼"],  # zh
)

_EXPIRY_KEYWORD = _keywords(
    "evgdfтдс",
    [
        r"exp(?:ir[a-zăâ]*)?\.?(?:\s+date)?|expiry|valid\s+(?:thru|through|until|till|to)",  # en
        r"good\s+thru|date\s+d['’]expiration|fin\s+de\s+validit[eé]",  # en, fr (expire…: above)
        r"expir[ăa]|expirare|expir[ăa]rii|valabil[ăa]?\s+p[âa]n[ăa](?:\s+la)?",  # ro
        r"galioja\s+iki|galiojimo(?:\s+(?:laikas|data|pabaiga))?",  # lt
        r"термін\s+дії|дійсн[аийе]\s+до|строк\s+дії",  # uk
    ],
    ["有效期", "有效日期", "有效至", "到期"],  # zh
)


def mask_card(digits: str) -> str:
    """The mask that replaces a card number: ``[card ending 1234]``."""
    return f"[card ending {digits[-4:]}]"


class _Redactor:
    """The masking of one text: cards first, then expiries, then security codes."""

    def __init__(self, text: str, tokens: Sequence[DigitToken]) -> None:
        self.text = text
        self.tokens = list(tokens)
        self.starts = [t.start for t in self.tokens]
        self.used: Set[int] = set()
        self.spans: List[Tuple[int, int, str]] = []
        self.card_starts: List[int] = []
        self.anchors: List[int] = []  # where a card or an expiry ends
        self.has_card = False

    # -- bookkeeping ---------------------------------------------------------
    def mask(self, first: int, last: int, replacement: str) -> None:
        self.spans.append((self.tokens[first].start, self.tokens[last].end, replacement))
        self.used.update(range(first, last + 1))

    def add_card(self, start: int, end: int, digits: str) -> None:
        self.spans.append((start, end, mask_card(digits)))
        k = max(bisect_left(self.starts, start) - 1, 0)
        while k < len(self.tokens) and self.tokens[k].start < end:
            if self.tokens[k].end > start:
                self.used.add(k)
            k += 1
        self.card_starts.append(start)
        self.anchors.append(end)

    def free(self, k: int) -> bool:
        return 0 <= k < len(self.tokens) and k not in self.used

    def joined(self, a: int, b: int) -> bool:
        """Tokens a and b (b = a + 1) are both free and only separators lie between."""
        return (
            self.free(a)
            and self.free(b)
            and is_separator_gap(self.text[self.tokens[a].end : self.tokens[b].start])
        )

    def free_after(self, pos: int) -> Iterator[int]:
        """Indices of the free tokens that start at or after ``pos``, in order."""
        for k in range(bisect_left(self.starts, pos), len(self.tokens)):
            if k not in self.used:
                yield k

    def first_free_after(self, pos: int) -> Optional[int]:
        for k in range(bisect_left(self.starts, pos), len(self.tokens)):
            if k not in self.used:
                return k
        return None

    def next_after(self, pos: int) -> Optional[int]:
        """The first token (free or not) starting at or after ``pos``."""
        k = bisect_left(self.starts, pos)
        return k if k < len(self.tokens) else None

    def keyword_matches(
        self, pattern: "re.Pattern[str]", reach: int, anywhere: bool
    ) -> Iterator["re.Match[str]"]:
        """Matches of ``pattern`` that could reach a free digit group.

        With ``anywhere`` the whole text is searched; otherwise only the ``reach``
        characters before each free group of at most four digits. Digits inside a
        keyword (the 2 of "cvv2") are the keyword's, never masked.
        """
        for match in self._keyword_matches(pattern, reach, anywhere):
            k = bisect_left(self.starts, match.start())
            while k < len(self.tokens) and self.tokens[k].start < match.end():
                self.used.add(k)
                k += 1
            yield match

    def _keyword_matches(
        self, pattern: "re.Pattern[str]", reach: int, anywhere: bool
    ) -> Iterator["re.Match[str]"]:
        if anywhere:
            yield from pattern.finditer(self.text)
            return
        windows: List[List[int]] = []
        for k, token in enumerate(self.tokens):
            if k in self.used or len(token.digits) > 4:
                continue
            low = max(0, token.start - reach)
            if windows and low <= windows[-1][1]:
                windows[-1][1] = token.start
            else:
                windows.append([low, token.start])
        for low, high in windows:
            yield from pattern.finditer(self.text, low, high)

    # -- expiry --------------------------------------------------------------
    def _gap(self, a: int, b: int) -> str:
        return self.text[self.tokens[a].end : self.tokens[b].start]

    def _marked(self, a: int, b: int) -> bool:
        """Tokens a and b are joined by a mark (/ - .), as in a date."""
        return self.joined(a, b) and bool(self._gap(a, b).strip())

    def expiry_at(self, k: int, keyword: bool) -> Optional[int]:
        """The last token of an expiry starting at free token k, or None.

        MM/YY, MM/YYYY, MM-YY, MM.YY, "MM / YY"; after a keyword also "MM YY", MMYY and
        YYYY-MM. Never a part of a longer date such as 12/03/1985.
        """
        if not self.free(k):
            return None
        digits = self.tokens[k].digits
        if not self.joined(k, k + 1):
            if keyword and len(digits) == 4 and 1 <= int(digits[:2]) <= 12:
                return k  # MMYY
            return None
        if self._marked(k - 1, k) or self._marked(k + 1, k + 2):
            return None  # DD/MM/YYYY: a date, not an expiry
        gap, year = self._gap(k, k + 1), self.tokens[k + 1].digits
        if is_expiry_pair(digits, gap, year, spaces=keyword):
            return k + 1
        if keyword and len(digits) == 4 and digits[:2] in ("19", "20"):
            if is_expiry_pair(year, gap, digits[2:]):
                return k + 1  # YYYY-MM
        return None

    def keyword_expiries(self) -> None:
        for match in self.keyword_matches(_EXPIRY_KEYWORD, EXPIRY_REACH, self.has_card):
            k = self.next_after(match.end())
            if k is None or self.tokens[k].start - match.end() > EXPIRY_WINDOW:
                continue
            last = self.expiry_at(k, keyword=True)
            if last is not None:
                self.mask(k, last, MASK_EXPIRY)
                self.anchors.append(self.tokens[last].end)

    def nearby_expiries(self) -> None:
        for anchor in list(self.anchors):
            for k in range(bisect_left(self.starts, anchor), len(self.tokens)):
                if self.tokens[k].start - anchor > NEAR:
                    break
                last = self.expiry_at(k, keyword=False)
                if last is not None:
                    self.mask(k, last, MASK_EXPIRY)
                    self.anchors.append(self.tokens[last].end)
                    break
        for card_start in self.card_starts:
            k = bisect_left(self.starts, card_start) - 1
            while k >= 0 and card_start - self.tokens[k].end <= NEAR:
                last = self.expiry_at(k, keyword=False)
                if last is not None and self.tokens[last].end <= card_start:
                    self.mask(k, last, MASK_EXPIRY)
                    break
                k -= 1

    # -- security code -------------------------------------------------------
    def code_at(self, k: int) -> Optional[int]:
        """Last token of a 3–4 digit group (a whole run of free tokens) at token k, or None."""
        if not self.free(k) or self.joined(k - 1, k):
            return None
        count, last = len(self.tokens[k].digits), k
        while count <= 4 and self.joined(last, last + 1):
            last += 1
            count += len(self.tokens[last].digits)
        return last if 3 <= count <= 4 else None

    def keyword_codes(self, anywhere: bool) -> None:
        for match in self.keyword_matches(_SECURITY_KEYWORD, KEYWORD_REACH, anywhere):
            for k in self.free_after(match.end()):
                if not anywhere and self.tokens[k].start - match.end() > KEYWORD_WINDOW:
                    break
                last = self.code_at(k)
                if last is not None:
                    self.mask(k, last, MASK_CVV)
                    break
                if not anywhere:
                    break

    def nearby_codes(self) -> None:
        for anchor in list(self.anchors):
            k = self.next_after(anchor)
            if k is None or self.tokens[k].start - anchor > NEAR:
                continue
            last = self.code_at(k)
            if last is not None:
                self.mask(k, last, MASK_CVV)

    # -- result --------------------------------------------------------------
    def result(self) -> str:
        if not self.spans:
            return self.text
        out, pos = [], 0
        for start, end, replacement in sorted(self.spans):
            out.append(self.text[pos:start])
            out.append(replacement)
            pos = end
        out.append(self.text[pos:])
        return "".join(out)


def _redact(
    text: str,
    tokens: Sequence[DigitToken],
    forced: Sequence[Tuple[int, int, str]] = (),
    card_before: bool = False,
) -> str:
    """Mask ``text``: the ``forced`` card spans, the cards found in it, and around them.

    ``card_before`` says a card ended right before the text (in an earlier message).
    """
    if not tokens:
        return text
    redactor = _Redactor(text, tokens)
    for start, end, digits in forced:
        redactor.add_card(start, end, digits)
    for card in cards_in_tokens(text, tokens):
        if not any(card.start < end and card.end > start for start, end, _ in forced):
            redactor.add_card(card.start, card.end, card.digits)
    if card_before:
        redactor.anchors.append(0)
    has_card = redactor.has_card = bool(redactor.anchors)
    redactor.keyword_expiries()
    if has_card:
        redactor.nearby_expiries()
    redactor.keyword_codes(anywhere=has_card)
    if has_card:
        redactor.nearby_codes()
    return redactor.result()


def redact_text(text: str) -> str:
    """``text`` with card numbers masked as ``[card ending 1234]``.

    In a text with a card, an expiry next to it becomes ``[expiry removed]`` and a 3–4
    digit group after it (or after a security-code keyword) ``[security code removed]``.
    In any text, digits after a security-code keyword and an expiry after an expiry
    keyword are masked too. Nothing else changes.
    """
    return _redact(text, digit_tokens(text))


def contains_card(text: str) -> bool:
    """True when ``text`` holds a card number."""
    return bool(cards_in_tokens(text, digit_tokens(text)))


def _mask_number(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        digits = str(abs(value))
    elif isinstance(value, float) and value.is_integer():
        digits = str(abs(int(value)))
    else:
        return value
    return mask_card(digits) if is_card_number(digits) else value


def redact_value(value: Any) -> Any:
    """A redacted copy of ``value``: strs, dict keys and values, lists, tuples, numbers.

    An int or float whose digits are a card number becomes the masked string; other
    types are returned unchanged. The input is never mutated.
    """
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        items: Dict[Any, Any] = {}
        for key, item in value.items():
            items[redact_text(key) if isinstance(key, str) else key] = redact_value(item)
        if type(value) is dict:
            return items
        try:
            return type(value)(items)
        except TypeError:
            return items
    if isinstance(value, list):
        return [redact_value(item) for item in value]
    if isinstance(value, tuple):
        redacted = [redact_value(item) for item in value]
        if type(value) is tuple:
            return tuple(redacted)
        if hasattr(value, "_fields"):
            return type(value)(*redacted)
        try:
            return type(value)(redacted)
        except TypeError:
            return tuple(redacted)
    return _mask_number(value)


# -- cards typed over several messages -----------------------------------------


@dataclass(frozen=True)
class SplitCard:
    """A card typed over several messages.

    ``pieces`` index the earlier messages that hold part of it (mask them with
    :func:`redact_piece`); ``text`` is the current message, redacted.
    """

    pieces: Tuple[int, ...]
    text: str


def _only_separators(text: str) -> bool:
    return all(map(is_separator, text))


def redact_follow_up(text: str) -> str:
    """The message right after one that held a card: on its own, a 3-4 digit group is that card's
    security code and a month/year its expiry; anything else is redacted as usual."""
    tokens = digit_tokens(text)
    alone = (bool(tokens) and all(t.kind == "digits" for t in tokens)
             and _only_separators(text[: tokens[0].start]) and _only_separators(text[tokens[-1].end :]))
    if alone and len(tokens) == 1 and 3 <= len(tokens[0].digits) <= 4:
        return MASK_CVV
    if alone and len(tokens) == 2 and is_expiry_pair(tokens[0].digits, text[tokens[0].end : tokens[1].start],
                                                     tokens[1].digits):
        return MASK_EXPIRY
    return redact_text(text)


def _run_from(text: str, tokens: Sequence[DigitToken], first: int) -> List[DigitToken]:
    """The tokens from ``first`` on that are joined to it by separator gaps."""
    run = [tokens[first]]
    for token in tokens[first + 1 :]:
        if not is_separator_gap(text[run[-1].end : token.start]):
            break
        run.append(token)
    return run


def _trailing_run(text: str, tokens: Sequence[DigitToken]) -> Tuple[Optional[List[DigitToken]], bool]:
    """The digit groups at the end of a message, and whether they are all it holds."""
    if not tokens or not _only_separators(text[tokens[-1].end :]):
        return None, False
    first = len(tokens) - 1
    while first > 0 and is_separator_gap(text[tokens[first - 1].end : tokens[first].start]):
        first -= 1
    run = list(tokens[first:])
    return run, _only_separators(text[: run[0].start])


def find_split_card(previous: Sequence[str], current: str) -> Optional[SplitCard]:
    """A card number typed over ``previous`` messages (oldest first) and ``current``.

    The chain is ``current`` (digit groups first; words may follow) and the messages
    right before it that hold only digit groups (the first of them may start with
    words: "my card is 4111 1111"). Returns None unless a card spans two messages.
    """
    current_tokens = digit_tokens(current)
    if not current_tokens or not _only_separators(current[: current_tokens[0].start]):
        return None
    lead = _run_from(current, current_tokens, 0)
    chain: List[Tuple[int, str, List[DigitToken]]] = []
    for index in range(len(previous) - 1, -1, -1):
        run, only_digits = _trailing_run(previous[index], digit_tokens(previous[index]))
        if run is None:
            break
        chain.append((index, previous[index], run))
        if not only_digits:
            break
    if not chain:
        return None
    chain.reverse()
    chain.append((-1, current, lead))

    groups: List[Tuple[str, str]] = []
    owners: List[Tuple[int, DigitToken]] = []
    for index, text, run in chain:
        for k, token in enumerate(run):
            groups.append((token.digits, text[run[k - 1].end : token.start] if k else "\n"))
            owners.append((index, token))
    first_text, first_token = chain[0][1], chain[0][2][0]
    plus = first_token.start > 0 and first_text[first_token.start - 1] in PLUS_SIGNS

    spanning = []
    for first, last in search_groups(groups, plus):
        if len({owners[k][0] for k in range(first, last + 1)}) > 1:
            spanning.append((first, last))
    if not spanning:
        return None
    pieces = sorted({owners[k][0] for a, b in spanning for k in range(a, b + 1)} - {-1})
    forced = []
    card_before = False
    for first, last in spanning:
        digits = "".join(groups[k][0] for k in range(first, last + 1))
        mine = [owners[k][1] for k in range(first, last + 1) if owners[k][0] == -1]
        if mine:
            forced.append((mine[0].start, mine[-1].end, digits))
        else:
            card_before = True
    return SplitCard(tuple(pieces), _redact(current, current_tokens, forced, card_before))


def redact_piece(text: str) -> str:
    """An earlier message that held part of a split card, its digit groups masked.

    The digit groups at the end of the message become ``[card number part removed]``;
    the rest of it is redacted as usual.
    """
    run, _ = _trailing_run(text, digit_tokens(text))
    if run is None:
        return redact_text(text)
    return redact_text(text[: run[0].start]) + MASK_PART + text[run[-1].end :]


# -- the split-card contract between the gateway and Rasa's tracker store -----------------------

#: The gateway's own keys in the metadata of a user message Rasa receives.
SIGNAL_KEY = "switchboard"
#: ``metadata[SIGNAL_KEY][PIECES_KEY] = N``: the sender's N earlier user messages were pieces of a card.
PIECES_KEY = "card_pieces"
#: The gateway looks back at most this many messages for pieces.
MAX_PIECES = 6
#: A piece, or a part of one, shorter than this is masked only where it is all of a group.
_MIN_CONTAINED = 4


@dataclass(frozen=True)
class PieceRun:
    """The digit groups at the end of a piece: as typed, and as ASCII digits."""

    text: str
    digits: str


def piece_run(text: str) -> Optional[PieceRun]:
    """The digit groups a piece ends with (what :func:`redact_piece` masks), if any."""
    tokens = digit_tokens(text)
    if not tokens or not all(map(is_separator, text[tokens[-1].end :])):
        return None
    first = len(tokens) - 1
    while first > 0 and is_separator_gap(text[tokens[first - 1].end : tokens[first].start]):
        first -= 1
    run = tokens[first:]
    return PieceRun(text[run[0].start : run[-1].end], "".join(t.digits for t in run))


def _overlaps(digits: str, piece: str) -> bool:
    """Digits that hold a piece, or a part of it (at least 4 digits long), or exactly it."""
    if digits == piece:
        return True
    return (len(piece) >= _MIN_CONTAINED and piece in digits) or (len(digits) >= _MIN_CONTAINED and digits in piece)


def digit_chains(text: str) -> Iterator[Tuple[int, int, str]]:
    """Each chain of digit groups joined by separators: (start, end, its ASCII digits)."""
    tokens = digit_tokens(text)
    k = 0
    while k < len(tokens):
        last = k
        while last + 1 < len(tokens) and is_separator_gap(text[tokens[last].end : tokens[last + 1].start]):
            last += 1
        yield tokens[k].start, tokens[last].end, "".join(t.digits for t in tokens[k : last + 1])
        k = last + 1


def mask_echoes(text: str, runs: Sequence[PieceRun]) -> str:
    """``text`` (a reply or slot after the pieces) with every group of digits that repeats a piece masked.

    The piece as typed is replaced wherever it appears; then each chain of digit groups
    (joined by separators, any script or number words) is masked whose digits contain a
    piece's digits, or are 4 or more of them in a row, or are exactly them.
    """
    for run in runs:
        if run.text:
            text = text.replace(run.text, MASK_PART)
    spans = [(start, end) for start, end, digits in digit_chains(text)
             if any(_overlaps(digits, run.digits) for run in runs if run.digits)]
    for start, end in reversed(spans):
        text = text[:start] + MASK_PART + text[end:]
    return text
