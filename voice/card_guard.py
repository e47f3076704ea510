"""Card numbers spoken on a call: which stretches of the caller's recording to mute.

PCI DSS: a card number must never be kept, and a call recording is kept. The gateway masks
cards in text (:mod:`pii`); :class:`CardGuard` finds the caller audio that held one, so the
session can overwrite it with silence (:func:`mute`) before the recording is saved.

The unit is the utterance, one final recognition result, with the byte range of the
caller audio it covers: from where the recogniser's previous final result ended to where
this one ended (``VoiceSession`` works the ranges out; the recogniser is fed every caller
frame, so consecutive utterances cover the whole call up to the last one). Muting whole
utterances is a superset of the card's own words: the words around the number in the same
utterance ("my card is …"), the pause before it and the chunk in which the endpoint fell
are muted too, and nothing of the card is left whatever word timings an engine would give.

A card is found when

- an utterance's words hold one (``pii.contains_card``: digits, or number words in six
  languages, as the recogniser writes them: "four one one one …");
- it was read in groups over the recent utterances (``pii.find_split_card``); every
  utterance of the chain is muted, the latest too (it may hold only the security code);
- the digit groups collected for a number prompt (``VoiceSession.digits``, joined when
  the caller's pause ends) form one (``pii.is_card_number``).

Across utterances each utterance's spoken digits count as one group, as a typed group
does for the gateway ("four one one one" is the group 4111): a card read in groups starts
where the caller starts a group. Taking every number word as a group of its own would let
a card start at any digit of everything said lately: for an account number read in groups
followed by a phone number, random digits gave a false card in 90 % of such sequences
(about 20 % with utterance groups); a number collected for a prompt also ends the chain, so an
answer is never joined with the next one. Account and phone numbers are not cards (no
Luhn check, a first digit 0/1, "+", too short), so they stay in the recording. The guard
never sees audio and logs nothing.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Deque, Iterable, List, Tuple

import pii
from pii.redact import digit_chains

#: How many recent utterances a card read in groups may span.
KEEP = 6

Range = Tuple[int, int]


@dataclass
class Utterance:
    """One final recognition result and the caller-audio bytes ``[start, end)`` it covers."""

    text: str
    start: int
    end: int
    muted: bool = False


class CardGuard:
    """Which caller audio to mute on one call; feed it every final recognition result.

    ``heard()`` takes each utterance (text, start byte, end byte) and returns the byte
    ranges to mute now; ``digit_group()`` / ``number_done()`` follow a number collected in
    groups. Each range is returned once: an utterance already muted is not returned again.
    """

    def __init__(self, keep: int = KEEP) -> None:
        self._recent: Deque[Utterance] = deque(maxlen=keep)
        self._groups: List[Utterance] = []  # the digit groups of the number being collected

    def shown(self, text: str) -> str:
        """``text`` as the caller's client may see it: card numbers masked, including one
        that ``text`` completes after earlier groups. Call it before ``heard(text, …)``."""
        split = self._split(list(self._recent), text)
        return split.text if split is not None else pii.redact_text(text)

    def heard(self, text: str, start: int, end: int) -> List[Range]:
        """A final result covering caller audio ``[start, end)``: the ranges to mute now."""
        earlier = list(self._recent)
        current = Utterance(text, start, end)
        self._recent.append(current)
        if pii.contains_card(text):
            return self._mute([current])
        split = self._split(earlier, text)
        if split is not None:
            return self._mute([earlier[i] for i in split.pieces] + [current])
        return []

    @staticmethod
    def _split(earlier: List[Utterance], text: str) -> "pii.SplitCard | None":
        return pii.find_split_card([digit_runs(u.text) for u in earlier], digit_runs(text))

    def digit_group(self) -> None:
        """The utterance just heard is one group of a number being collected."""
        if self._recent:
            self._groups.append(self._recent[-1])

    def number_done(self, digits: str) -> List[Range]:
        """The collected groups were joined into ``digits``: their ranges if it is a card."""
        groups, self._groups = self._groups, []
        self._recent.clear()  # the answer is complete: no card spans it and what comes next
        return self._mute(groups) if pii.is_card_number(digits) else []

    @staticmethod
    def _mute(utterances: Iterable[Utterance]) -> List[Range]:
        ranges = []
        for utterance in utterances:
            if not utterance.muted:
                utterance.muted = True
                ranges.append((utterance.start, utterance.end))
        return merge(ranges)


def digit_runs(text: str) -> str:
    """``text`` with each run of spoken digits as one group: "card four one one one" ->
    "card 4111" (digits, number words in six languages, Chinese numerals)."""
    out, pos = [], 0
    for start, end, digits in digit_chains(text):
        out += [text[pos:start], digits]
        pos = end
    out.append(text[pos:])
    return "".join(out)


def merge(ranges: Iterable[Range]) -> List[Range]:
    """Sorted ranges with the overlapping and touching ones joined; empty ones dropped."""
    merged: List[List[int]] = []
    for start, end in sorted(r for r in ranges if r[1] > r[0]):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def mute(pcm: bytearray, ranges: Iterable[Range]) -> int:
    """Overwrite ``ranges`` of ``pcm`` (s16le) with silence in place; how many bytes."""
    done = 0
    for start, end in merge(ranges):
        start, end = max(0, start) & ~1, min(len(pcm), end)
        if end > start:
            pcm[start:end] = bytes(end - start)
            done += end - start
    return done
