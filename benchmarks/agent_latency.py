"""Answer latency of the offline agent on a long generated video: p50/p95 and tool steps.

    .venv/bin/python -m benchmarks.agent_latency --minutes 30
    .venv/bin/python -m benchmarks.agent_latency --minutes 120   # the issue's 2-hour target
    .venv/bin/python -m benchmarks.agent_latency --minutes 120 --workdir /tmp/agent120  # keep it

Generates a video (the demo's scenes repeated), ingests it once, then asks a mix of question
kinds (speech, on-screen text, order, counting, time window, summary, absent topic), each
several times, and prints a table. The store and models are warm, as in a chat session.
With ``--workdir`` the video and its store are kept there and reused by the next run (a 2-hour
ingest is the long part; the questions take seconds).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from agents.graph import agent_for, ask
from avas.config import Settings
from avas.media.sample import make_sample_video
from avas.service import Service
from benchmarks.ingest_speed import long_spec

QUESTIONS = (
    "What did the speaker say about the budget?",
    "What on-screen text mentions the harbor?",
    "What text appeared right after 'LOADING DOCK B'?",
    "What was said before 'EXIT GATE 7'?",
    "How many times did 'NIGHT SHIFT 3' appear?",
    "What was said in the last 5 minutes?",
    "When does the harbor bridge close?",
    "What is this video about?",
    "What did the speaker say about the volcano?",
    "What text was shown after 10:00?",
    # Entity lookup: the on-screen name is a text entity; its events are the answer.
    "Who interacted with the harbor bridge?",
    # Thin evidence (no "deficit" anywhere): the agent looks again around the best hit,
    # re-reading it at 4 frames a second with OCR and speech recognition.
    "What did the speaker say about the budget deficit?",
)


def main() -> None:
    parser = argparse.ArgumentParser(description="offline agent latency")
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workdir", type=Path, help="keep the video and store here, and reuse")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        video = work / f"long-{args.minutes:g}min.mp4"
        if not video.exists():
            make_sample_video(video, long_spec(args.minutes))
        service = Service(Settings(home=work / f"home-{args.minutes:g}min"))
        # A complete earlier ingest of the same file is skipped (resume finds nothing to do).
        report = service.ingest(video, name="long")
        agent = agent_for(service)
        ask(agent, QUESTIONS[0], video_id="long")  # warm-up
        rows = []
        all_s: list[float] = []
        for question in QUESTIONS:
            times, steps = [], 0
            for _ in range(args.repeat):
                # A fresh agent each time (outside the timer): its retriever's query-vector
                # cache is empty, so every run pays what a new question pays.
                agent = agent_for(service)
                t = time.perf_counter()
                answer = ask(agent, question, video_id="long")
                times.append(time.perf_counter() - t)
                steps = len(answer.steps)
            all_s += times
            rows.append(
                (question, np.percentile(times, 50), np.percentile(times, 95), steps, answer)
            )
        service.close()
    events = report.events + report.events_skipped
    print(f"{args.minutes:g}-minute video, {events} events; {args.repeat} runs per question")
    print(f"{'question':<52} | {'p50 ms':>7} | {'p95 ms':>7} | {'steps':>5} | found")
    print("-" * 90)
    for question, p50, p95, steps, answer in rows:
        print(f"{question[:52]:<52} | {p50 * 1000:>7.0f} | {p95 * 1000:>7.0f} | {steps:>5} | "
              f"{answer.found}")  # fmt: skip
    print(
        f"{'all questions':<52} | {np.percentile(all_s, 50) * 1000:>7.0f} | "
        f"{np.percentile(all_s, 95) * 1000:>7.0f} |"
    )


if __name__ == "__main__":
    main()
