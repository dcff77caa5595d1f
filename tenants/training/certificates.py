"""Storing an uploaded certificate and pointing its record at it, so that file and row never disagree."""

from __future__ import annotations

from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from siaga112.platform.audit.service import Actor
from siaga112.platform.storage import file_store

from . import service
from .models import TrainingRecord


def store_upload(session: Session, training: TrainingRecord, upload: FileStorage, actor: Actor) -> None:
    """Store the file, attach it and commit; StorageError (nothing kept) if the file is refused.

    The file is written before the row changes: if the commit fails the new file is deleted, and
    the replaced one is deleted only after the commit, so a record never points at a missing file.
    """
    store = file_store()
    stored = store.save(upload.stream, service.storage_namespace(training.tenant_id))
    try:
        replaced = service.attach_certificate(session, training, stored, upload.filename, actor)
        session.commit()
    except BaseException:
        session.rollback()
        store.delete(stored.key)
        raise
    if replaced:
        store.delete(replaced)
