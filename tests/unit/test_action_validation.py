"""The action server's answers are validated with the schema checked once
(rasa_addons/action_validation.py), in Rasa's environment (a subprocess, Python 3.10): what
Rasa's own validation accepts is accepted, what it refuses is refused with the same error, and
importing our tracker store (as Rasa does) installs it."""

from tests.support.rasa_env import in_rasa

PROBE = """
import json
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
original = RemoteAction._validate_action_result
import rasa_addons.tracker_store  # what Rasa imports from bot/endpoints.yml
action = RemoteAction("action_faq", None)
assert RemoteAction._validate_action_result is not original
good = {"events": [{"event": "slot", "name": "faq", "value": "x"}],
        "responses": [{"text": "你好", "buttons": [{"title": "a", "payload": "/a"}]}]}
bad = [{"events": "not a list"}, {"events": [{"no": "event"}]}, {"responses": [{"text": 3}]}]
verdicts = {"good": [original(action, good), action._validate_action_result(good)]}
for n, response in enumerate(bad):
    messages = []
    for validate in (lambda r: original(action, r), action._validate_action_result):
        try:
            validate(response)
            messages.append(None)
        except ValidationError as error:
            messages.append(error.message)
    verdicts[f"bad{n}"] = messages
print(json.dumps(verdicts))
"""


def test_the_same_verdicts_as_rasas_own_validation() -> None:
    verdicts = in_rasa(PROBE)
    assert verdicts.pop("good") == [True, True]
    assert verdicts["bad0"][0] is not None  # Rasa refuses it
    for name, (rasas, ours) in verdicts.items():
        assert ours == rasas, name  # we decide as Rasa does, with the same message
