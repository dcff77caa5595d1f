"""Which functions handle which outbox topic. Contexts register; the composition root imports them."""

from __future__ import annotations

from collections import defaultdict
from typing import Callable

from sqlalchemy.orm import Session

Handler = Callable[[Session, dict], None]
_handlers: dict[str, list[Handler]] = defaultdict(list)


def on(topic: str) -> Callable[[Handler], Handler]:
    """Register `handler(session, payload)` for `topic`; it runs in the worker's transaction."""

    def register(handler: Handler) -> Handler:
        if handler not in _handlers[topic]:
            _handlers[topic].append(handler)
        return handler

    return register


def handlers_for(topic: str) -> list[Handler]:
    return list(_handlers.get(topic, ()))
