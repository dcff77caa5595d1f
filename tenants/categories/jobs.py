"""Outbox handlers of the categories context."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from siaga112.platform.jobs.events import on

from .service import seed_national_categories

TENANT_CREATED = "tenant.created"


@on(TENANT_CREATED)
def seed_new_tenant(session: Session, payload: dict) -> None:
    """A new tenant gets the national categories (the worker's transaction runs in platform context)."""
    seed_national_categories(session, uuid.UUID(str(payload["tenant_id"])))
