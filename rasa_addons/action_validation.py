"""The action server's answers validated as Rasa 3.6 does, with the schema checked once.

Rasa validates every custom action's response with `jsonschema.validate(result, schema)`, and
that call checks the schema itself (`check_schema`, against the draft's metaschema) before it
looks at the response, on every action of every turn. Profiled with py-spy on a Rasa server
under `bench.chat --cluster`, that schema check was 26% of the server's CPU: more than the
DIET classifier. Here the validator is built once; a response is checked against the same
schema and a bad one raises the same `ValidationError` (jsonschema's best match, with Rasa's
hint appended), so only the repeated check of Rasa's own constant schema is gone.

`install()` runs when Rasa imports our tracker store (bot/endpoints.yml names it), the one
hook Rasa gives into its server process.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import ValidationError, validators
from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@cache
def _validator() -> Validator:
    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)  # once, as every validate() call did
    return cls(schema)


def validate_action_result(_action: RemoteAction, result: dict[str, Any]) -> bool:
    """RemoteAction._validate_action_result, with the validator built once."""
    error: ValidationError | None = best_match(_validator().iter_errors(result))
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid. "
            "For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


def install() -> None:
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
