"""Storing an uploaded certificate and pointing its record at it, so that file and row never disagree.

Both functions here commit themselves, deliberately, rather than leaving it to the request's unit of
work: what happens to a file depends on whether its row's change was committed, so the commit has to
happen before the function decides (delete the new file if it failed, the old one once it succeeded).
"""

from __future__ import annotations

from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from siaga112.platform.audit.service import Actor
from siaga112.platform.storage import file_store

from . import service
from .models import TrainingRecord


def store_upload(session: Session, training: TrainingRecord, upload: FileStorage, actor: Actor) -> None:
    """Store the file, attach it and commit; a StorageError refusal (nothing kept) if the file is refused.

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


def delete_with_certificate(session: Session, training: TrainingRecord, actor: Actor) -> None:
    """Delete the record and commit, then its certificate: a failed commit keeps row and file together."""
    key = service.delete_record(session, training, actor)
    session.commit()
    if key:
        file_store().delete(key)
