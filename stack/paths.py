"""Where the launcher finds the project's environments and keeps its data."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
MODELS = ROOT / "models"
RASA_VENV = ROOT / ".venv-rasa"
RASA_BIN = RASA_VENV / "bin" / "rasa"
CONFIG = ROOT / "config.yml"
DOMAIN = ROOT / "bot" / "domain.yml"
# Rasa training data generated from knowledge/ by stack.bot_data (derived, not committed).
BOT_DATA = VAR / "bot-data"
TRAINING_DATA = [ROOT / "nlu_data", ROOT / "bot" / "data", BOT_DATA]
ENDPOINTS = ROOT / "bot" / "endpoints.yml"
CREDENTIALS = ROOT / "bot" / "credentials.yml"
