"""Storing an uploaded certificate and pointing its record at it, so that file and row never disagree.

The file is written before the row changes. What becomes of the files depends on whether the row's
change commits (the request's unit of work): if it does not, the new file is removed; if it does,
the one it replaced is (platform.db's on_commit/on_rollback). A record never points at a missing file.
"""

from __future__ import annotations

from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from siaga112.platform.audit.service import Actor
from siaga112.platform.db import on_commit, on_rollback
from siaga112.platform.storage import file_store

from . import service
from .models import TrainingRecord


def store_upload(session: Session, training: TrainingRecord, upload: FileStorage, actor: Actor) -> None:
    """Store the file and attach it; a StorageError refusal (nothing kept) if the file is refused."""
    store = file_store()
    stored = store.save(upload.stream, service.storage_namespace(training.tenant_id))
    on_rollback(session, lambda: store.delete(stored.key))
    replaced = service.attach_certificate(session, training, stored, upload.filename, actor)
    if replaced:
        on_commit(session, lambda: store.delete(replaced))


def delete_with_certificate(session: Session, training: TrainingRecord, actor: Actor) -> None:
    """Delete the record; its certificate goes once that is committed (a failed commit keeps both)."""
    key = service.delete_record(session, training, actor)
    if key:
        store = file_store()
        on_commit(session, lambda: store.delete(key))
