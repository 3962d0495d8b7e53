"""How busy the machine was: the CPU is shared, so every timing is stored with the load it was taken under."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from pathlib import Path
from typing import Dict, Iterable, Tuple

TICKS = os.sysconf("SC_CLK_TCK")


def loadavg() -> Tuple[float, float, float]:
    one, five, fifteen = Path("/proc/loadavg").read_text().split()[:3]
    return float(one), float(five), float(fifteen)


def describe(root: Path) -> Dict[str, object]:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True)
    return {
        "cpus": os.cpu_count(), "cpu_model": model, "python": platform.python_version(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "git_commit": commit.stdout.strip(), "loadavg_at_start": loadavg(),
    }


def _busy_seconds() -> float:
    """CPU time spent by everything on the machine since boot (all cores)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / TICKS


def _process_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


class CpuWatch:
    """CPU seconds used by our processes and by everything else during one measurement.

    "others" is the noise: other people's training and tests on the shared
    machine. With 2 cores, others_cores near 0 means a clean measurement.
    """

    def __init__(self, pids: Iterable[int]) -> None:
        self.pids = [os.getpid(), *pids]
        self._start = self._snapshot()

    def _snapshot(self) -> Tuple[float, float, float]:
        return time.monotonic(), _busy_seconds(), sum(_process_seconds(pid) for pid in self.pids)

    def stop(self) -> Dict[str, float]:
        end = self._snapshot()
        wall = end[0] - self._start[0]
        total = end[1] - self._start[1]
        mine = end[2] - self._start[2]
        return {
            "wall_s": round(wall, 1),
            "bench_processes_cores": round(mine / wall, 2) if wall else 0.0,
            "others_cores": round(max(total - mine, 0.0) / wall, 2) if wall else 0.0,
            "loadavg_1min": loadavg()[0],
        }
