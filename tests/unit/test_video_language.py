"""Which language a video is stored as: the one most of its speech was recognised in."""

from collections import Counter

from avas.pipeline.feed import video_language


def test_one_language() -> None:
    assert video_language(Counter({"en": 40})) == "en"


def test_a_few_misdetections_do_not_matter() -> None:
    assert video_language(Counter({"en": 45, "nl": 3, "de": 2})) == "en"


def test_a_video_in_two_languages_has_none() -> None:
    # Forcing either language on every look would garble the other half.
    assert video_language(Counter({"en": 30, "fr": 20})) is None


def test_no_speech_has_none() -> None:
    assert video_language(Counter()) is None
