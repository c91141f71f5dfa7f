"""Where a server's interpreter goes under load: py-spy, sampling the thread that holds the GIL.

`python -m bench.protocol --spy` records the server (every thread: the script runs and the event loop
that serialises and sends their messages) for the length of the load, 100 samples a second, with
`--gil`: only the thread holding the interpreter is sampled, so the shares add up to what the one core
an interpreter can use was spent on. cProfile (`--profile`) sees only the script runs and, timing
every call, slows them several times over; py-spy reads the process from outside.

The raw file (`server-spy.txt` in --out, "frame;frame;… count" lines, flamegraph.pl's input) is
summarised here: the share of samples under each function (inclusive) and in it (self). py-spy needs
ptrace rights over the server: root, or a kernel.yama.ptrace_scope of 0.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

_LINE = re.compile(r":\d+\)$")  # a frame's line number: one function, whatever line it was at


def py_spy() -> str | None:
    """The py-spy executable next to this interpreter (requirements.txt), or on PATH."""
    here = Path(sys.executable).with_name("py-spy")
    return str(here) if here.exists() else shutil.which("py-spy")


def start(pid: int, out: Path, seconds: float) -> subprocess.Popen[bytes]:
    """Start recording `pid` for `seconds` into `out` (raw collapsed stacks)."""
    exe = py_spy()
    if exe is None:
        raise RuntimeError("py-spy is not installed (pip install -r requirements.txt)")
    return subprocess.Popen(
        [
            *(exe, "record", "--pid", str(pid), "--rate", "100", "--duration", str(int(seconds))),
            *("--gil", "--nonblocking", "--format", "raw", "--output", str(out)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@dataclass
class Summary:
    """Samples in all, and per function (file and name, without the line) under it and in it."""

    samples: int
    inclusive: Counter[str]
    own: Counter[str]

    def share(self, function: str) -> float:
        """The share of samples under the first function whose name contains `function`, in %."""
        for name, count in self.inclusive.most_common():
            if function in name:
                return 100 * count / self.samples if self.samples else 0.0
        return 0.0


def summarise(lines: list[str]) -> Summary:
    """Read py-spy's raw output: one "frame;frame;…;frame count" line per distinct stack."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    samples = 0
    for line in lines:
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        samples += n
        frames = [_LINE.sub(")", f) for f in stack.split(";")]
        for name in set(frames):
            inclusive[name] += n
        own[frames[-1]] += n
    return Summary(samples, inclusive, own)


def print_summary(path: Path, top: int = 40) -> None:
    """The functions the server's interpreter spent most of its samples under, and in."""
    if not path.exists():
        print(f"no py-spy record at {path}")
        return
    summary = summarise(path.read_text(encoding="utf-8", errors="replace").splitlines())
    print(f"\nServer interpreter samples (py-spy --gil, {path}): {summary.samples}")
    print("under the function (inclusive):")
    for name, count in summary.inclusive.most_common(top):
        print(f"  {100 * count / summary.samples:5.1f}%  {name[:150]}")
    print("in the function itself:")
    for name, count in summary.own.most_common(top // 2):
        print(f"  {100 * count / summary.samples:5.1f}%  {name[:150]}")
