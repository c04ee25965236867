"""The Rasa servers' model server (queue_service/publishing/model_route.py) on real Redis and SQL:
Rasa's token in a header, the published model by ETag, a rollback's model served again."""

from redis.asyncio import Redis

from queue_service.publishing.publisher import Publisher
from queue_service.publishing.store import PublicationStore, State, now
from tests.support.rasa_standins import closed_port_url
from tests.support.service import make_client, part

TOKEN = "model-route-test-token-0123456789abcdef"
URL = "/internal/rasa/model"


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_rasa_gets_the_published_model_by_etag(redis_process, database_url, tmp_path) -> None:
    repository = tmp_path / "swa-repository.tar.gz"
    repository.write_bytes(b"repository model")
    with make_client(
        redis_process.url,
        database_url,
        closed_port_url(),
        rasa_token=TOKEN,
        rasa_model_file=repository,
        published_models_dir=tmp_path / "published",
    ) as client:
        client.portal.call(part(client, Redis).flushdb)
        # Only Rasa's token opens it, and never from the URL.
        assert client.get(URL).status_code == 401
        assert client.get(URL, headers=auth("wrong")).status_code == 401
        assert client.get(URL, params={"token": TOKEN}).status_code == 401

        # Before any publish: the model the stack started with.
        first = client.get(URL, headers=auth())
        assert first.status_code == 200 and first.content == b"repository model"
        assert first.headers["etag"] == repository.name
        unchanged = client.get(URL, headers={**auth(), "If-None-Match": repository.name})
        assert unchanged.status_code == 304 and unchanged.content == b""

        # A publish (its model in SQL only, as another instance would have written it).
        store = part(client, PublicationStore)
        publisher = part(client, Publisher)

        async def publish(name: str, archive: bytes) -> int:
            publication = await store.create({"categories.yml": "[]"}, "kb-wang", model=name)
            await store.save_model(name, archive)
            await store.update(publication, state=State.PUBLISHED, published_at=now())
            return publication

        second = client.portal.call(publish, "swa-second.tar.gz", b"second model")
        newer = client.get(URL, headers={**auth(), "If-None-Match": repository.name})
        assert newer.status_code == 200 and newer.content == b"second model"
        assert newer.headers["etag"] == "swa-second.tar.gz"
        assert (tmp_path / "published" / "swa-second.tar.gz").read_bytes() == b"second model"

        # A rollback to a version with another model: that one again.
        client.portal.call(publish, "swa-third.tar.gz", b"third model")
        restored = client.portal.call(publisher.rollback, second, "kb-wang")
        assert restored > second
        again = client.get(URL, headers={**auth(), "If-None-Match": "swa-third.tar.gz"})
        assert again.status_code == 200 and again.content == b"second model"
