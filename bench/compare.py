"""`make compare-pipelines`: the NLU pipelines side by side on one fixed split and the held-out file.

Five-fold cross-validation of DIET on 2 shared cores takes too long for a
routine target, so each pipeline is measured the same cheaper way:

- one stratified 80/20 split of data/nlu (`rasa data split nlu`, seed 42):
  trained on the 80%, scored on the 20% (weighted intent F1, lowest intent);
- the same model scored on tests/nlu_holdout.yml (never used for training);
- training time (`rasa train nlu` with an empty cache, on the 80%);
- per-message parse CPU time of the loaded model (median over the held-out
  texts, second pass, in this process) and how often it would fall back
  (nlu_fallback: "could you rephrase?") on the held-out file.

Writes results/pipelines.json and prints a Markdown table for docs/performance.md.

Usage: python -m bench.compare [--configs config.yml bench/configs/diet_small.yml ...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cma_stack import RASA, quiet_env  # noqa: E402

CONFIGS = [
    "config.yml",
    "bench/configs/lean_liblinear.yml",
    "bench/configs/diet_small.yml",
    "bench/configs/diet_default.yml",
]
HOLDOUT = ROOT / "tests" / "nlu_holdout.yml"
RESULTS = ROOT / "results"


def _rasa(args: Sequence[str], log: Path, extra_env: Optional[Dict[str, str]] = None) -> Tuple[float, float]:
    """Wall seconds and CPU seconds of one `rasa` command (CPU time is what others' load cannot inflate)."""
    started, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    with log.open("a") as output:
        result = subprocess.run(
            [str(RASA), *args], cwd=ROOT, env=quiet_env(extra_env), stdout=output, stderr=subprocess.STDOUT
        )
    if result.returncode != 0:
        raise RuntimeError(f"rasa {' '.join(args)} failed; see {log}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return round(time.perf_counter() - started, 1), round(cpu, 1)


def _scores(results_dir: Path) -> Dict[str, object]:
    report = json.loads((results_dir / "intent_report.json").read_text())
    intents = {
        name: values["f1-score"]
        for name, values in report.items()
        if isinstance(values, dict) and "support" in values and not name.endswith("avg")
    }
    worst = min(intents, key=intents.get)
    return {
        "weighted_f1": round(report["weighted avg"]["f1-score"], 3),
        "lowest_intent": worst,
        "lowest_f1": round(intents[worst], 3),
    }


async def _parse_cost(model: Path, texts: List[str]) -> Dict[str, float]:
    """Median CPU milliseconds to parse one message (process time: others' load cannot inflate it much),
    and the share of held-out texts that would fall back."""
    from rasa.core.agent import Agent
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)
    agent = Agent.load(str(model))
    for text in texts:  # warm-up pass
        await agent.parse_message(text)
    times, fallbacks = [], 0
    for text in texts:
        started = time.process_time()
        parsed = await agent.parse_message(text)
        times.append(1000 * (time.process_time() - started))
        fallbacks += parsed["intent"]["name"] == "nlu_fallback"
    return {
        "parse_ms_median": round(statistics.median(times), 2),
        "holdout_fallback_rate": round(fallbacks / len(texts), 3),
    }


def compare(configs: Sequence[str], workdir: Path) -> List[Dict[str, object]]:
    from rasa.shared.nlu.training_data.loading import load_data

    log = workdir / "compare.log"
    split = workdir / "split"
    _rasa(
        [
            "data",
            "split",
            "nlu",
            "--nlu",
            "data/nlu",
            "--training-fraction",
            "0.8",
            "--random-seed",
            "42",
            "--out",
            str(split),
        ],
        log,
    )
    holdout_texts = [example.get("text") for example in load_data(str(HOLDOUT)).intent_examples]
    rows = []
    for config in configs:
        name = Path(config).stem
        print(f"[compare] {config} ...", flush=True)
        model_dir = workdir / "models" / name
        row: Dict[str, object] = {"config": config}
        train_args = [
            "train",
            "nlu",
            "--config",
            config,
            "--nlu",
            str(split / "training_data.yml"),
            "--out",
            str(model_dir),
            "--fixed-model-name",
            name,
        ]
        row["train_s"], row["train_cpu_s"] = _rasa(
            train_args, log, {"RASA_CACHE_DIRECTORY": str(workdir / "cache" / name)}
        )
        model = model_dir / f"{name}.tar.gz"
        for label, data in (("split", split / "test_data.yml"), ("holdout", HOLDOUT)):
            out = workdir / "results" / name / label
            _rasa(["test", "nlu", "--model", str(model), "--nlu", str(data), "--out", str(out)], log)
            row[label] = _scores(out)
        row.update(asyncio.run(_parse_cost(model, holdout_texts)))
        row["model_mb"] = round(model.stat().st_size / 2**20, 1)
        rows.append(row)
        print(f"[compare] {json.dumps(row)}", flush=True)
    return rows


def render(rows: List[Dict[str, object]]) -> str:
    lines = [
        "| pipeline | split F1 (lowest intent) | held-out F1 (lowest intent) | training (CPU time) "
        "| parse CPU / message | held-out fallbacks | model |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        split, holdout = row["split"], row["holdout"]
        lines.append(
            f"| `{row['config']}` | {split['weighted_f1']:.3f} ({split['lowest_intent']} {split['lowest_f1']:.2f}) | "
            f"{holdout['weighted_f1']:.3f} ({holdout['lowest_intent']} {holdout['lowest_f1']:.2f}) | "
            f"{row['train_s']:.0f} s ({row['train_cpu_s']:.0f} s) | {row['parse_ms_median']:.1f} ms | "
            f"{row['holdout_fallback_rate']:.1%} | {row['model_mb']} MB |"
        )
    return "\n".join(lines)


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", default=CONFIGS)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (models, logs)")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="cma-compare-"))
    started = time.monotonic()
    try:
        rows = compare(args.configs, workdir)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    load = Path("/proc/loadavg").read_text().split()[:3]
    report = {"rows": rows, "runtime_s": round(time.monotonic() - started), "loadavg_at_end": load}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "pipelines.json").write_text(json.dumps(report, indent=2))
    print(render(rows))
    print(
        f"\ntook {report['runtime_s']} s; load average at the end {' '.join(load)}; written to results/pipelines.json"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
