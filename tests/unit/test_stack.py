"""The launcher's decisions: when to retrain, where Redis is, how Python 3.10 is found."""

import argparse
import ast
import os
import shutil
import subprocess
from pathlib import Path

import yaml

from actions.faq import knowledge
from stack import bot_data, model, processes
from stack.paths import ROOT


def _copy_training_tree(target: Path) -> Path:
    shutil.copy(ROOT / "config.yml", target / "config.yml")
    shutil.copytree(ROOT / "nlu_data", target / "nlu_data")
    shutil.copytree(ROOT / "bot", target / "bot")
    shutil.copytree(ROOT / "knowledge", target / "knowledge")
    shutil.copytree(ROOT / "nlu_components", target / "nlu_components")
    (target / "stack").mkdir()
    shutil.copy(ROOT / "stack" / "bot_data.py", target / "stack" / "bot_data.py")
    shutil.copytree(ROOT / "kernel", target / "kernel")
    return target


def test_hash_changes_with_training_data_only(tmp_path: Path) -> None:
    root = _copy_training_tree(tmp_path)
    original = model.content_hash(root)
    assert original == model.content_hash(ROOT)

    (root / "bot" / "endpoints.yml").write_text("# runtime only\n", encoding="utf-8")
    (root / "bot" / "credentials.yml").write_text("rest:\n", encoding="utf-8")
    assert model.content_hash(root) == original

    with (root / "nlu_data" / "basics.yml").open("a", encoding="utf-8") as f:
        f.write("\n# a new comment still means new training input\n")
    edited = model.content_hash(root)
    assert edited != original

    # Of the knowledge base, only what is trained counts: an answer edited is no new training
    # input (publishing it needs no training), a phrasing added is.
    faq = root / "knowledge" / "faq" / "login.yml"
    text = faq.read_text(encoding="utf-8")
    entries = yaml.safe_load(text)
    entries[0]["answer"] += "（已更新）"
    faq.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
    assert model.content_hash(root) == edited
    entries[0]["phrasings"].append("这个问题的一个新问法")
    faq.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
    assert model.content_hash(root) != edited
    edited = model.content_hash(root)
    # A snapshot of the knowledge base elsewhere (the studio's) names the same model.
    snapshot = shutil.copytree(root / "knowledge", tmp_path / "snapshot")
    assert model.content_hash(root, knowledge=snapshot) == edited

    # So is a change to a custom Rasa component the pipeline runs.
    with (root / "nlu_components" / "char_ngrams.py").open("a", encoding="utf-8") as f:
        f.write("\n# edited\n")
    assert model.content_hash(root) != edited


def test_the_boundary_negatives_name_the_model_and_train_the_boundary_alone(
    tmp_path: Path,
) -> None:
    """knowledge/out_of_scope.yml `boundary` (round 7) is written as the lookup table that only
    nlu_components/oos_boundary.py reads: a question added there is a new model, and it is no
    example of the out_of_scope intent (DIET and the selector do not learn it)."""
    root = _copy_training_tree(tmp_path)
    original = model.content_hash(root)
    path = root / "knowledge" / "out_of_scope.yml"
    text = path.read_text(encoding="utf-8")
    assert text.rstrip().splitlines()[-1].startswith("  - ")  # the boundary list comes last
    path.write_text(text + "  - 邻居家的狗半夜一直叫怎么办\n", encoding="utf-8")
    assert model.content_hash(root) != original

    generated = yaml.safe_load(bot_data.generated_text(knowledge.load(root / "knowledge")))
    tables = [item for item in generated["nlu"] if "lookup" in item]
    assert [t["lookup"] for t in tables] == [bot_data.BOUNDARY_TABLE]
    assert "- 邻居家的狗半夜一直叫怎么办\n" in tables[0]["examples"]
    intents = "".join(item["examples"] for item in generated["nlu"] if "intent" in item)
    assert "邻居家的狗半夜一直叫怎么办" not in intents
    boundary = knowledge.load(root / "knowledge").out_of_scope.boundary
    assert len(boundary) > 900 and not any(f"- {q}\n" in intents for q in boundary)
    component = (ROOT / "nlu_components" / "oos_boundary.py").read_text(encoding="utf-8")
    assert f'BOUNDARY_TABLE = "{bot_data.BOUNDARY_TABLE}"' in component


def test_model_path_is_named_by_content() -> None:
    assert model.model_path().name == f"swa-{model.content_hash()}.tar.gz"


def test_redis_env_for_rasa_endpoints() -> None:
    assert processes.redis_env("redis://:s3cret@redis.internal:6390/2") == {
        "SWA_REDIS_HOST": "redis.internal",
        "SWA_REDIS_PORT": "6390",
        "SWA_REDIS_DB": "2",
        "SWA_REDIS_PASSWORD": "s3cret",
        "SWA_REDIS_SENTINELS": "",
        "SWA_REDIS_MASTER_NAME": "swa",
        "SWA_REDIS_SENTINEL_PASSWORD": "",
    }
    assert processes.redis_env("redis://127.0.0.1:6380")["SWA_REDIS_DB"] == "0"
    # A password with URL-special characters reaches Rasa as it is.
    assert processes.redis_env("redis://:a%40b@h:1/0")["SWA_REDIS_PASSWORD"] == "a@b"
    sentinel = processes.redis_env("redis://h:1/0", "127.0.0.1:26379", "main", "pw")
    assert sentinel["SWA_REDIS_SENTINELS"] == "127.0.0.1:26379"
    assert sentinel["SWA_REDIS_MASTER_NAME"] == "main"


def test_sentinels_in_the_environment_reach_rasa(monkeypatch) -> None:
    monkeypatch.setenv("SWA_REDIS_SENTINELS", "10.0.0.1:26379")
    env = processes.environment("redis://h:1/0", processes.Ports(), "t" * 32, "sqlite://")
    assert env["SWA_REDIS_SENTINELS"] == "10.0.0.1:26379"
    assert env["SWA_REDIS_MASTER_NAME"] == "swa"


def test_find_python310_explains_how_to_get_it_when_missing(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYENV_ROOT": str(tmp_path)}
    result = subprocess.run(
        [str(ROOT / "stack" / "find-python310")], env=env, capture_output=True, text=True
    )
    if result.returncode == 0:  # this machine has a system python3.10 on /usr/bin
        assert (
            "3.10"
            in subprocess.run(
                [result.stdout.strip(), "--version"], capture_output=True, text=True
            ).stdout
        )
    else:
        assert result.returncode == 1
        assert "Python 3.10 was not found" in result.stderr
        assert "pyenv install 3.10" in result.stderr


def test_find_python310_honours_an_explicit_interpreter() -> None:
    found = subprocess.run(
        [str(ROOT / "stack" / "find-python310")], capture_output=True, text=True, check=True
    ).stdout.strip()
    env = {**os.environ, "SWA_PYTHON310": found}
    again = subprocess.run(
        [str(ROOT / "stack" / "find-python310")], env=env, capture_output=True, text=True
    )
    assert again.stdout.strip() == found


def test_rasa_keeps_a_conversation_lock_just_past_the_hubs_turn_timeout() -> None:
    # Rasa's own default (60 s) locks a user out for a minute after a Rasa dies mid-turn.
    env = processes.environment("redis://127.0.0.1:6380/0", processes.Ports(), "t", "sqlite://", 10)
    assert env["TICKET_LOCK_LIFETIME"] == "12"
    assert processes.rasa_lock_lifetime_s(0.5) == 3


def test_a_rasa_token_beginning_with_a_dash_is_still_the_tokens_value(tmp_path: Path) -> None:
    # Rasa's CLI is argparse: "--auth-token -x..." made it exit with status 2 (one token in 64).
    parser = argparse.ArgumentParser()
    parser.add_argument("--auth-token")
    command = processes.rasa_command(processes.Ports(), tmp_path / "m.tar.gz", "-tok_en")
    options, _ = parser.parse_known_args(command[2:])
    assert options.auth_token == "-tok_en"


def test_every_module_the_nlu_components_import_names_the_model() -> None:
    """A model is named by what it learned: a change to what nlu_components/ import from the
    project (kernel/numbers.py masks numbers in every phrasing before it is learnt) is a new
    model, as a change to the components themselves is."""
    names = {name for name, _ in model.training_inputs()}
    imported = set()
    for source in (ROOT / "nlu_components").glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("kernel."):
                imported.add(node.module.replace(".", "/") + ".py")
    assert imported and imported <= names
