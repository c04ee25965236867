"""CPU seconds spent by each kind of process of the production profile during a benchmark round.

Why: on 2 cores the cluster benchmark's ratio (bench/chat.py --cluster) is set by how the cores
are shared, not by any one process's latency. Two Rasa servers can give twice one server's turns
only if everything else on the path (service instances, nginx, PostgreSQL, Redis, the action
server, the simulated users themselves) costs little per turn; this account says how much each
costs, in CPU milliseconds a turn, from the kernel's own counters (/proc/PID/stat).

A program's time is that of its whole process tree (PostgreSQL's backends, nginx's workers),
children already reaped included (their time is in their parent's cutime and cstime).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

_TICKS_PER_S = os.sysconf("SC_CLK_TCK")
# /proc/PID/stat fields after the command's closing parenthesis: state is the first (field 3),
# so field N is at index N - 3.
_PPID, _UTIME, _CSTIME = 4 - 3, 14 - 3, 17 - 3
# The benchmark's own process: the simulated users' sockets.
BENCH = "bench"


def _stats() -> dict[int, tuple[int, float]]:
    """Every live process: its parent and its CPU seconds (own and reaped children's)."""
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # exited meanwhile
        ticks = sum(int(f) for f in fields[_UTIME : _CSTIME + 1])
        stats[int(entry.name)] = (int(fields[_PPID]), ticks / _TICKS_PER_S)
    return stats


def group_of(program: str) -> str:
    """Servers of one kind are summed: "rasa-1" and "rasa-0" are both "rasa"."""
    return program.split("-")[0]


def program_seconds(programs: Mapping[str, int]) -> dict[str, float]:
    """CPU seconds so far of each of `programs` (name: pid; 0 when not running), and of this
    process under BENCH."""
    stats = _stats()
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in stats.items():
        children.setdefault(parent, []).append(pid)
    seconds: dict[str, float] = {BENCH: stats.get(os.getpid(), (0, 0.0))[1]}
    for name, root in programs.items():
        tree, total = [root], 0.0
        while tree:
            pid = tree.pop()
            if pid in stats:
                total += stats[pid][1]
                tree.extend(children.get(pid, ()))
        seconds[name] = total
    return seconds


class CpuAccount:
    """CPU seconds per group summed over measured intervals, with the turns they served."""

    def __init__(self, programs: Callable[[], Mapping[str, int]]) -> None:
        self._programs = programs
        self.seconds: dict[str, float] = {}
        self.turns = 0
        self._start: dict[str, float] = {}
        # The last interval's CPU seconds per program: whether both Rasa servers were busy.
        self.last: dict[str, float] = {}

    def start(self) -> None:
        self._start = program_seconds(self._programs())

    def stop(self, turns: int) -> None:
        end = program_seconds(self._programs())
        self.last = {name: spent - self._start.get(name, 0.0) for name, spent in end.items()}
        for name, spent in self.last.items():
            group = group_of(name)
            self.seconds[group] = self.seconds.get(group, 0.0) + spent
        self.turns += turns

    def cores(self, group: str, seconds: float) -> str:
        """The last interval's cores used by each program of `group`, e.g. "0.71,0.68"."""
        last = sorted(self.last.items())
        return ",".join(f"{spent / seconds:.2f}" for name, spent in last if group_of(name) == group)

    def line(self) -> str:
        """CPU ms a turn per group, the largest first, and their total."""
        per_turn = {g: 1000 * s / max(self.turns, 1) for g, s in self.seconds.items()}
        parts = [f"{g}={ms:.1f}" for g, ms in sorted(per_turn.items(), key=lambda i: -i[1])]
        return " ".join([*parts, f"total={sum(per_turn.values()):.1f}"])
