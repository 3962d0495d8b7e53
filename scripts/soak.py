"""Soak test: many concurrent conversations against the real stack with the PostgreSQL tracker store.

Starts its own action server and Rasa server on loopback (cma_stack) with a
throwaway PostgreSQL database, runs CONVERSATIONS conversations of MESSAGES
messages each at once over REST, then checks that every turn was answered and
stored, and that the Rasa server's memory stayed flat. Bounded: a few minutes.

Usage: python scripts/soak.py [--conversations 50] [--messages 20] [--json results/soak.json]
Exit status 1 if any check fails.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cma_stack import Stack, postgres_database, running_stack  # noqa: E402

QUESTIONS = [
    "hi",
    "what does a medical assistant do?",
    "how much do CMAs make?",
    "and per hour?",
    "what about without certification?",
    "what's the job outlook?",
    "tell me about the RMA",
    "who offers it?",
    "how do I get it?",
    "what's the NCMA?",
    "and the CMA?",
    "cma vs rma",
    "and the ccma?",
    "what skills do I need?",
    "and the people skills?",
    "how much is the exam fee?",
    "what's on the exam?",
    "do I have to renew it?",
    "where can this career lead?",
    "thanks!",
]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def soak(stack: Stack, conversations: int, messages: int) -> Dict[str, object]:
    rasa_pid = stack.rasa_processes[0].pid
    senders = [f"soak-{uuid.uuid4()}" for _ in range(conversations)]
    latencies: List[float] = []
    errors: List[str] = []
    lock = threading.Lock()
    # Warm-up (not measured): load the models' lazy parts, then take the baseline.
    for question in QUESTIONS:
        stack.send(f"warmup-{uuid.uuid4()}", question)
    memory = [rss_mb(rasa_pid)]
    done = threading.Event()

    def sample_memory() -> None:
        while not done.wait(2):
            memory.append(rss_mb(rasa_pid))

    def converse(sender: str) -> None:
        for index in range(messages):
            started = time.perf_counter()
            try:
                replies = stack.send(sender, QUESTIONS[index % len(QUESTIONS)], timeout=120)
                if not any(r.get("text") for r in replies):
                    raise ValueError("empty reply")
            except Exception as error:  # any failure is counted and reported
                with lock:
                    errors.append(f"{sender} #{index}: {error!r}")
                continue
            with lock:
                latencies.append(time.perf_counter() - started)

    sampler = threading.Thread(target=sample_memory, daemon=True)
    sampler.start()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=conversations) as pool:
        list(pool.map(converse, senders))
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    memory.append(rss_mb(rasa_pid))

    missing = 0
    for sender in senders:
        events = stack.tracker(sender)["events"]
        users = [e for e in events if e["event"] == "user"]
        bots = [e for e in events if e["event"] == "bot"]
        expected = [QUESTIONS[i % len(QUESTIONS)] for i in range(messages)]
        if [u["text"] for u in users] != expected or len(bots) < messages:
            missing += 1
    ordered = sorted(latencies)
    return {
        "conversations": conversations,
        "messages_per_conversation": messages,
        "messages": conversations * messages,
        "errors": len(errors),
        "error_samples": errors[:5],
        "conversations_incomplete_in_tracker_store": missing,
        "seconds": round(elapsed, 1),
        "messages_per_second": round(len(latencies) / elapsed, 1),
        "latency_p50_ms": round(1000 * statistics.median(ordered), 1) if ordered else None,
        "latency_p95_ms": round(1000 * ordered[int(0.95 * (len(ordered) - 1))], 1) if ordered else None,
        "rasa_rss_mb_start": round(memory[0], 1),
        "rasa_rss_mb_end": round(memory[-1], 1),
        "rasa_rss_mb_max": round(max(memory), 1),
    }


def check(result: Dict[str, object], max_growth: float = 0.15) -> List[str]:
    problems = []
    if result["errors"]:
        problems.append(f"{result['errors']} errors, e.g. {result['error_samples']}")
    if result["conversations_incomplete_in_tracker_store"]:
        problems.append(f"{result['conversations_incomplete_in_tracker_store']} conversations incomplete in the store")
    growth = (result["rasa_rss_mb_end"] - result["rasa_rss_mb_start"]) / result["rasa_rss_mb_start"]
    if growth > max_growth:
        problems.append(f"Rasa memory grew {growth:.0%} (more than {max_growth:.0%})")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--json", type=Path, default=ROOT / "results" / "soak.json")
    args = parser.parse_args()
    with postgres_database() as url, running_stack(tracker_store_url=url) as stack:
        result = soak(stack, args.conversations, args.messages)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    problems = check(result)
    for problem in problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
