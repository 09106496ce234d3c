"""Small English text helpers shared by search and question analysis.

content_words("What did the speaker say about the budget?")  # -> ["speaker", "budget"]
"""

from __future__ import annotations

import re

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be been before being below
    between both but by can could did do does doing down during each few for from further
    had has have having he her here hers him his how i if in into is it its just me more
    most my no nor not now of off on once only or other our out over own same she should so
    some such than that the their them then there these they this those through to too under
    until up very was we were what when where which while who whom why will with would you
    your yours say said says tell told show shown shows
    appear appeared appears video clip""".split()
)


def content_words(text: str) -> list[str]:
    """Lower-cased words that carry meaning, in order, without repeats."""
    words = re.findall(r"[0-9a-z]+(?:'[a-z]+)?", text.lower())
    return list(dict.fromkeys(w for w in words if w not in STOPWORDS and len(w) > 1))
