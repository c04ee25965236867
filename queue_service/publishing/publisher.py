"""发布: a knowledge snapshot trained, evaluated against the published version, and, when the
gate lets it through, published to every Rasa server and action server without a restart.

The heavy work is a command of its own (`python -m stack.publish`, run from the project's
root with the service's Python), so training never shares the service's event loop and the
service never imports the trainer; its JSON lines are the publish's progress, kept on the
publication's row for the console. One publish runs at a time in the whole deployment (a Redis
lock, renewed while it runs); a service stopped in the middle leaves its row `failed` at the
next start of any instance.

Publishing is two writes: the model into SQL (then served to the Rasa servers, which pull it:
model_route.py), and the snapshot into Redis for the action servers
(kernel/published_knowledge.py). `sync()` writes the Redis copy again whenever it is missing
or stale (Redis restarted without its data), so the action servers never fall back silently.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from kernel.published_knowledge import SNAPSHOT_PREFIX, VERSION_KEY
from queue_service.publishing.store import PublicationStore, State, now

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LOCK_KEY = "swa:knowledge:publishing"
LOCK_TTL_S = 30
STAGE_TEXT = {
    "validating": "正在校验知识库",
    "training": "正在训练模型",
    "evaluating": "正在评测新模型",
}


class PublishBusy(Exception):
    """Another publish is running; the console says so and shows which."""


@dataclass(frozen=True)
class PublishConfig:
    models_dir: Path  # the local copies of published models (served to the Rasa servers)
    repository_model: Path | None  # the model the stack started with, before any publish
    max_drop: float
    command: tuple[str, ...] = (sys.executable, "-m", "stack.publish")


class Publisher:
    def __init__(self, store: PublicationStore, redis: Redis, config: PublishConfig) -> None:
        self._store = store
        self._redis = redis
        self._config = config
        self._tasks: set[asyncio.Task] = set()

    async def start(
        self, snapshot: dict[str, str], requested_by: str, revision: int | None = None
    ) -> int:
        """Queue a publish of this snapshot and run it in the background; its id."""
        if not await self._redis.set(LOCK_KEY, "starting", nx=True, ex=LOCK_TTL_S):
            raise PublishBusy
        publication_id = await self._store.create(snapshot, requested_by, revision)
        await self._redis.set(LOCK_KEY, str(publication_id), ex=LOCK_TTL_S)
        task = asyncio.create_task(self._run(publication_id, snapshot))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return publication_id

    async def rollback(self, publication_id: int, requested_by: str) -> int:
        """Publish an earlier published version again (its snapshot and its model): no
        training, no gate (it passed when it was published)."""
        earlier = await self._store.get(publication_id)
        if earlier is None or earlier.published_at is None or earlier.model is None:
            raise LookupError(publication_id)
        if not await self._redis.set(LOCK_KEY, "rollback", nx=True, ex=LOCK_TTL_S):
            raise PublishBusy
        try:
            snapshot = await self._store.snapshot(publication_id)
            restored = await self._store.create(
                snapshot,
                requested_by,
                earlier.revision,
                restores=publication_id,
                model=earlier.model,
                evaluation=earlier.evaluation,
            )
            await self._publish(restored, snapshot)
            return restored
        finally:
            await self._redis.delete(LOCK_KEY)

    async def _run(self, publication_id: int, snapshot: dict[str, str]) -> None:
        renewing = asyncio.create_task(self._hold_lock(publication_id))
        workdir = Path(tempfile.mkdtemp(prefix="swa-publish-"))
        try:
            knowledge = workdir / "knowledge"
            for name, text in snapshot.items():
                path = (knowledge / name).resolve()
                if not path.is_relative_to(knowledge.resolve()):
                    raise ValueError(f"a snapshot file outside the knowledge base: {name}")
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
            baseline = await self.model_file()
            result = await self._command(publication_id, knowledge, baseline)
            await self._finish(publication_id, snapshot, result)
        except Exception as exc:  # the row says what happened; the service goes on
            log.exception("publish failed", extra={"publication": publication_id})
            await self._store.update(
                publication_id, state=State.FAILED, error=str(exc)[:500], finished_at=now()
            )
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
            with contextlib.suppress(RedisError):
                await self._redis.delete(LOCK_KEY)
            shutil.rmtree(workdir, ignore_errors=True)

    async def _hold_lock(self, publication_id: int) -> None:
        while True:
            await asyncio.sleep(LOCK_TTL_S / 3)
            with contextlib.suppress(RedisError):
                await self._redis.set(LOCK_KEY, str(publication_id), ex=LOCK_TTL_S)

    async def _command(
        self, publication_id: int, knowledge: Path, baseline: Path | None
    ) -> dict[str, Any]:
        """Run stack.publish; the last JSON line it printed."""
        self._config.models_dir.mkdir(parents=True, exist_ok=True)
        args = [*self._config.command, "--knowledge", str(knowledge)]
        args += ["--models", str(self._config.models_dir), "--max-drop", str(self._config.max_drop)]
        if baseline is not None:
            args += ["--baseline", str(baseline)]
        process = await asyncio.create_subprocess_exec(
            *args,
            cwd=PROJECT_ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        last: dict[str, Any] = {}
        assert process.stdout is not None
        async for raw in process.stdout:
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(line, dict) or "stage" not in line:
                continue
            last = line
            stage = line["stage"]
            if stage in STAGE_TEXT:
                state = State.EVALUATING if stage == "evaluating" else State.TRAINING
                progress = STAGE_TEXT[stage]
                if stage == "training" and line.get("reused"):
                    progress = "模型已存在，无需重新训练"
                await self._store.update(publication_id, state=state, progress=progress)
        await process.wait()
        if process.returncode not in (0, 2) or last.get("stage") not in ("done", "invalid"):
            raise RuntimeError(last.get("error") or f"发布程序异常退出（{process.returncode}）")
        return last

    async def _finish(
        self, publication_id: int, snapshot: dict[str, str], result: dict[str, Any]
    ) -> None:
        if result["stage"] == "invalid":
            await self._store.update(
                publication_id,
                state=State.FAILED,
                error=f"知识库校验未通过：{result.get('error')}",
                finished_at=now(),
            )
            return
        kept = ("candidate", "baseline", "changed_count", "changed", "train_s", "evaluate_s")
        evaluation = {key: result.get(key) for key in kept}
        if result["verdict"] != "pass":
            # Not kept: a refused model is never served (publishing it again trains anew).
            (self._config.models_dir / result["model"]).unlink(missing_ok=True)
            await self._store.update(
                publication_id,
                state=State.REFUSED,
                reasons=result.get("reasons") or [],
                evaluation=evaluation,
                model=result["model"],
                progress="",
                finished_at=now(),
            )
            return
        archive = (self._config.models_dir / result["model"]).read_bytes()
        await self._store.save_model(result["model"], archive)
        await self._store.update(publication_id, model=result["model"], evaluation=evaluation)
        await self._publish(publication_id, snapshot)

    async def _publish(self, publication_id: int, snapshot: dict[str, str]) -> None:
        """The version becomes the published one: SQL first, then the action servers' copy."""
        at = now()
        await self._store.update(
            publication_id,
            state=State.PUBLISHED,
            progress="",
            published_at=at,
            finished_at=at,
        )
        await self.sync()

    async def model_file(self) -> Path | None:
        """A local file of the published model (copied from SQL when this host lacks it); the
        repository's model before anything was published. The Rasa servers run it
        (model_route.py serves it) and a publish's gate compares against it."""
        published = await self._store.published()
        repository = self._config.repository_model
        # Through a link (the production profile's model.tar.gz) to the file named by content,
        # so the name is the ETag of what it holds.
        repository = repository.resolve() if repository is not None else None
        if published is None or published.model is None:
            return repository
        path = self._config.models_dir / published.model
        if not path.exists():
            archive = await self._store.model_archive(published.model)
            if archive is None:
                return repository
            self._config.models_dir.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
            partial.write_bytes(archive)
            partial.replace(path)
        return path

    async def sync(self) -> None:
        """The action servers' copy of the published snapshot (Redis) made true again."""
        published = await self._store.published()
        if published is None:
            return
        version = str(published.id)
        if await self._redis.get(VERSION_KEY) == version and await self._redis.exists(
            SNAPSHOT_PREFIX + version
        ):
            return
        snapshot = await self._store.snapshot(published.id)
        key = SNAPSHOT_PREFIX + version
        before = await self._redis.get(VERSION_KEY)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            pipe.hset(key, mapping=snapshot)
            pipe.set(VERSION_KEY, version)
            if before is not None and before != version:
                pipe.delete(SNAPSHOT_PREFIX + before)
            await pipe.execute()
        log.info("knowledge version published to the action servers", extra={"version": version})

    async def recover(self) -> None:
        """Rows left unfinished by a service that stopped mid-publish: failed, unless a
        publish still runs somewhere (the lock is held)."""
        running = await self._redis.get(LOCK_KEY)
        for publication in await self._store.unfinished():
            if running == str(publication.id):
                continue
            await self._store.update(
                publication.id,
                state=State.FAILED,
                error="发布过程中服务停止，请重新发布",
                finished_at=now(),
            )

    async def keep_in_sync(self, interval_s: float = 30.0) -> None:
        """The background job: recover once, then keep the Redis copy true."""
        await self.recover()
        while True:
            try:
                await self.sync()
            except RedisError as exc:
                log.warning("knowledge sync failed", extra={"error": str(exc)})
            await asyncio.sleep(interval_s)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
