"""Uploaded files (certificates, onboarding evidence) on disk under SIAGA_DATA_DIR/files.

A file is written to `files/.incoming/` first and renamed into place only when
all of it arrived, within the size limit and of an accepted kind: os.replace
is atomic within one filesystem, so an upload cut off half-way (client gone,
disk full, process killed) never shows up under its key; at worst a temp file
is left in .incoming, which `sweep_incoming` removes.

What a file *is* comes from its first bytes, never from its name or the
Content-Type its sender declared: those are the sender's claims, and a page
serving "certificate.pdf" that is really HTML would be a stored-XSS vector.

Keys are `<namespace>/<random hex>`: random rather than content-addressed, so
that deleting one tenant's file can never take away another's copy of the
same bytes. Callers keep the key, SHA-256, size and type in their own rows.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app, send_file

from .refusals import N_, NotFound, Refusal

CHUNK = 64 * 1024
MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # 10 MB, the limit the issue sets for certificates and evidence
INCOMING = ".incoming"
STALE_INCOMING_SECONDS = 3600

# Magic numbers: the first bytes each accepted kind must start with.
MAGIC = {
    "application/pdf": b"%PDF-",
    "image/jpeg": b"\xff\xd8\xff",
    "image/png": b"\x89PNG\r\n\x1a\n",
}
EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
NAMES = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}
SNIFF_BYTES = max(len(magic) for magic in MAGIC.values())
NAMESPACE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}(/[a-z0-9][a-z0-9_-]{0,62}){0,3}$")
KEY = re.compile(NAMESPACE.pattern[:-1] + r"/[0-9a-f]{32}$")


class StorageError(Refusal):
    """An upload that cannot be stored; the message says why and what to send instead. It names the
    multipart field `file`, where every upload of the platform arrives."""

    def __init__(self, template: str, **params):
        super().__init__(template, "file", location="files", **params)


class EmptyUpload(StorageError):
    status = 422

    def __init__(self):
        super().__init__(N_("The file is empty."))


class TooLarge(StorageError):
    status = 413

    def __init__(self, max_bytes: int):
        super().__init__(N_("The file is larger than %(megabytes)s MB; send a smaller one (a scan at a lower "
                            "resolution, for example)."), megabytes=max_bytes // (1024 * 1024))


class UnsupportedContent(StorageError):
    status = 415

    def __init__(self, accepted: tuple[str, ...]):
        super().__init__(N_("The file is not %(kinds)s by its content, whatever its name says; send one of those."),
                         kinds="/".join(NAMES[kind] for kind in accepted))


@dataclass(frozen=True)
class StoredFile:
    key: str
    sha256: str
    size: int
    content_type: str

    @property
    def extension(self) -> str:
        return EXTENSIONS.get(self.content_type, "bin")


def sniff(head: bytes, accepted: tuple[str, ...] = tuple(MAGIC)) -> str | None:
    """The accepted content type whose magic number `head` starts with, or None."""
    return next((kind for kind in accepted if head.startswith(MAGIC[kind])), None)


class FileStore:
    def __init__(self, root: Path):
        self.root = Path(root)

    def save(self, stream: BinaryIO, namespace: str, max_bytes: int = MAX_UPLOAD_BYTES,
             accepted: tuple[str, ...] = tuple(MAGIC)) -> StoredFile:
        """Store what `stream` yields under a new key in `namespace`; nothing is kept unless all of it is good."""
        if not NAMESPACE.fullmatch(namespace):
            raise ValueError(f"not a storage namespace: {namespace!r}")
        head = _read_head(stream)
        if not head:
            raise EmptyUpload()
        content_type = sniff(head, accepted)
        if content_type is None:
            raise UnsupportedContent(accepted)
        key = f"{namespace}/{uuid.uuid4().hex}"
        digest, size = self._write_atomically(stream, head, self.path(key), max_bytes)
        return StoredFile(key, digest, size, content_type)

    def _write_atomically(self, stream: BinaryIO, head: bytes, final: Path, max_bytes: int) -> tuple[str, int]:
        incoming = self.root / INCOMING
        incoming.mkdir(parents=True, exist_ok=True)
        temp = incoming / uuid.uuid4().hex
        digest, size = hashlib.sha256(), 0
        try:
            with temp.open("xb") as out:
                chunk = head
                while chunk:
                    size += len(chunk)
                    if size > max_bytes:
                        raise TooLarge(max_bytes)
                    digest.update(chunk)
                    out.write(chunk)
                    chunk = stream.read(CHUNK)
                out.flush()
                os.fsync(out.fileno())
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temp, final)  # atomic: the key shows all of the file or nothing
            _fsync_directory(final.parent)
        except BaseException:  # also KeyboardInterrupt and a client that went away mid-stream
            temp.unlink(missing_ok=True)
            raise
        return digest.hexdigest(), size

    def path(self, key: str) -> Path:
        """Where a key's file lives; refuses anything that is not a key this store made (no ../ escapes)."""
        if not KEY.fullmatch(key):
            raise ValueError(f"not a storage key: {key!r}")
        return self.root / key

    def open(self, key: str) -> BinaryIO:
        return self.path(key).open("rb")

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def sweep_incoming(self, older_than: float = STALE_INCOMING_SECONDS) -> int:
        """Remove temp files left by a process that died mid-upload; returns how many."""
        incoming, removed = self.root / INCOMING, 0
        if not incoming.is_dir():
            return 0
        cutoff = time.time() - older_than
        for leftover in incoming.iterdir():
            if leftover.is_file() and leftover.stat().st_mtime < cutoff:
                leftover.unlink(missing_ok=True)
                removed += 1
        return removed


def _read_head(stream: BinaryIO) -> bytes:
    # A stream may hand out fewer bytes than asked: read until the magic numbers can be told apart.
    head = b""
    while len(head) < SNIFF_BYTES:
        chunk = stream.read(SNIFF_BYTES - len(head))
        if not chunk:
            break
        head += chunk
    return head


def _fsync_directory(folder: Path) -> None:
    # The rename is durable only once the directory entry is on disk too.
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def download(key: str, content_type: str, name: str, sha256: str):
    """A stored file as a download: saved under its name, typed as sniffed at upload, never rendered by the
    browser (headers.as_download)."""
    from .headers import as_download

    store = file_store()
    if not store.exists(key):
        raise NotFound(N_("This file is missing from storage; upload it again."), code="file_missing")
    return as_download(send_file(store.open(key), mimetype=content_type, as_attachment=True, download_name=name,
                                 etag=sha256, max_age=0))


def file_store(app=None) -> FileStore:
    """The store of this app: SIAGA_DATA_DIR/files."""
    settings = (app or current_app).extensions["siaga112.settings"]
    return FileStore(settings.data_dir / "files")


def sweep_stale_uploads() -> int:
    """rq cron job: remove temp files that processes killed mid-upload left in files/.incoming."""
    from .jobs.runtime import job_settings

    return FileStore(job_settings().data_dir / "files").sweep_incoming()
