"""发布 against a plain `rasa train`, in one run: how much a maintainer waits for an edit to reach
users, and what of that is ours.

1. A plain training of the repository's data (`stack.model.train`, what `make model` does).
2. A publish on a stack of its own (bench/own_stack.py) of the same knowledge base with one
   phrasing added, as the studio runs it (queue_service/publishing): training, the evaluation
   gate (both models parse the held-out and fresh questions), then the swap: until the running
   Rasa server has pulled the new model (its /status names it).

Each training gets an empty Rasa cache of its own (RASA_CACHE_DIRECTORY), so neither reuses
the other's featurizers. The last line:

    publish: plain_train_s=.. publish_s=.. train_s=.. evaluate_s=.. swap_s=.. ratio=..

(ratio: the whole publish over the plain training.)

    python -m bench.publish
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

import httpx
import yaml
from redis.asyncio import Redis

from actions.faq import knowledge
from bench.own_stack import own_stack
from queue_service import db
from queue_service.publishing.publisher import PublishConfig, Publisher
from queue_service.publishing.store import FINISHED, PublicationStore, State
from stack import model
from tests.support.stack import RASA_TOKEN, Stack

PHRASING = ("card_initial_password", "八个八是什么意思")


def snapshot() -> dict[str, str]:
    files = {
        p.relative_to(knowledge.KNOWLEDGE_DIR).as_posix(): p.read_text(encoding="utf-8")
        for p in knowledge.KNOWLEDGE_DIR.rglob("*.yml")
        if "evaluation" not in p.parts
    }
    entry_id, text = PHRASING
    for name, content in files.items():
        entries = yaml.safe_load(content) if name.startswith("faq/") else None
        for entry in entries or []:
            if entry["id"] == entry_id:
                entry["phrasings"].append(text)
                files[name] = yaml.safe_dump(entries, allow_unicode=True, sort_keys=False)
    return files


def fresh_cache(workdir: Path, name: str) -> None:
    os.environ["RASA_CACHE_DIRECTORY"] = str(workdir / f"cache-{name}")


def rasa_runs(stack: Stack, model_name: str) -> bool:
    status = httpx.get(f"{stack.rasa_url}/status", params={"token": RASA_TOKEN}, timeout=5)
    return status.is_success and str(status.json().get("model_file", "")).endswith(model_name)


async def publish(stack: Stack, workdir: Path) -> dict[str, float]:
    engine = db.create_engine(stack.env["SWA_DATABASE_URL"])
    redis = Redis.from_url(stack.env["SWA_REDIS_URL"], decode_responses=True)
    store = PublicationStore(db.session_factory(engine))
    publisher = Publisher(
        store, redis, PublishConfig(workdir / "models", model.ensure_model(), 0.02)
    )
    try:
        started = time.monotonic()
        publication_id = await publisher.start(snapshot(), "bench")
        found = await store.get(publication_id)
        while found.state not in FINISHED:
            await asyncio.sleep(0.2)
            found = await store.get(publication_id)
        published_s = time.monotonic() - started
        assert found.state is State.PUBLISHED, found
        for _ in range(3000):
            if rasa_runs(stack, found.model):
                break
            await asyncio.sleep(0.1)
        else:
            raise TimeoutError("Rasa did not pull the published model within 300 s")
        total_s = time.monotonic() - started
        return {
            "publish_s": total_s,
            "train_s": found.evaluation["train_s"],
            "evaluate_s": found.evaluation["evaluate_s"],
            "swap_s": total_s - published_s,
        }
    finally:
        await publisher.aclose()
        await redis.aclose()
        await engine.dispose()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="swa-bench-publish-") as tmp:
        workdir = Path(tmp)
        fresh_cache(workdir, "plain")
        plain_s = model.train(workdir / "plain.tar.gz")
        print(f"plain rasa train: {plain_s:.1f} s")
        fresh_cache(workdir, "publish")
        with own_stack(SWA_PUBLISHED_MODELS_DIR=str(workdir / "service-models")) as stack:
            figures = asyncio.run(publish(stack, workdir))
    print(
        f"publish: plain_train_s={plain_s:.1f} publish_s={figures['publish_s']:.1f} "
        f"train_s={figures['train_s']:.1f} evaluate_s={figures['evaluate_s']:.1f} "
        f"swap_s={figures['swap_s']:.1f} ratio={figures['publish_s'] / plain_s:.2f}"
    )


if __name__ == "__main__":
    main()
