"""Running a check inside Rasa's own environment (Python 3.10, .venv-rasa), where our graph
components are imported: as a subprocess, its answer the JSON its last line printed."""

import json
import subprocess

from stack.paths import RASA_VENV, ROOT


def in_rasa(program: str, *args: str) -> dict:
    """Run `program` in Rasa's environment; what its last line printed, as JSON."""
    result = subprocess.run(
        [str(RASA_VENV / "bin" / "python"), "-c", program, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"},
    )
    return json.loads(result.stdout.strip().splitlines()[-1])
