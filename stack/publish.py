"""Build a knowledge snapshot into a model and decide whether it may be published.

The knowledge studio's 发布 runs this as a command (`python -m stack.publish`), so the service
never trains inside its own process (training takes both cores for a minute) and never imports
the trainer. Each step is reported as one JSON line on stdout, which the service shows as the
publish's progress:

1. `validating`: the snapshot is read with the loader's rules (actions/faq/knowledge.py);
2. `training`: a model of the snapshot's content, unless one already exists (models are named
   by content, stack/model.py, so publishing again or rolling back to a version trains nothing);
3. `evaluating`: one throwaway Rasa server parses the snapshot's held-out and fresh questions
   with the candidate model, then (`PUT /model`) with the baseline, the model published now;
   both are scored by `evaluation.outcome` against the snapshot's knowledge, what the bot
   does. A model's parses are kept beside it (`<model>.parses.json`): a model is named
   by everything it learned, so its parse of a question never changes, and the baseline (the
   same model for every publish until the next one) is parsed once, not once per publish;
4. `done`: the gate. The candidate is refused when its top-1 or its out-of-scope rejection is
   lower than the baseline's by more than `--max-drop`; the questions whose outcome changed are
   listed either way, so a maintainer sees what their edit did.

    python -m stack.publish --knowledge DIR --models DIR [--baseline MODEL] [--max-drop 0.02]

Exit status 0 with a `done` line (its `verdict` is `pass` or `refused`), 2 for a snapshot that
is not valid (an `invalid` line with the loader's reason), 1 when training or evaluation failed.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from actions.faq.evaluation import Case, Parsed, cases, collect, outcome, score
from actions.faq.knowledge import KnowledgeBase, load
from stack import model
from stack.paths import MODELS, RASA_BIN, ROOT
from stack.processes import RASA_QUIET, auth_token_option

# How much lower than the published model's a candidate's top-1 or out-of-scope rejection may
# be (absolute, on the held-out and fresh questions together: about 740 questions, so 0.02 is
# about 15 of them). Retraining the same data moves neither figure by more than 0.005 here.
DEFAULT_MAX_DROP = 0.02
# Questions with a changed outcome listed in the result (all are counted).
CHANGED_SHOWN = 50
RASA_START_TIMEOUT_S = 300
START_ATTEMPTS = 2
LOG_TAIL_CHARS = 600


@dataclass(frozen=True)
class Figures:
    top1: float
    oos_reject: float
    questions: int


@dataclass(frozen=True)
class Change:
    text: str
    expected: str | None
    before: str
    after: str


def emit(stage: str, **details: Any) -> None:
    print(json.dumps({"stage": stage, **details}, ensure_ascii=False), flush=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerExited(RuntimeError):
    """The evaluation's Rasa server exited while starting."""


class _Rasa:
    """A Rasa server of our own on a free loopback port, with a token of its own."""

    def __init__(self, first_model: Path, log: Path) -> None:
        self._log = log
        self.port = _free_port()
        self.token = secrets.token_urlsafe(24)
        command = [str(RASA_BIN), "run", "--enable-api", "--model", str(first_model)]
        command += ["--interface", "127.0.0.1", "--port", str(self.port)]
        command.append(auth_token_option(self.token))
        with log.open("wb") as out:
            self._process = subprocess.Popen(
                command,
                cwd=ROOT,
                env={**os.environ, **RASA_QUIET},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.http = httpx.Client(
            base_url=f"http://127.0.0.1:{self.port}", params={"token": self.token}, timeout=60
        )

    def wait(self) -> None:
        deadline = time.monotonic() + RASA_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                tail = self._log.read_text(errors="replace")[-LOG_TAIL_CHARS:].strip()
                raise ServerExited(f"the evaluation's Rasa server exited: {tail}")
            try:
                if self.http.get("/status", timeout=2).is_success:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise TimeoutError("the evaluation's Rasa server did not start")

    def load(self, model_file: Path) -> None:
        self.http.put("/model", json={"model_file": str(model_file)}).raise_for_status()

    def parse(self, text: str) -> dict[str, Any]:
        response = self.http.post("/model/parse", json={"text": text})
        response.raise_for_status()
        return response.json()

    def stop(self) -> None:
        self.http.close()
        if self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGTERM)
            try:
                self._process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait()


def parses_path(models: Path, model_file: Path) -> Path:
    """Where the parses of the model named like `model_file` are kept: in the publish's own
    folder, whichever folder the model file is in (the baseline may be the repository's)."""
    return models / (model_file.name.removesuffix(".tar.gz") + ".parses.json")


def kept_parses(models: Path, model_file: Path) -> dict[str, Any]:
    """The model's parses kept by an earlier evaluation, by question (none: an empty dict;
    a file that does not read is parsed again, not trusted)."""
    try:
        found = json.loads(parses_path(models, model_file).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def keep_parses(models: Path, model_file: Path, parses: dict[str, Any]) -> None:
    """Written under a temporary name then renamed: a concurrent evaluation reads either the
    old file or the new one, never half of one."""
    path = parses_path(models, model_file)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    partial.write_text(json.dumps(parses, ensure_ascii=False), encoding="utf-8")
    partial.replace(path)


def parse_missing(
    compared: list[tuple[Path, dict[str, Any]]], all_cases: list[Case], logs: Path
) -> None:
    """Each model's parses completed with the questions it lacks, from one Rasa server that
    loads the models in turn; no server at all when every parse is kept."""
    lacking = [(path, parses) for path, parses in compared if _lacks(parses, all_cases)]
    if not lacking:
        return
    server = _started_rasa(lacking[0][0], logs)
    try:
        for index, (path, parses) in enumerate(lacking):
            if index:
                server.load(path)
            server.parse("热身")  # the first parse pays for lazy loading, in no model's figures
            new = collect(server.parse, [c for c in all_cases if c.text not in parses])
            parses.update((p.case.text, p.parse) for p in new)
    finally:
        server.stop()


def _lacks(parses: dict[str, Any], all_cases: list[Case]) -> bool:
    return any(case.text not in parses for case in all_cases)


def questions(kb: KnowledgeBase) -> list[Case]:
    """The held-out and fresh questions of the snapshot (entries' and out-of-scope)."""
    return cases(kb, "heldout") + cases(kb, "fresh")


def figures(parsed: list[Parsed], kb: KnowledgeBase) -> Figures:
    scores = score(parsed, kb)
    return Figures(round(scores.heldout_top1, 4), round(scores.oos_reject, 4), len(parsed))


def _right(outcome: str, expected: str | None, kb: KnowledgeBase) -> bool:
    """An entry's question answered with it; an out-of-scope one answered with no entry."""
    return outcome == expected if expected else kb.entry(outcome) is None


def changes(before: list[Parsed], after: list[Parsed], kb: KnowledgeBase) -> list[Change]:
    """The questions whose outcome differs between the two models, those made wrong first."""
    found = []
    for old, new in zip(before, after, strict=True):
        was, now = outcome(old.parse, kb), outcome(new.parse, kb)
        if was != now:
            found.append(Change(new.case.text, new.case.expected, was, now))
    return sorted(found, key=lambda c: (not _right(c.before, c.expected, kb), c.text))


def gate(candidate: Figures, baseline: Figures | None, max_drop: float) -> list[str]:
    """Why the candidate may not be published (nothing: it may)."""
    if baseline is None:
        return []
    reasons = []
    if candidate.top1 < baseline.top1 - max_drop:
        reasons.append(
            f"问题识别准确率由 {baseline.top1:.1%} 降至 {candidate.top1:.1%}"
            f"（允许的最大降幅为 {max_drop:.1%}）"
        )
    if candidate.oos_reject < baseline.oos_reject - max_drop:
        reasons.append(
            f"范围外问题拒答率由 {baseline.oos_reject:.1%} 降至 {candidate.oos_reject:.1%}"
            f"（允许的最大降幅为 {max_drop:.1%}）"
        )
    return reasons


def run(knowledge: Path, models: Path, baseline: Path | None, max_drop: float) -> int:
    emit("validating")
    try:
        kb = load(knowledge)
    except (ValueError, OSError) as exc:
        emit("invalid", error=str(exc))
        return 2
    models.mkdir(parents=True, exist_ok=True)
    candidate = model.model_path(knowledge=knowledge, folder=models)
    trained_here = MODELS / candidate.name  # `make model` trained the repository's content
    if not candidate.exists() and trained_here.exists():
        shutil.copyfile(trained_here, candidate)
    train_s = 0.0
    if candidate.exists():
        emit("training", model=candidate.name, reused=True)
    else:
        emit("training", model=candidate.name, reused=False)
        train_s = model.train(candidate, knowledge=knowledge)
    asked = questions(kb)
    emit("evaluating", questions=len(asked), train_s=round(train_s, 1))
    started = time.monotonic()
    compared = [candidate]
    if baseline is not None and baseline.exists() and baseline.name != candidate.name:
        compared.append(baseline)
    kept = [kept_parses(models, path) for path in compared]
    parse_missing(list(zip(compared, kept, strict=True)), asked, models)
    after, *baseline_parsed = [[Parsed(c, p[c.text], 0.0) for c in asked] for p in kept]
    before = baseline_parsed[0] if baseline_parsed else None
    new = figures(after, kb)
    old = figures(before, kb) if before is not None else None
    changed = changes(before, after, kb) if before is not None else []
    reasons = gate(new, old, max_drop)
    # A refused candidate is deleted by the publisher (publishing it again trains anew).
    for path, parses in zip(compared, kept, strict=True):
        if path != candidate or not reasons:
            keep_parses(models, path, parses)
    emit(
        "done",
        verdict="refused" if reasons else "pass",
        reasons=reasons,
        model=candidate.name,
        candidate=asdict(new),
        baseline=asdict(old) if old else None,
        changed_count=len(changed),
        changed=[asdict(c) for c in changed[:CHANGED_SHOWN]],
        train_s=round(train_s, 1),
        evaluate_s=round(time.monotonic() - started, 1),
    )
    return 0


def _started_rasa(first_model: Path, models: Path) -> _Rasa:
    """The evaluation's Rasa server, started once more if it exits while starting: its port
    is chosen free but only bound once the model is loaded, and on a busy machine another
    process may take it in between (seen once in CI, without its log)."""
    for attempt in range(START_ATTEMPTS):
        server = _Rasa(first_model, models / f"evaluate-{os.getpid()}-{attempt}.log")
        try:
            server.wait()
            return server
        except ServerExited:
            server.stop()
            if attempt == START_ATTEMPTS - 1:
                raise
        except BaseException:
            server.stop()
            raise
    raise AssertionError("unreachable")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--knowledge", type=Path, required=True)
    parser.add_argument("--models", type=Path, required=True)
    parser.add_argument("--baseline", type=Path)
    parser.add_argument("--max-drop", type=float, default=DEFAULT_MAX_DROP)
    args = parser.parse_args(argv)
    try:
        return run(args.knowledge, args.models, args.baseline, args.max_drop)
    except Exception as exc:  # reported to the service as a line, not a traceback it must parse
        emit("failed", error=f"{type(exc).__name__}: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
