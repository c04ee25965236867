"""The service's parts, built once at start-up by the composition root (queue_service/app.py),
and handed to routes as typed FastAPI dependencies.

A route names the parts it needs by their type: `hub: Annotated[Hub, Depends(part(Hub))]`.
Nothing is looked up by a string, every dependency is checked by the type checker and shows in
the route's signature, and this module imports nothing of the service, so any package may use
it (the channels' parts, such as the WeChat channel, are registered the same way). An optional
part (a channel that is not configured) is asked for with `optional_part`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

from fastapi import FastAPI
from starlette.requests import HTTPConnection

T = TypeVar("T")


class Services:
    """The running service's parts, one per type."""

    def __init__(self, *parts: object) -> None:
        self._parts: dict[type, object] = {}
        for each in parts:
            self.add(each)

    def add(self, part: object) -> None:
        kind = type(part)
        if kind in self._parts:
            raise ValueError(f"two parts of type {kind.__name__}")
        self._parts[kind] = part

    def find(self, kind: type[T]) -> T | None:
        return cast(T | None, self._parts.get(kind))

    def get(self, kind: type[T]) -> T:
        found = self.find(kind)
        if found is None:
            raise LookupError(f"the service has no {kind.__name__}")
        return found


def services_of(holder: HTTPConnection | FastAPI) -> Services:
    """The services of the app a request or socket arrived at (or of the app itself)."""
    app = holder if isinstance(holder, FastAPI) else holder.app
    return app.state.services


def part(kind: type[T]) -> Callable[[HTTPConnection], T]:
    """A dependency giving the service's part of this type."""

    def get(connection: HTTPConnection) -> T:
        return services_of(connection).get(kind)

    get.__name__ = f"part_{kind.__name__}"
    return get


def optional_part(kind: type[T]) -> Callable[[HTTPConnection], T | None]:
    """A dependency giving the part of this type, or None where the service has none."""

    def find(connection: HTTPConnection) -> T | None:
        return services_of(connection).find(kind)

    find.__name__ = f"optional_part_{kind.__name__}"
    return find
