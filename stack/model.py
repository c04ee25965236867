"""Train the Rasa model only when its inputs changed.

The model file is named after a hash of everything training reads (config.yml, nlu_data/,
bot/ minus the runtime-only endpoints and credentials, knowledge/ with the code that turns it
into training data, and the custom Rasa components in nlu_components/), so "is there a model
for this content?" is a file lookup and a second `make run` starts without retraining.

    python -m stack.model          # print the model path, training first if needed
"""

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from actions.faq.knowledge import load
from nlu_components.code_fingerprint import KERNEL_SOURCES
from stack import bot_data
from stack.paths import (
    BOT_DATA,
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


def _files(folder: Path, name: str) -> list[tuple[str, Path]]:
    """(the name it is hashed under, the file) for a folder's trained files."""
    found = []
    for path in folder.rglob("*"):
        hashed = Path(name, path.relative_to(folder))
        if path.is_file() and hashed not in _RUNTIME_ONLY and "__pycache__" not in path.parts:
            found.append((hashed.as_posix(), path))
    return found


def training_inputs(root: Path = ROOT) -> list[tuple[str, Path]]:
    """The files training reads, each under its name in the repository. Of the knowledge base
    only what stack.bot_data generates from it is trained (content_hash hashes that)."""
    files = [("config.yml", root / "config.yml"), ("stack/bot_data.py", root / "stack/bot_data.py")]
    # What nlu_components/folding.py masks and strips from every phrasing before it is learnt.
    files += [(name, root / name) for name in KERNEL_SOURCES]
    for name in ("nlu_data", "bot", "nlu_components"):
        files += _files(root / name, name)
    return sorted(files)


def content_hash(root: Path = ROOT, knowledge: Path | None = None) -> str:
    """Names a model by what it learned: the training files and the training data generated
    from the knowledge base (by default root's knowledge/; a studio snapshot otherwise). An
    answer, a title or a held-out phrasing edited is no new training input."""
    digest = hashlib.sha256()
    for name, path in training_inputs(root):
        digest.update(name.encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    generated = bot_data.generated_text(load(knowledge or root / "knowledge"))
    digest.update(b"knowledge\0" + generated.encode())
    return digest.hexdigest()[:16]


def model_path(knowledge: Path | None = None, folder: Path = MODELS) -> Path:
    return folder / f"swa-{content_hash(knowledge=knowledge)}.tar.gz"


def train(target: Path, knowledge: Path | None = None) -> float:
    """Train into `target` (from `knowledge`, by default the repository's); return the wall
    time in seconds.

    Rasa writes its archive under a temporary name that is then renamed: a Rasa server started
    meanwhile (another `make run` or test session) never loads a half-written file.
    """
    started = time.monotonic()
    partial = target.with_name(f"training-{os.getpid()}-{target.name}")
    generated = BOT_DATA if knowledge is None else target.parent / f"data-{os.getpid()}"
    bot_data.write(load(knowledge) if knowledge else None, generated)
    training_data = [*TRAINING_DATA[:-1], generated]
    subprocess.run(
        [
            str(RASA_BIN),
            "train",
            "--config",
            str(CONFIG),
            "--domain",
            str(DOMAIN),
            "--data",
            *(str(path) for path in training_data),
            "--out",
            str(target.parent),
            "--fixed-model-name",
            partial.name.removesuffix(".tar.gz"),
        ],
        cwd=ROOT,
        env={**os.environ, **RASA_QUIET},
        # stdout is the caller's answer (the model's path, the publish's JSON lines).
        stdout=sys.stderr,
        check=True,
    )
    os.replace(partial, target)
    if knowledge is not None:
        shutil.rmtree(generated, ignore_errors=True)
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
