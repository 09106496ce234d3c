"""Time expressions in questions -> a TimeWindow.

parse_window("What was said in the first 10 minutes?")  # TimeWindow(start_ms=0, end_ms=600000)
parse_window("after 01:30, what text appears?")          # TimeWindow(start_ms=90000)
"""

from __future__ import annotations

import re

from agents.state import TimeWindow

_UNIT_MS = {"second": 1_000, "sec": 1_000, "minute": 60_000, "min": 60_000, "hour": 3_600_000}
_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "last": -1}
_CLOCK = r"(\d{1,2}(?::\d{2}){1,2})"
# At most six digits: "the first 9...9 (400 digits) hours" is no time window, and a float of
# it would overflow when turned into milliseconds.
_AMOUNT = r"(\d{1,6}(?:\.\d{1,3})?|a|an|one|two|three|five|ten|fifteen|twenty|thirty)"
_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "five": 5, "ten": 10, "fifteen": 15}
_WORDS |= {"twenty": 20, "thirty": 30}
_UNIT = r"(seconds?|secs?|minutes?|mins?|hours?)"


def clock_ms(text: str) -> int:
    """``1:02:03`` or ``02:30`` -> milliseconds."""
    total = 0
    for part in text.split(":"):
        total = total * 60 + int(part)
    return total * 1000


def _amount_ms(amount: str, unit: str) -> int:
    value = _WORDS.get(amount.lower()) or float(amount)
    return round(float(value) * _UNIT_MS[unit.lower().rstrip("s")])


def parse_window(question: str) -> TimeWindow | None:
    q = question.lower()
    if m := re.search(rf"\bbetween {_CLOCK} and {_CLOCK}", q):
        return TimeWindow(start_ms=clock_ms(m.group(1)), end_ms=clock_ms(m.group(2)))
    if m := re.search(rf"\b(first|last) {_AMOUNT} {_UNIT}", q):
        span = _amount_ms(m.group(2), m.group(3))
        if m.group(1) == "first":
            return TimeWindow(start_ms=0, end_ms=span)
        return TimeWindow(start_ms=span, from_end=True)
    if m := re.search(r"\b(first|second|third|fourth|fifth|last) (hour|minute)\b", q):
        unit = _UNIT_MS[m.group(2)]
        n = _ORDINAL[m.group(1)]
        if n < 0:
            return TimeWindow(start_ms=unit, from_end=True)
        return TimeWindow(start_ms=(n - 1) * unit, end_ms=n * unit)
    if m := re.search(rf"\b(?:after|since|from) {_CLOCK}", q):
        return TimeWindow(start_ms=clock_ms(m.group(1)))
    if m := re.search(rf"\b(?:before|until|by) {_CLOCK}", q):
        return TimeWindow(start_ms=0, end_ms=clock_ms(m.group(1)))
    if m := re.search(rf"\bat {_CLOCK}", q):
        at = clock_ms(m.group(1))
        return TimeWindow(start_ms=max(0, at - 15_000), end_ms=at + 15_000)
    return None


def strip_time_phrases(question: str) -> str:
    """The question without its time expressions, so "after 01:30" is not read as an anchor."""
    q = re.sub(rf"\bbetween {_CLOCK} and {_CLOCK}", " ", question, flags=re.I)
    q = re.sub(rf"\b(?:in )?(?:the )?(first|last) {_AMOUNT} {_UNIT}", " ", q, flags=re.I)
    q = re.sub(
        r"\b(?:in )?(?:the )?(first|second|third|fourth|fifth|last) (hour|minute)\b",
        " ",
        q,
        flags=re.I,
    )
    q = re.sub(rf"\b(?:after|since|from|before|until|by|at) {_CLOCK}", " ", q, flags=re.I)
    return " ".join(q.split())
