"""Where the agent looks again: a few seconds around its best hit, inside the hit's event."""

from agents.look import MOMENT_MAX_MS, MOMENT_PAD_MS, moment_around
from graph_schema import TimeSpan


def span(start: int, end: int) -> TimeSpan:
    return TimeSpan(start_ms=start, end_ms=end)


def test_pads_a_short_hit_on_both_sides() -> None:
    got = moment_around(span(60_000, 63_000), span(45_000, 90_000))
    assert got == span(60_000 - MOMENT_PAD_MS, 63_000 + MOMENT_PAD_MS)


def test_stays_inside_the_event() -> None:
    assert moment_around(span(45_500, 47_000), span(45_000, 90_000)) == span(45_000, 51_000)
    assert moment_around(span(88_000, 90_000), span(45_000, 90_000)) == span(84_000, 90_000)


def test_a_long_hit_is_cut_to_the_moment_around_its_centre() -> None:
    # An event-level hit spans the whole event: look at its middle, not all of it.
    got = moment_around(span(0, 60_000), span(0, 60_000))
    assert got.duration_ms == MOMENT_MAX_MS
    assert got.start_ms == 30_000 - MOMENT_MAX_MS // 2
    # ...and near an event edge the moment slides inside the event rather than shrinking.
    edge = moment_around(span(40_000, 60_000), span(0, 50_000))
    assert edge == span(50_000 - MOMENT_MAX_MS, 50_000)
