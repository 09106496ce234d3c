"""The monitor benchmark's CPU accounting counts the whole process tree, senders excluded.

Real child processes burn real CPU and report what they burned (their own process_time); the
accounting must find it, whether the child is still alive or already reaped, and must leave out
the child reaped as excluded (the benchmark's ffmpeg senders).
"""

from __future__ import annotations

import subprocess
import sys

from benchmarks.monitor_latency import TreeCpu

# Burns ``s`` CPU seconds, prints what it burned, then (when told) waits to be killed.
BURN = """
import sys, time
end = float(sys.argv[1])
while time.process_time() < end:
    pass
print(time.process_time(), flush=True)
if sys.argv[2] == "stay":
    sys.stdin.read()
"""


def _burn(seconds: float, stay: bool) -> tuple[subprocess.Popen[bytes], float]:
    proc = subprocess.Popen(
        [sys.executable, "-c", BURN, str(seconds), "stay" if stay else "go"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert proc.stdout is not None
    burned = float(proc.stdout.readline())
    return proc, burned


def test_children_alive_and_reaped_count_and_excluded_ones_do_not() -> None:
    cpu = TreeCpu()
    alive, alive_s = _burn(0.6, stay=True)  # like the OCR worker: still running at the end
    reaped, reaped_s = _burn(0.6, stay=False)  # like a decoder child that ended
    reaped.wait()
    sender, sender_s = _burn(0.6, stay=False)  # like an ffmpeg sender: not the monitor's
    cpu.reap(sender)
    assert sender.returncode == 0
    try:
        own, children = cpu.split()
    finally:
        assert alive.stdin is not None
        alive.stdin.close()
        alive.wait()
    counted = alive_s + reaped_s
    # process_time includes each child's start-up; tick granularity is 10 ms.
    assert counted - 0.05 <= children < counted + sender_s / 2, (children, counted, sender_s)
    assert own >= 0.0
