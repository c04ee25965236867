"""The publish gate (stack/publish.py) and the action server's published knowledge
(actions/faq/published.py), without training."""

from pathlib import Path

import pytest
import redis.asyncio as redis

from actions.faq import knowledge
from actions.faq.evaluation import Case, Parsed
from actions.faq.published import PublishedKnowledge, from_files
from kernel.published_knowledge import SNAPSHOT_PREFIX, VERSION_KEY
from stack import publish
from stack.publish import Figures, changes, gate
from tests.faq_fixtures import parse, small_kb

KB = small_kb()


def test_the_gate_refuses_a_drop_beyond_the_margin_and_says_which() -> None:
    baseline = Figures(top1=0.94, oos_reject=0.96, questions=800)
    assert gate(Figures(0.93, 0.95, 800), baseline, 0.02) == []
    assert gate(Figures(0.99, 0.99, 800), None, 0.02) == []  # nothing published: no comparison
    [reason] = gate(Figures(0.90, 0.96, 800), baseline, 0.02)
    assert reason.startswith("问题识别准确率由 94.0% 降至 90.0%")
    [reason] = gate(Figures(0.94, 0.90, 800), baseline, 0.02)
    assert reason.startswith("范围外问题拒答率由 96.0% 降至 90.0%")
    assert len(gate(Figures(0.5, 0.5, 800), baseline, 0.02)) == 2


def test_changes_list_questions_made_wrong_first() -> None:
    right = Case("法人卡锁了", "card_unlock_legal")
    outside = Case("讲个笑话", None)
    steady = Case("密码是多少", "card_password")

    def parsed(case: Case, entry: str, confidence: float = 0.9) -> Parsed:
        return Parsed(case, parse(case.text, [(entry, confidence)]), 1.0)

    before = [
        parsed(right, "card_unlock_operator"),  # wrong before, right after
        parsed(outside, "card_password", 0.1),  # declined before, answered after: made wrong
        parsed(steady, "card_password"),
    ]
    after = [
        parsed(right, "card_unlock_legal"),
        parsed(outside, "card_password", 0.9),
        parsed(steady, "card_password"),
    ]
    found = changes(before, after, KB)
    assert [(c.text, c.before, c.after) for c in found] == [
        ("讲个笑话", "notsure", "card_password"),
        ("法人卡锁了", "card_unlock_operator", "card_unlock_legal"),
    ]


def files_of(folder) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
        for p in folder.rglob("*.yml")
        if "evaluation" not in p.parts
    }


def test_a_snapshot_is_read_with_the_loaders_rules() -> None:
    files = files_of(knowledge.KNOWLEDGE_DIR)
    assert len(from_files(files).entries) == len(knowledge.default().entries)
    with pytest.raises(ValueError, match="outside"):
        from_files({**files, "../escape.yml": "x"})
    broken = {**files, "categories.yml": "- id: login\n"}
    with pytest.raises(ValueError):
        from_files(broken)


async def test_the_action_server_follows_the_published_version(redis_process) -> None:
    client = redis.from_url(redis_process.url, decode_responses=True)
    await client.flushdb()
    published = PublishedKnowledge(client)
    repository = knowledge.default()
    # Nothing published: the repository's knowledge base.
    assert await published.current() is repository

    files = files_of(knowledge.KNOWLEDGE_DIR)
    edited = files["faq/login.yml"].replace("answer: ", "answer: 【新】", 1)
    await client.hset(SNAPSHOT_PREFIX + "7", mapping={**files, "faq/login.yml": edited})
    await client.set(VERSION_KEY, "7")
    seven = await published.current()
    assert seven is not repository
    assert any(e.answer.startswith("【新】") for e in seven.entries)
    assert await published.current() is seven  # read once per version

    # A version whose snapshot is missing or broken keeps the one loaded.
    await client.set(VERSION_KEY, "8")
    assert await published.current() is seven
    await client.aclose()
    # Redis gone: the version loaded answers on.
    dead = PublishedKnowledge(redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2))
    assert await dead.current() is repository


@pytest.mark.parametrize("exits", [1, publish.START_ATTEMPTS])
def test_an_evaluation_server_that_exits_while_starting_is_started_once_more(
    monkeypatch, tmp_path: Path, exits: int
) -> None:
    """Its port is free when chosen but bound only once the model is loaded: another process
    may take it in between. A second start serves; when that exits too, the error says why."""
    started: list[Path] = []

    class Exiting:
        def __init__(self, first_model: Path, log: Path) -> None:
            started.append(log)
            log.write_text("OSError: [Errno 98] address already in use")

        def wait(self) -> None:
            if len(started) <= exits:
                raise publish.ServerExited(f"exited: {started[-1].read_text()}")

        def stop(self) -> None:
            pass

    monkeypatch.setattr(publish, "_Rasa", Exiting)
    if exits < publish.START_ATTEMPTS:
        assert isinstance(publish._started_rasa(tmp_path / "m.tar.gz", tmp_path), Exiting)
    else:
        with pytest.raises(publish.ServerExited, match="address already in use"):
            publish._started_rasa(tmp_path / "m.tar.gz", tmp_path)
    assert len(started) == min(exits + 1, publish.START_ATTEMPTS)
    assert len(set(started)) == len(started)  # each start keeps its own log


def test_a_models_parses_are_kept_and_only_what_is_lacking_is_parsed(
    monkeypatch, tmp_path: Path
) -> None:
    """A model is named by what it learned, so its parses are kept beside the publish's models:
    the next publish parses only questions it lacks, and starts no server when it lacks none.
    A kept file that does not read is parsed again, not trusted."""
    asked: list[tuple[str, str]] = []
    started: list[Path] = []

    class Counting:
        def __init__(self, first_model: Path) -> None:
            started.append(first_model)
            self.model = first_model.name

        def load(self, model_file: Path) -> None:
            self.model = model_file.name

        def parse(self, text: str) -> dict:
            asked.append((self.model, text))
            return {"text": text, "model": self.model}

        def stop(self) -> None:
            pass

    monkeypatch.setattr(publish, "_started_rasa", lambda first, logs: Counting(first))
    candidate, baseline = tmp_path / "swa-new.tar.gz", Path("/elsewhere/swa-old.tar.gz")
    two = [Case("一", "a"), Case("二", None)]
    compared = [(candidate, {}), (baseline, {"一": {"text": "一", "model": "swa-old.tar.gz"}})]
    publish.parse_missing(compared, two, tmp_path)
    assert started == [candidate]
    assert [a for a in asked if a[1] != "热身"] == [
        ("swa-new.tar.gz", "一"),
        ("swa-new.tar.gz", "二"),
        ("swa-old.tar.gz", "二"),
    ]
    for path, parses in compared:
        assert parses["二"]["model"] == path.name
        publish.keep_parses(tmp_path, path, parses)
    assert publish.parses_path(tmp_path, baseline).parent == tmp_path

    asked.clear()
    again = [(path, publish.kept_parses(tmp_path, path)) for path, _ in compared]
    publish.parse_missing(again, [*two, Case("三", None)], tmp_path)
    assert len(started) == 2 and [a[1] for a in asked if a[1] != "热身"] == ["三", "三"]

    publish.parses_path(tmp_path, candidate).write_text("{not json", encoding="utf-8")
    assert publish.kept_parses(tmp_path, candidate) == {}
    started.clear()
    complete = [(baseline, publish.kept_parses(tmp_path, baseline))]
    publish.parse_missing(complete, two, tmp_path)
    assert started == []
