"""How busy the machine was: the CPU is shared, so every timing is stored with the load it was taken under."""

from __future__ import annotations

import contextlib
import os
import platform
import resource
import subprocess
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

TICKS = os.sysconf("SC_CLK_TCK")


def loadavg() -> Tuple[float, float, float]:
    one, five, fifteen = Path("/proc/loadavg").read_text().split()[:3]
    return float(one), float(five), float(fifteen)


def describe(root: Path) -> Dict[str, object]:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True)
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "git_commit": commit.stdout.strip(),
        "loadavg_at_start": loadavg(),
    }


def _busy_seconds() -> float:
    """CPU time spent by everything on the machine since boot (all cores)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / TICKS


def process_tree(pid: int) -> List[int]:
    """A process and its descendants (Sanic forks its workers when there are several)."""
    found = [pid]
    with contextlib.suppress(FileNotFoundError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(FileNotFoundError):
                for child in (task / "children").read_text().split():
                    found += process_tree(int(child))
    return found


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its descendants."""
    total = 0.0
    for member in process_tree(pid):
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


class CpuWatch:
    """CPU seconds used by the measured servers, by the bench itself and by everything else.

    "others" is the noise: other people's training and tests on the shared
    machine; with 2 cores, others_cores near 0 means a clean measurement. The
    servers' own CPU time per message does not depend on that noise, so it is
    the number to compare between runs on a busy machine.
    """

    def __init__(self, servers: Optional[Dict[str, int]] = None) -> None:
        self.servers = dict(servers or {})
        self._start = self._snapshot()

    def _snapshot(self) -> Tuple[float, float, Dict[str, float]]:
        # This process, finished children (`rasa train`, through rusage) and the running servers.
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = {name: _cpu_seconds(pid) for name, pid in self.servers.items()}
        cpu["bench"] = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
        return time.monotonic(), _busy_seconds(), cpu

    def stop(self, messages: int = 0) -> Dict[str, float]:
        end = self._snapshot()
        wall = end[0] - self._start[0]
        used = {name: end[2][name] - self._start[2][name] for name in end[2]}
        others = max(end[1] - self._start[1] - sum(used.values()), 0.0)
        result = {
            "wall_s": round(wall, 1),
            "others_cores": round(others / wall, 2) if wall else 0.0,
            "loadavg_1min": loadavg()[0],
        }
        for name, seconds in used.items():
            result[f"{name}_cpu_s"] = round(seconds, 2)
            if messages and name != "bench":
                result[f"{name}_cpu_ms_per_message"] = round(1000 * seconds / messages, 1)
        return result


def connections_by_process(port: int, pids: List[int]) -> Dict[int, int]:
    """Established TCP connections on local `port` held by each of `pids` (/proc/net/tcp, socket inodes).

    How the client connections are spread over Sanic's forked workers, which
    share one listening socket.
    """
    established = set()
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        with contextlib.suppress(FileNotFoundError):
            for line in table.read_text().splitlines()[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":  # 01: ESTABLISHED
                    established.add(fields[9])
    counts: Dict[int, int] = {}
    for pid in pids:
        count = 0
        with contextlib.suppress(FileNotFoundError, ProcessLookupError, PermissionError):
            for descriptor in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    target = os.readlink(descriptor)
                    if target.startswith("socket:[") and target[8:-1] in established:
                        count += 1
        counts[pid] = count
    return counts
