"""Is a hit evidence for the question? Word support that survives paraphrase and misheard names.

judge = EvidenceJudge(embedder)
judge.support(["citizens", "country"], "my fellow Americans, ask not what your country ...")
# -> {"citizens": 0.58, "country": 1.0}

A question word is supported by a text when the text holds it (spaces ignored, as OCR drops
them), a form of it ("explained" for "explain"), a name that sounds or is spelled nearly the same
("Tilney" for "Tilny": recognisers mishear names), or a word whose embedding is close to it
("gown" for "dress"). Dense similarity of whole sentences alone is never evidence: an absent
topic close in meaning to what is there (money, where a speech is about one's country) must
still give "not found".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np

from avas.perception.base import Embedder
from graph_schema import normalize_name

# A question word counts as said in other words above this cosine of the two words' embeddings
# (all-MiniLM-L6-v2: "dress"/"gown" 0.7, "nation"/"country" 0.66; "money"/"country" 0.33).
WORD_SIMILAR = 0.55
# What a question is about needs a closer word: a synonym ("dress"/"gown" 0.70, "nation"/
# "country" 0.66), not a word of the same field ("bicycle"/"ride").
FOCUS_SIMILAR = 0.65
# Values a question names exactly: a near word is another value ("green" is not "blue").
STRICT = frozenset(
    """red orange yellow green blue purple violet pink brown black white grey gray silver gold
    zero one two three four five six seven eight nine ten eleven twelve first second third
    monday tuesday wednesday thursday friday saturday sunday""".split()
)
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:'[a-z]+)?")
_SUFFIXES = ("ing", "ed", "es", "s", "ly", "er")


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions)."""
    if len(a) < len(b):
        a, b = b, a
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def sound_key(word: str) -> str:
    """A rough phonetic key: first sound, then consonant sounds with repeats collapsed.

    "Catherine", "Katherine", "Cathrine" -> "ktrn"; "Tilney", "Tilny", "Tillnee" -> "tln".
    """
    w = re.sub(r"[^a-z]", "", word.lower())
    if not w:
        return ""
    for a, b in (("ph", "f"), ("ck", "k"), ("th", "t"), ("sh", "s"), ("ch", "k"), ("qu", "kw")):
        w = w.replace(a, b)
    w = w.translate(str.maketrans("cqzxv", "kksks"))
    key, tail = w[0], re.sub(r"[aeiouyhw]", "", w[1:])
    for ch in tail:
        if key[-1] != ch:
            key += ch
    return key


def stem(word: str) -> str:
    w = word.lower()
    for suffix in _SUFFIXES:
        if len(w) > len(suffix) + 3 and w.endswith(suffix):
            return w[: -len(suffix)]
    return w


def names_alike(asked: str, heard: str) -> bool:
    """``heard`` (a capitalised word of a transcript) may be the name ``asked`` misheard."""
    a, h = asked.lower(), heard.lower()
    if len(a) < 3 or len(h) < 3:
        return False
    if a == h:
        return True
    if len(a) == 3:  # too short to allow a wrong letter ("Tom", "Tim"): only a dropped one
        return h.startswith(a) and len(h) == 4
    # Recognisers rarely miss a name's first sound ("Kate" and "Tate" are two people).
    if not (a[0] == h[0] or {a[0], h[0]} <= {"c", "k"}):
        return False
    if edit_distance(a, h) <= (1 if len(a) < 7 else 2):
        return True
    return len(sound_key(a)) >= 3 and sound_key(a) == sound_key(h)


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


class EvidenceJudge:
    """Word-level support of question words by a text, with a cache of word embeddings."""

    def __init__(self, embedder: Embedder | None) -> None:
        self.embedder = embedder
        self._vectors: dict[str, np.ndarray] = {}

    def _embed(self, words: Iterable[str]) -> None:
        missing = sorted({w for w in words if w not in self._vectors})
        if not missing or self.embedder is None:
            return
        for word, vector in zip(missing, self.embedder.embed(missing), strict=True):
            v = np.asarray(vector, dtype=np.float32)
            self._vectors[word] = v / (float(np.linalg.norm(v)) or 1.0)

    def word_support(self, word: str, text: str, *, semantic: bool = True) -> float:
        """1.0 for the word (or a form or a misheard spelling of it), else the best cosine."""
        w = word.lower()
        toks = tokens(text)
        key = normalize_name(w)
        # Inside a longer run of letters only for words of 4+ letters: OCR drops spaces
        # ("HARBORBRIDGE"), but "car" in "cart" is another word.
        if key and (
            any(normalize_name(t) == key for t in toks)
            or (len(key) >= 4 and key in normalize_name(text))
        ):
            return 1.0
        if any(stem(t) == stem(w) for t in toks):
            return 1.0
        if any(t[:1].isupper() and names_alike(w, t) for t in toks):
            return 1.0
        if not semantic or self.embedder is None or w in STRICT or w.isdigit():
            return 0.0
        lows = [t.lower() for t in toks if len(t) > 2]
        if not lows:
            return 0.0
        self._embed([w, *lows])
        q = self._vectors[w]
        return max(float(q @ self._vectors[t]) for t in lows)

    def support(
        self, words: Sequence[str], text: str, *, semantic: bool = True
    ) -> dict[str, float]:
        return {w: self.word_support(w, text, semantic=semantic) for w in words}

    def supported(self, words: Sequence[str], text: str, *, semantic: bool = True) -> list[str]:
        """The words of ``words`` that ``text`` supports (held, a form, a name, or a synonym)."""
        scores = self.support(words, text, semantic=semantic)
        return [w for w, s in scores.items() if s >= WORD_SIMILAR]


@lru_cache(maxsize=1)
def _sentence_end() -> re.Pattern[str]:
    return re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])")


def sentences(text: str) -> list[tuple[int, int, str]]:
    """(start char, end char, sentence) for each sentence of ``text``."""
    found, pos = [], 0
    for part in _sentence_end().split(text):
        start = text.find(part, pos)
        found.append((start, start + len(part), part))
        pos = start + len(part)
    return [s for s in found if s[2].strip()]
