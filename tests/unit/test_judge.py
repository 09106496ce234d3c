"""Word support of the offline answerer: misheard names, word forms, strict values."""

from __future__ import annotations

import pytest

from agents.judge import STRICT, EvidenceJudge, edit_distance, names_alike, sentences, sound_key


@pytest.mark.parametrize(
    ("asked", "heard"),
    [("Tilny", "Tilney"), ("Tilnee", "Tilney"), ("Katherine", "Catherine"),
     ("Cathrine", "Catherine"), ("Allan", "Allen"), ("Alen", "Allen"), ("Mis", "Miss")],
)  # fmt: skip
def test_misheard_names_match(asked: str, heard: str) -> None:
    assert names_alike(asked.lower(), heard)


@pytest.mark.parametrize(
    ("asked", "heard"),
    [("Tilney", "Turner"), ("Catherine", "Caroline"), ("Allen", "Adams"), ("money", "Monday"),
     ("Kate", "Tate"), ("Tom", "Tim")],
)  # fmt: skip
def test_different_names_do_not_match(asked: str, heard: str) -> None:
    assert not names_alike(asked.lower(), heard)


def test_sound_key_and_distance() -> None:
    assert sound_key("Katherine") == sound_key("Catherine") == "ktrn"
    assert edit_distance("tilny", "tilney") == 1
    assert edit_distance("", "abc") == 3


def test_word_forms_and_squashed_text_support_without_embeddings() -> None:
    judge = EvidenceJudge(None)
    assert judge.word_support("explain", "till I have explained everything") == 1.0
    assert judge.word_support("harbor", "HARBORBRIDGE") == 1.0  # OCR dropped the space
    assert judge.word_support("tilny", "calling on Miss Tilney today") == 1.0
    # A lower-case word is no name: "tilny" must not match a common word by sound.
    assert judge.word_support("money", "my fellow Americans ask not") == 0.0


def test_strict_values_never_match_by_meaning() -> None:
    class NearEverything:
        model_id = "near"
        dim = 2

        def embed(self, texts):  # type: ignore[no-untyped-def]
            import numpy as np

            return np.ones((len(list(texts)), 2), dtype=np.float32)

    judge = EvidenceJudge(NearEverything())  # type: ignore[arg-type]
    assert "green" in STRICT
    assert judge.word_support("green", "bin blue at F two now") == 0.0
    assert judge.word_support("dress", "put on a white gown") == pytest.approx(1.0)


def test_sentences_keep_character_offsets() -> None:
    text = "Mrs. Allen, said Catherine. Go by all means! Only put on a white gown."
    parts = sentences(text)
    assert [p[2] for p in parts][-1] == "Only put on a white gown."
    for start, end, sentence in parts:
        assert text[start:end] == sentence
