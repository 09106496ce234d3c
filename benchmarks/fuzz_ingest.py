"""Fuzz the media intake: corrupted variants of real clips through the real ingest.

    .venv/bin/python -m benchmarks.fuzz_ingest --seed 1 --n 1000
    .venv/bin/python -m benchmarks.fuzz_ingest --seed 1 --n 50 --models full   # OCR + ASR too

Variants of the short clips in ../shared/media (chaplin, grid, thanks, book): bit flips, truncation,
header damage, zeroed stretches, splices of two files, timestamp jumps (ffmpeg setpts), playlists
and manifests named .mp4. Each goes through ``Service.ingest`` (pipeline + embedded store in a temp
home) inside one long-lived ingest process, which then reads the file's audio as the speech stage
does and checks ``store.consistency_problems()``. That process is the caller a crashing decoder
used to kill: this harness counts its deaths (crashes), variants that take more than ``--limit-s``
(hangs; the process is then replaced) and store problems, and prints a table.

``--models fast`` (default) turns OCR, speech and detectors off, so 1000 variants take minutes:
decoding, segmenting and committing are the same code either way; ``full`` runs them all.
"""

from __future__ import annotations

import argparse
import json
import random
import select
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

SHARED_MEDIA = Path(__file__).resolve().parents[2] / "shared" / "media"
CLIPS = ["chaplin.mp4", "thanks.mkv", "book.mkv", "grid/bbaf2n.mpg", "grid/lrwp9a.mpg"]
OUTCOMES = ["ok", "refused", "other error", "crash", "hang"]


# -- variants --------------------------------------------------------------------------------


def _bit_flips(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    # Half of the time near the start, where the container's header and index live.
    span = min(len(out), 8192) if rng.random() < 0.5 else len(out)
    for _ in range(rng.randint(1, 64)):
        i = rng.randrange(span)
        out[i] ^= 1 << rng.randrange(8)
    return bytes(out)


def _truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randint(1, len(data) - 1)]


def _header_damage(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    start = rng.randrange(min(len(out), 4096))
    for i in range(start, min(len(out), start + rng.randint(4, 512))):
        out[i] = rng.randrange(256)
    return bytes(out)


def _zeroed(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    start = rng.randrange(len(out))
    end = min(len(out), start + rng.randint(16, 64 * 1024))
    out[start:end] = bytes(end - start)
    return bytes(out)


def _splice(rng: random.Random, data: bytes, other: bytes) -> bytes:
    return data[: rng.randint(1, len(data))] + other[rng.randrange(len(other)) :]


def _playlist(rng: random.Random, target: Path, out: Path) -> None:
    kinds = [
        f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n{target}\n#EXT-X-ENDLIST\n",
        f"ffconcat version 1.0\nfile '{target}'\n",
        f"file '{target}'\n",
        '<?xml version="1.0"?>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static">'
        f"<Period><AdaptationSet><Representation><BaseURL>{target}</BaseURL>"
        "</Representation></AdaptationSet></Period></MPD>\n",
        "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        "m=video 5004 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n",
        f"[playlist]\nFile1={target}\nNumberOfEntries=1\n",
    ]
    text = rng.choice(kinds).encode()
    if rng.random() < 0.3:  # binary junk after the header: not plain text any more
        text += bytes(rng.randrange(256) for _ in range(64))
    out.write_bytes(text)


def _timestamp_jump(rng: random.Random, clip: Path, out: Path) -> bool:
    """Re-encode 3 s with one or a few frames stamped far away; False if ffmpeg refused."""
    frame = rng.randint(1, 20)
    jump_s = rng.choice([5, 3600, 10**5, 10**7, 10**9, -(10**4)])
    if rng.random() < 0.5:
        expr = f"if(eq(N\\,{frame})\\,PTS+{jump_s}/TB\\,PTS)"  # one frame out and back
    else:
        expr = f"if(gte(N\\,{frame})\\,PTS+{jump_s}/TB\\,PTS)"  # everything after jumps
    cmd = ["ffmpeg", "-v", "quiet", "-y", "-t", "3", "-i", str(clip), "-vf", f"setpts='{expr}'"]
    # passthrough: real jumps. By default ffmpeg fills a jump with duplicate frames, and a 3 s
    # clip became a genuine 1-hour video (90,006 frames) that took 60 s to ingest.
    cmd += ["-fps_mode", "passthrough", "-c:v", "libx264", "-preset", "ultrafast", "-an", str(out)]
    try:
        return subprocess.run(cmd, timeout=60, check=False).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def make_variant(rng: random.Random, index: int, root: Path, clips: list[Path]) -> tuple[str, Path]:
    """One corrupted file; its kind and path."""
    clip = rng.choice(clips)
    data = clip.read_bytes()
    kind = rng.choice(
        ["bitflip", "truncate", "header", "zeroed", "splice", "timestamps", "playlist"]
    )
    suffix = rng.choice([clip.suffix, ".mp4", ".mkv"])
    out = root / f"v{index:05d}{suffix}"
    mutate: dict[str, Callable[[random.Random, bytes], bytes]] = {
        "bitflip": _bit_flips,
        "truncate": _truncate,
        "header": _header_damage,
        "zeroed": _zeroed,
    }
    if kind in mutate:
        out.write_bytes(mutate[kind](rng, data))
    elif kind == "splice":
        out.write_bytes(_splice(rng, data, rng.choice(clips).read_bytes()))
    elif kind == "playlist":
        out = out.with_suffix(".mp4")
        _playlist(rng, clip, out)
    else:
        out = out.with_suffix(rng.choice([".mkv", ".mp4", ".ts"]))
        if not _timestamp_jump(rng, clip, out):
            out.write_bytes(_bit_flips(rng, data))
            kind = "bitflip"
    return kind, out


# -- the ingest process ----------------------------------------------------------------------


def serve(home: Path, models: str) -> None:
    """The ingest process: one JSON request per stdin line, one JSON answer per stdout line."""
    from avas.config import PerceptionSettings, Settings
    from avas.errors import InputError
    from avas.ingest import open_source
    from avas.service import Service

    settings = Settings(home=home)
    if models == "fast":
        fast = PerceptionSettings(
            ocr="none", asr="none", people_detector="none", face_detector="none"
        )
        settings = Settings(home=home, perception=fast)
    service = Service(settings)
    _ = service.pipeline  # models load here, not inside the first variant's time limit
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        answer: dict[str, Any] = {}
        try:
            report = service.ingest(request["path"], name=request["name"])
            answer = {"outcome": "ok", "stopped": report.stopped}
            # The speech stage's audio reader, which the fast mode does not start.
            source = open_source(request["path"], settings.ingest)
            try:
                sum(len(c.samples) for c in source.audio())
            finally:
                source.close()
        except InputError as exc:
            answer = {"outcome": "refused", "message": str(exc)[:300]}
        except Exception as exc:  # a bug: what the API would turn into a 500
            answer = {"outcome": "other error", "message": f"{type(exc).__name__}: {exc}"[:300]}
        store: Any = service.store
        answer["problems"] = store.consistency_problems()
        print(json.dumps(answer), flush=True)
    service.close()


class IngestProcess:
    def __init__(self, home: Path, models: str) -> None:
        self.home, self.models = home, models
        self.proc = self._start()

    def _start(self) -> subprocess.Popen[str]:
        cmd = [sys.executable, "-m", "benchmarks.fuzz_ingest", "--serve", str(self.home)]
        proc = subprocess.Popen(
            [*cmd, "--models", self.models],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert proc.stdout is not None
        ready = proc.stdout.readline()
        if not ready:
            raise SystemExit("the ingest process did not start")
        return proc

    def ingest(self, path: Path, name: str, limit_s: float) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write(json.dumps({"path": str(path), "name": name}) + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            return self._died()
        ready, _, _ = select.select([self.proc.stdout], [], [], limit_s)
        if not ready:
            self.proc.kill()
            self.proc.wait()
            self.proc = self._start()
            return {"outcome": "hang", "problems": []}
        line = self.proc.stdout.readline()
        if not line:
            return self._died()
        answer: dict[str, Any] = json.loads(line)
        return answer

    def _died(self) -> dict[str, Any]:
        code = self.proc.wait()
        self.proc = self._start()
        return {"outcome": "crash", "message": f"exit {code}", "problems": []}

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)


def final_check(home: Path) -> list[str]:
    """A fresh process opens the store: readable, consistent."""
    code = (
        "import json,sys; from avas.config import Settings; from avas.service import Service;"
        f"s=Service(Settings(home={str(home)!r})); v=s.store.videos();"
        "print(json.dumps({'videos': len(v), 'problems': s.store.consistency_problems()}))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    if proc.returncode != 0:
        return [f"store unreadable: {proc.stderr.strip().splitlines()[-1:]}"]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    problems: list[str] = result["problems"]
    return problems


def run(
    seed: int, n: int, limit_s: float, models: str, media: Path, budget_s: float | None = None
) -> dict[str, Any]:
    """Fuzz ``n`` variants (fewer if ``budget_s`` runs out first); the counts (the table's rows)
    and the first messages of each bad outcome."""
    clips = [media / c for c in CLIPS if (media / c).exists()]
    if not clips:
        raise SystemExit(f"no clips under {media}")
    rng = random.Random(seed)
    counts: Counter[tuple[str, str]] = Counter()
    store_problems = 0
    examples: dict[str, list[str]] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="avas-fuzz-") as tmp:
        root = Path(tmp)
        worker = IngestProcess(root / "home", models)
        try:
            for i in range(n):
                if budget_s is not None and time.perf_counter() - started > budget_s:
                    break
                kind, path = make_variant(rng, i, root, clips)
                answer = worker.ingest(path, f"fuzz-{i:05d}", limit_s)
                outcome = answer["outcome"]
                counts[(kind, outcome)] += 1
                if answer.get("problems"):
                    store_problems += 1
                if outcome in ("other error", "crash", "hang") or answer.get("problems"):
                    line = f"{path.name} ({kind}): {answer.get('message', '')}"
                    line += f" {answer.get('problems') or ''}"
                    examples.setdefault(outcome, []).append(line)
                    print(f"  {outcome}: {line}", file=sys.stderr, flush=True)
                path.unlink(missing_ok=True)
                if (i + 1) % 50 == 0:
                    done = {o: sum(c for (_, oo), c in counts.items() if oo == o) for o in OUTCOMES}
                    print(f"  {i + 1}/{n} {time.perf_counter() - started:.0f} s {done}",
                          file=sys.stderr, flush=True)  # fmt: skip
        finally:
            worker.close()
        final = final_check(root / "home")
    return {
        "counts": counts,
        "store_problems": store_problems + (1 if final else 0),
        "final": final,
        "examples": examples,
        "seconds": time.perf_counter() - started,
    }


def print_table(result: dict[str, Any], seed: int, n: int, models: str) -> None:
    counts: Counter[tuple[str, str]] = result["counts"]
    kinds = sorted({k for k, _ in counts})
    header = f"{'variant':>10} | {'n':>5} | " + " | ".join(f"{o:>11}" for o in OUTCOMES)
    done = sum(counts.values())
    print(f"fuzz_ingest seed={seed} n={done}/{n} models={models}: {result['seconds']:.0f} s")
    print(header)
    print("-" * len(header))
    for kind in [*kinds, "all"]:
        row = {o: sum(c for (k, oo), c in counts.items() if oo == o and kind in (k, "all"))
               for o in OUTCOMES}  # fmt: skip
        print(
            f"{kind:>10} | {sum(row.values()):>5} | "
            + " | ".join(f"{row[o]:>11}" for o in OUTCOMES)
        )
    print(f"store consistency problems: {result['store_problems']} {result['final'] or ''}")
    for outcome, lines in result["examples"].items():
        for line in lines[:5]:
            print(f"  {outcome}: {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description="fuzz the media intake with corrupted clips")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--limit-s", type=float, default=60.0, help="per variant")
    parser.add_argument("--models", choices=["fast", "full"], default="fast")
    parser.add_argument("--media", type=Path, default=SHARED_MEDIA)
    parser.add_argument("--budget-s", type=float, help="stop starting variants after this long")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.models)
        return
    result = run(args.seed, args.n, args.limit_s, args.models, args.media, args.budget_s)
    print_table(result, args.seed, args.n, args.models)


if __name__ == "__main__":
    main()
