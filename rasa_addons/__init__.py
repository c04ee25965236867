"""Code the Rasa server itself loads (Python 3.10, the Rasa venv): it may import Rasa and the
kernel, and nothing else of the project."""
