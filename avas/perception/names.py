"""Named things in speech: proper-noun phrases from a transcript, offline and without a model.

    speech_names("Yesterday Maria Lopez met the mayor of Boston at the Golden Gate Bridge.")
    # -> ["Maria Lopez", "Boston", "Golden Gate Bridge"]

Whisper capitalises names and sentence starts, so a name is a run of capitalised words ("Bank of
America": "of" may join two of them). A sentence's first word is capitalised anyway: a run that
starts a sentence loses that first word when it stands alone or is a common one (a short list
of sentence starters: "Yesterday", "Ask", ...). Days, months, greetings and other
common words are never names on their own; numbers (with or without units) are not names.
"""

from __future__ import annotations

import re

from avas.text import STOPWORDS

MODEL = "avas/speech-names"

_WORD = re.compile(r"[^\W\d_][\w'’.-]*|[.!?]")
_JOINERS = frozenset({"of", "de", "da", "del", "la", "van", "von", "der", "al"})
# Capitalised for grammar, not because they name something.
_COMMON = STOPWORDS | frozenset(
    """i i'm i've i'll i'd im ok okay yes no yeah well so oh hello hi hey thanks thank please
    welcome good great today tomorrow yesterday tonight now then later next last first every
    monday tuesday wednesday thursday friday saturday sunday january february march april may
    june july august september october november december mr mrs ms dr sir madam let here there
    after before also because but and or if when while everyone everybody nobody someone
    visitors people maybe perhaps just still even actually anyway again always never sometimes
    ask tell let look see meet call go come take make check watch note remember listen wait
    stop keep turn open close move bring give put get try find use""".split()
)
_TITLES = frozenset({"mr", "mrs", "ms", "dr", "sir"})


def _capitalised(word: str) -> bool:
    return word[:1].isupper()


def _key(word: str) -> str:
    return word.casefold().rstrip(".").replace("’", "'")


def speech_names(text: str) -> list[str]:
    """Proper-noun phrases in one transcript, in order of first mention, without repeats."""
    names: list[str] = []
    run: list[str] = []
    sentence_start = True
    run_starts_sentence = False

    def close() -> None:
        words = list(run)
        if run_starts_sentence and words and (_key(words[0]) in _COMMON or len(words) == 1):
            words = words[1:]  # the sentence's first word is capitalised for grammar
        while words and (_key(words[0]) in _COMMON - _TITLES or _key(words[0]) in _JOINERS):
            words = words[1:]
        while words and (_key(words[-1]) in _COMMON or _key(words[-1]) in _JOINERS):
            words = words[:-1]
        name = " ".join(w.rstrip(".") for w in words)
        if len(re.sub(r"\W", "", name)) >= 2 and name not in names:
            names.append(name)
        run.clear()

    last_end = 0
    for match in _WORD.finditer(text):
        word = match.group()
        if text[last_end : match.start()].strip():  # a comma, a number, a dash: the run ends
            close()
        last_end = match.end()
        if word in ".!?":
            close()
            sentence_start = True
            continue
        if _capitalised(word):
            if not run:
                run_starts_sentence = sentence_start
            run.append(word)
        elif run and _key(word) in _JOINERS:
            run.append(word)  # kept only if a capitalised word follows (see close)
        else:
            close()
        sentence_start = word.endswith(".") and _key(word) not in _TITLES
        if sentence_start:  # "Dr." ends no sentence; "Boston." does
            close()
    close()
    return names
