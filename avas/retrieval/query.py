"""Reading a search query: the words to match, and which modality it points at.

"text that reads EXIT" points at on-screen text, "what did the speaker say" at speech, colours
and objects at captions and keyframes; quoted words, names and codes favour text and speech.
Also the word matching that survives recogniser slips (``fuzzy_coverage``). No I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field

from avas.text import content_words
from graph_schema import normalize_name

Modality = Literal["speech", "text", "caption", "frame"]
MODALITIES: tuple[Modality, ...] = ("speech", "text", "caption", "frame")
# "frame": keyframe image vectors (no words; searched only when an image embedder is set up)

# Offline captions restate the event's speech and text, so on their own they get less weight:
# a caption match is only the best evidence when nothing more precise matched as well.
# Frame matches carry no words to check, so they start lower and count when the query
# describes what things look like.
BASE_WEIGHTS: dict[Modality, float] = {"speech": 1.0, "text": 1.0, "caption": 0.7, "frame": 0.6}
CUE_WEIGHT = 0.8  # added to a modality's weight when the query points at it
FUZZY_MIN = 0.6  # trigram Dice similarity from which a misheard or misread word counts, in part

# Words that say where to look rather than what to find: they steer the weights and are left
# out of keyword search and coverage ("text that reads EXIT" must not favour the caption,
# whose "On-screen text:" label contains the word "text").
_TEXT_CUES = frozenset(
    """text texts screen onscreen sign signs written writing title titled banner label labelled
    labeled reads read caption display displayed displays board slide heading""".split()
)
_SPEECH_CUES = frozenset(
    """mention mentions mentioned mentioning talk talks talked talking speak speaks speaking
    speaker spoke spoken speech announce announced announces announcement voice discuss
    discussed discusses word words saying quote quoted narrator narration hear heard""".split()
)
_SCENE_CUES = frozenset("""scene scenes shot footage picture frame background""".split())
_VISUAL_WORDS = frozenset(
    """red orange yellow green cyan blue purple violet pink brown black white grey gray colour
    color coloured colored multicoloured multicolored bright dark dim light person people man
    woman men women crowd face car truck vehicle forklift building room street outdoor indoor
    sky tree water moving motion still walking running standing sitting wearing object""".split()
)
_CUES = _TEXT_CUES | _SPEECH_CUES | _SCENE_CUES
_QUOTED = re.compile(r"[\"“”«»]([^\"“”«»]+)[\"“”«»]")


class QueryPlan(BaseModel):
    """What a query asks for: the words to match and how much each modality counts."""

    words: list[str]
    phrase: str = Field(description="squashed words that, found together, are an exact match")
    weights: dict[Modality, float]


def plan_query(query: str) -> QueryPlan:
    """Words and per-modality weights for ``query`` (no I/O: cheap enough for every call)."""
    quoted = _QUOTED.findall(query)
    all_words = content_words(query)
    words = [w for w in all_words if w not in _CUES] or all_words
    weights = dict(BASE_WEIGHTS)
    tokens = re.findall(r"[A-Za-z0-9][A-Za-z0-9'-]*", query)
    # A capital mid-sentence is a name; a whole word in capitals is a sign or code.
    named = any(t[0].isupper() for t in tokens[1:]) or any(
        len(t) > 1 and t.isupper() for t in tokens
    )
    lowered = set(all_words)
    if quoted or named or any(c.isdigit() for c in query):
        weights["text"] += CUE_WEIGHT
        weights["speech"] += CUE_WEIGHT / 2
    if lowered & _TEXT_CUES:
        weights["text"] += CUE_WEIGHT
    if lowered & _SPEECH_CUES or re.search(r"\b(say|says|said|tell|tells|told)\b", query, re.I):
        weights["speech"] += CUE_WEIGHT
    if lowered & (_SCENE_CUES | _VISUAL_WORDS):
        weights["caption"] += CUE_WEIGHT
        weights["frame"] += CUE_WEIGHT
    phrase_words = content_words(" ".join(quoted)) if quoted else words
    phrase = normalize_name("".join(phrase_words)) if len(phrase_words) > 1 else ""
    return QueryPlan(words=words, phrase=phrase, weights=weights)


def _trigrams(word: str) -> set[str]:
    return {word[i : i + 3] for i in range(len(word) - 2)}


def fuzzy_coverage(words: Sequence[str], text: str) -> float:
    """Share of ``words`` in ``text``, spaces ignored; a near spelling earns partial credit.

    ASR and OCR get names slightly wrong ("madger" for "badger", "brell" for "umbrella"): a word
    of five letters or more that is not found verbatim counts by its best trigram Dice
    similarity with a word of the text, when that reaches FUZZY_MIN.
    """
    if not words:
        return 0.0
    squashed = normalize_name(text)
    grams: list[set[str]] | None = None
    total = 0.0
    for word in words:
        key = normalize_name(word)
        if key in squashed:
            total += 1.0
            continue
        if len(key) < 5:
            continue
        if grams is None:
            grams = [_trigrams(t) for t in set(re.findall(r"[0-9a-z]+", text.casefold()))]
        mine = _trigrams(key)
        best = max((2 * len(mine & g) / (len(mine) + len(g)) for g in grams if g), default=0.0)
        total += best if best >= FUZZY_MIN else 0.0
    return total / len(words)


def has_phrase(phrase: str, text: str) -> bool:
    """The query's words in a row, spaces, punctuation and stopwords ignored."""
    return phrase in normalize_name(text) or phrase in normalize_name("".join(content_words(text)))
