"""The service app as the integration tests build it: real Redis and SQL, a Rasa of the test's."""

from fastapi.testclient import TestClient

from queue_service.app import create_app
from queue_service.settings import Settings


def make_client(redis_url: str, database_url: str, rasa_url: str, **overrides) -> TestClient:
    settings = Settings(
        redis_url=redis_url,
        database_url=database_url,
        rasa_url=rasa_url,
        rasa_timeout_s=0.5,
        **overrides,
    )
    return TestClient(create_app(settings))
