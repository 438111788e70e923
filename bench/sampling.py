"""Sampled profiles of a server's gunicorn worker under load, with py-spy.

cProfile inflates whatever is built of many small calls (it pays its own cost on each), so its shares
mislead on a request path. py-spy samples the worker from outside instead, about 1,000 times a
second, keeping only the thread that holds the GIL (``--gil``): Python's own work, and any C call
made while holding it, such as a wait on a socket while no other thread wants the interpreter. So a
frame's figure is close to the request's time spent under it in the worker, waits included.

py-spy is not needed to run Caredesk or its tests: ``.venv/bin/python -m pip install -e '.[profile]'``
installs it. It reads the worker's memory with ptrace (root, or CAP_SYS_PTRACE in a container).
Used by ``--sample`` in bench/search.py and bench/api_reads.py.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from take_next import process_children  # bench/take_next.py, beside this file

RATE = 1000  # samples per second asked of py-spy
_LINE = re.compile(r":\d+\)$")


def py_spy() -> str:
    found = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if found is None:
        raise SystemExit("py-spy is not installed: .venv/bin/python -m pip install -e '.[profile]'")
    return found


def worker_of(server_pid: int) -> int:
    """The one gunicorn worker below ``server_pid`` (``caredesk serve`` execs gunicorn's master, whose
    child is the worker; a master started as a child of ``server_pid`` is followed down)."""
    children, pid = process_children(), server_pid
    while True:
        below = children.get(pid, [])
        if not below:
            if pid == server_pid:
                raise RuntimeError(f"process {server_pid} has no gunicorn worker")
            return pid
        if len(below) > 1:
            raise RuntimeError(f"process {pid} has {len(below)} children; run one worker to sample it")
        pid = below[0]


class Recording:
    """``py-spy record`` of one process until ``seconds`` have passed; ``running`` says whether it is still
    sampling, so a load loop can run exactly as long."""

    def __init__(self, pid: int, seconds: int, output: Path) -> None:
        self.output = output
        self.process = subprocess.Popen(
            [py_spy(), "record", "--pid", str(pid), "--rate", str(RATE), "--gil", "--nonblocking",
             "--format", "raw", "--output", str(output), "--duration", str(seconds)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def finish(self) -> Path:
        _out, err = self.process.communicate(timeout=120)
        if self.process.returncode != 0 or not self.output.exists():
            raise RuntimeError(f"py-spy failed ({self.process.returncode}): {err.decode(errors='replace')[-500:]}")
        return self.output


def frames(raw: Path) -> tuple[int, Counter]:
    """All samples, and the samples under each frame (``function (file)``, lines merged, counted once
    per stack however deep its recursion)."""
    total, under = 0, Counter()
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        total += int(count)
        for frame in {_LINE.sub(")", frame) for frame in stack.split(";")}:
            under[frame] += int(count)
    return total, under


def print_table(columns: dict[str, tuple[Path, int]], *, top: int = 45) -> None:
    """For each column (label: py-spy's raw output and the requests answered while it sampled), the
    sampled ms per request under each frame; the frames where the first column exceeds the last most
    come first (with one column: the largest)."""
    per_request = {}
    for label, (raw, requests) in columns.items():
        total, under = frames(raw)
        per_request[label] = ({frame: count * 1000 / RATE / requests for frame, count in under.items()},
                              total * 1000 / RATE / requests)
    first, last = next(iter(per_request.values()))[0], list(per_request.values())[-1][0]
    ranked = sorted(set().union(*(table for table, _total in per_request.values())),
                    key=lambda frame: -(first.get(frame, 0.0) - (last.get(frame, 0.0) if len(per_request) > 1 else 0.0)))
    width = max(10, *(len(label) + 1 for label in per_request))
    print("".join(f"{label:>{width}}" for label in per_request) + "   frame (sampled ms per request, GIL held)")
    print("".join(f"{total:>{width}.3f}" for _table, total in per_request.values()) + "   all samples")
    for frame in ranked[:top]:
        print("".join(f"{table.get(frame, 0.0):>{width}.3f}" for table, _total in per_request.values()) + f"   {frame}")
