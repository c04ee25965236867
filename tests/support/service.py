"""The service app as the integration tests build it: real Redis and SQL, a Rasa of the test's."""

from typing import Any, TypeVar

from fastapi.testclient import TestClient

from queue_service.app import create_app
from queue_service.services import services_of
from queue_service.settings import Settings

T = TypeVar("T")


def make_client(
    redis_url: str,
    database_url: str,
    rasa_url: str,
    raise_server_exceptions: bool = True,
    **overrides,
) -> TestClient:
    settings = Settings(
        redis_url=redis_url,
        database_url=database_url,
        rasa_url=rasa_url,
        **{"rasa_timeout_s": 0.5, **overrides},
    )
    return TestClient(create_app(settings), raise_server_exceptions=raise_server_exceptions)


def part(holder: Any, kind: type[T]) -> T:
    """The running app's part of this type (queue_service/services.py), from a test client, or
    anything else holding the app as `.app`."""
    return services_of(getattr(holder, "app", holder)).get(kind)
