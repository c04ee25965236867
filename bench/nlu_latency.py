"""Parse latency with and without the sentence embedding, side by side in one run (issue 17).

Serves two models at once, the pipeline's (config.yml) and the same pipeline without the
sentence-embedding featurizer (trained here unless --without is given), and asks both every
held-out question in turn, so both see the same load. Prints wall-clock p50/p99 per parse and
the Rasa server's CPU time per parse, and a machine-readable last line:

    nlu_latency: with_p50_ms=.. with_p99_ms=.. with_cpu_ms=.. without_p50_ms=..
                 without_p99_ms=.. without_cpu_ms=.. load=..   (on one line)

    python -m bench.nlu_latency [--with MODEL] [--without MODEL] [--rounds N]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

from actions.faq import knowledge
from actions.faq.evaluation import percentile
from bench.nlu import serve
from stack import bot_data, model
from stack.paths import BOT_DATA, CONFIG, DOMAIN, RASA_BIN, ROOT, TRAINING_DATA
from stack.processes import RASA_QUIET
from tests.support.servers import free_port, stop_process, wait_until

EMBEDDING = "nlu_components.sentence_embedding.SentenceEmbeddingFeaturizer"
# The learned out-of-scope boundary (round 7) scores the embedding: it goes with it.
BOUNDARY = "nlu_components.oos_boundary.OutOfScopeBoundary"


def config_without_embedding(target: Path) -> Path:
    """config.yml without the embedding featurizer, the boundary that reads it and the
    selector's dense features."""
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    pipeline = [c for c in config["pipeline"] if c["name"] not in (EMBEDDING, BOUNDARY)]
    for component in pipeline:
        component.pop("dense_featurizers", None)
        component.pop("dense_weight", None)
    config["pipeline"] = pipeline
    target.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return target


def train_without_embedding(folder: Path) -> tuple[Path, float]:
    started = time.monotonic()
    bot_data.write(None, BOT_DATA)
    config = config_without_embedding(folder / "config-without-embedding.yml")
    command = [str(RASA_BIN), "train", "--config", str(config), "--domain", str(DOMAIN)]
    command += ["--data", *map(str, TRAINING_DATA), "--out", str(folder)]
    command += ["--fixed-model-name", "without-embedding"]
    env = {**os.environ, **RASA_QUIET}
    subprocess.run(command, cwd=ROOT, env=env, stdout=sys.stderr, check=True)
    return folder / "without-embedding.tar.gz", time.monotonic() - started


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--with", dest="with_model", type=Path, help="default: models/ current")
    parser.add_argument("--without", type=Path, help="default: trained here")
    parser.add_argument("--rounds", type=int, default=1, help="times through the questions")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="swa-bench-latency-"))
    with_model = args.with_model or model.model_path()
    without = args.without
    if without is None:
        print("training a model without the embedding…", file=sys.stderr)
        without, seconds = train_without_embedding(workdir)
        print(f"trained in {seconds:.0f} s", file=sys.stderr)

    kb = knowledge.default()
    questions = [t for e in kb.entries for t in e.heldout] + list(kb.out_of_scope.heldout)
    servers, bases = {}, {}
    try:
        for name, path in (("with", with_model), ("without", without)):
            port = free_port()
            servers[name] = serve(path, port, workdir / f"rasa-{name}.log")
            bases[name] = f"http://127.0.0.1:{port}"
        for base in bases.values():
            wait_until(lambda b=base: httpx.get(f"{b}/status", timeout=2).is_success, 300, "Rasa")
        clients = {n: httpx.Client(base_url=b, timeout=30) for n, b in bases.items()}
        for client in clients.values():
            for _ in range(5):
                client.post("/model/parse", json={"text": "热身"}).raise_for_status()
        times: dict[str, list[float]] = {name: [] for name in clients}
        cpu = {name: cpu_seconds(servers[name].pid) for name in clients}
        for _ in range(args.rounds):
            for text in questions:
                for name, client in clients.items():
                    started = time.perf_counter()
                    client.post("/model/parse", json={"text": text}).raise_for_status()
                    times[name].append((time.perf_counter() - started) * 1000)
        cpu = {n: (cpu_seconds(servers[n].pid) - c) * 1000 / len(times[n]) for n, c in cpu.items()}
        load = os.getloadavg()[0]
    finally:
        for server in servers.values():
            stop_process(server)

    parts = []
    for name in ("with", "without"):
        p50, p99 = percentile(times[name], 0.5), percentile(times[name], 0.99)
        print(
            f"{name} embedding: {len(times[name])} parses, p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
            f"CPU {cpu[name]:.1f} ms per parse"
        )
        parts.append(
            f"{name}_p50_ms={p50:.1f} {name}_p99_ms={p99:.1f} {name}_cpu_ms={cpu[name]:.1f}"
        )
    print(f"nlu_latency: {' '.join(parts)} load={load:.1f}")


if __name__ == "__main__":
    main()
