"""The file store: atomic writes, sniffed types, a size limit, and no escape from its folder."""

import hashlib
import io
import os

import pytest

from siaga112.platform.storage import (INCOMING, EmptyUpload, FileStore, TooLarge, UnsupportedContent, file_store,
                                       sniff)

PDF = b"%PDF-1.7\n" + b"x" * 1000 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200


class Interrupted(io.BytesIO):
    """A stream that delivers some bytes, then fails as a client that went away does."""

    def __init__(self, data: bytes, fail_after: int):
        super().__init__(data)
        self.fail_after = fail_after

    def read(self, size=-1):
        if self.tell() >= self.fail_after:
            raise ConnectionResetError("client went away")
        return super().read(min(size, self.fail_after - self.tell()) if size and size > 0 else self.fail_after)


class Trickle(io.BytesIO):
    """A stream that hands out one byte per read, as a slow network may."""

    def read(self, size=-1):
        return super().read(1)


def every_file(root):
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


@pytest.fixture
def store(tmp_path):
    return FileStore(tmp_path / "files")


@pytest.mark.parametrize("content, kind", [(PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg")])
def test_a_stored_file_keeps_its_bytes_digest_and_sniffed_type(store, content, kind):
    stored = store.save(io.BytesIO(content), "training/t1")
    assert stored.content_type == kind and stored.size == len(content)
    assert stored.sha256 == hashlib.sha256(content).hexdigest()
    assert stored.key.startswith("training/t1/")
    with store.open(stored.key) as stored_file:
        assert stored_file.read() == content
    assert every_file(store.root) == [stored.key]


def test_the_content_decides_not_the_name_or_declared_type(store):
    with pytest.raises(UnsupportedContent):
        store.save(io.BytesIO(b"<html><script>alert(1)</script></html>"), "training/t1")
    with pytest.raises(UnsupportedContent):
        store.save(io.BytesIO(b"GIF89a" + b"\x00" * 50), "training/t1")
    assert sniff(b"%PDF") is None  # too short to be a PDF header
    assert every_file(store.root) == []


def test_a_slow_stream_is_still_sniffed_and_stored_whole(store):
    stored = store.save(Trickle(PNG), "training/t1")
    assert stored.content_type == "image/png" and stored.size == len(PNG)


def test_an_empty_file_is_refused(store):
    with pytest.raises(EmptyUpload):
        store.save(io.BytesIO(b""), "training/t1")


def test_a_file_over_the_limit_leaves_nothing_behind(store):
    with pytest.raises(TooLarge):
        store.save(io.BytesIO(PDF + b"y" * 5000), "training/t1", max_bytes=4096)
    assert every_file(store.root) == []
    exactly = store.save(io.BytesIO((PDF + b"y" * 5000)[:4096]), "training/t1", max_bytes=4096)
    assert exactly.size == 4096


def test_an_interrupted_upload_leaves_nothing_behind(store):
    big = PDF + b"z" * 300_000
    with pytest.raises(ConnectionResetError):
        store.save(Interrupted(big, fail_after=200_000), "training/t1")
    assert every_file(store.root) == []
    assert not any((store.root / INCOMING).iterdir())


def test_keys_cannot_leave_the_store(store):
    stored = store.save(io.BytesIO(PDF), "training/t1")
    for bad in ("../secrets/flask-secret-key", "training/t1/../../x", "/etc/passwd", stored.key + "/..",
                "training/t1/" + "A" * 32):
        with pytest.raises(ValueError):
            store.open(bad)
    with pytest.raises(ValueError):
        store.save(io.BytesIO(PDF), "../outside")


def test_deleting_is_idempotent_and_only_that_file(store):
    first = store.save(io.BytesIO(PDF), "training/t1")
    second = store.save(io.BytesIO(PDF), "training/t1")
    assert first.key != second.key  # the same bytes twice are two files: deleting one never takes the other
    store.delete(first.key)
    store.delete(first.key)
    assert every_file(store.root) == [second.key]


def test_stale_temp_files_are_swept(store):
    incoming = store.root / INCOMING
    incoming.mkdir(parents=True)
    old, fresh = incoming / "old", incoming / "fresh"
    old.write_bytes(b"x")
    fresh.write_bytes(b"y")
    os.utime(old, (1, 1))
    assert store.sweep_incoming() == 1
    assert [path.name for path in incoming.iterdir()] == ["fresh"]


def test_the_apps_store_lives_in_the_data_dir(app, services):
    with app.app_context():
        assert file_store().root == services.data_dir.resolve() / "files"


def test_the_sweep_job_reads_the_data_dir_from_the_environment(services):
    from siaga112.platform.storage import sweep_stale_uploads

    leftover = services.data_dir / "files" / INCOMING / "left-by-a-killed-worker"
    leftover.parent.mkdir(parents=True, exist_ok=True)
    leftover.write_bytes(b"partial")
    os.utime(leftover, (1, 1))
    assert sweep_stale_uploads() >= 1
    assert not leftover.exists()
