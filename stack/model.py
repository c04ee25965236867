"""Train the Rasa model only when its inputs changed.

The model file is named after a hash of everything training reads (config.yml, nlu_data/,
bot/ minus the runtime-only endpoints and credentials, knowledge/ with the code that turns it
into training data, and the custom Rasa components in nlu_components/), so "is there a model
for this content?" is a file lookup and a second `make run` starts without retraining.

    python -m stack.model          # print the model path, training first if needed
"""

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

from stack import bot_data
from stack.paths import (
    CONFIG,
    CREDENTIALS,
    DOMAIN,
    ENDPOINTS,
    MODELS,
    RASA_BIN,
    ROOT,
    TRAINING_DATA,
)
from stack.processes import RASA_QUIET

_RUNTIME_ONLY = {ENDPOINTS.relative_to(ROOT), CREDENTIALS.relative_to(ROOT)}
# Evaluation sets and subject checks are never trained: editing them must not retrain the model.
_NOT_TRAINED = (Path("knowledge") / "evaluation", Path("knowledge") / "subjects.yml")


def training_inputs(root: Path = ROOT) -> list[Path]:
    files = [root / CONFIG.relative_to(ROOT), root / "stack" / "bot_data.py"]
    for folder in (root / "nlu_data", root / "bot", root / "knowledge", root / "nlu_components"):
        files += [
            p
            for p in folder.rglob("*")
            if p.is_file()
            and p.relative_to(root) not in _RUNTIME_ONLY
            and not any(p.relative_to(root).is_relative_to(n) for n in _NOT_TRAINED)
            and "__pycache__" not in p.parts
        ]
    return sorted(files)


def content_hash(root: Path = ROOT) -> str:
    digest = hashlib.sha256()
    for path in training_inputs(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def model_path() -> Path:
    return MODELS / f"swa-{content_hash()}.tar.gz"


def train(target: Path) -> float:
    """Train into `target`; return the wall time in seconds.

    Rasa writes its archive under a temporary name that is then renamed: a Rasa server started
    meanwhile (another `make run` or test session) never loads a half-written file.
    """
    started = time.monotonic()
    partial = target.with_name(f"training-{os.getpid()}-{target.name}")
    bot_data.write()
    subprocess.run(
        [
            str(RASA_BIN),
            "train",
            "--config",
            str(CONFIG),
            "--domain",
            str(DOMAIN),
            "--data",
            *(str(path.relative_to(ROOT)) for path in TRAINING_DATA),
            "--out",
            str(target.parent),
            "--fixed-model-name",
            partial.name.removesuffix(".tar.gz"),
        ],
        cwd=ROOT,
        env={**os.environ, **RASA_QUIET},
        check=True,
    )
    os.replace(partial, target)
    return time.monotonic() - started


def ensure_model() -> Path:
    target = model_path()
    if target.exists():
        print(f"Rasa model is up to date: {target.relative_to(ROOT)}", file=sys.stderr)
        return target
    print("Training the Rasa model (its training data changed)…", file=sys.stderr)
    seconds = train(target)
    print(f"Trained {target.relative_to(ROOT)} in {seconds:.0f} s", file=sys.stderr)
    for stale in MODELS.glob("swa-*.tar.gz"):
        if stale != target:
            stale.unlink()
    return target


if __name__ == "__main__":
    print(ensure_model())
