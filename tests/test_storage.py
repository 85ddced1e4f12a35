"""The ``reports`` file storage: a fixed name, overwritten atomically."""

import os

from django.core.files.base import ContentFile

from wcc_site.storage import AtomicFileSystemStorage


def test_atomic_storage_overwrites_the_same_name_and_leaves_no_temporary_file(tmp_path):
    storage = AtomicFileSystemStorage(location=tmp_path)

    first = storage.save("reports/r/5PG.pdf", ContentFile(b"first version"))
    inode = (tmp_path / first).stat().st_ino
    second = storage.save("reports/r/5PG.pdf", ContentFile(b"second"))

    assert (first, second) == ("reports/r/5PG.pdf", "reports/r/5PG.pdf")
    assert (tmp_path / "reports/r/5PG.pdf").read_bytes() == b"second"
    assert os.listdir(tmp_path / "reports/r") == ["5PG.pdf"]
    # Replaced, not rewritten in place: a reader holding the old file keeps reading it whole.
    assert (tmp_path / second).stat().st_ino != inode


def test_atomic_storage_reader_of_the_old_file_is_not_disturbed(tmp_path):
    storage = AtomicFileSystemStorage(location=tmp_path)
    storage.save("a.pdf", ContentFile(b"old content"))

    with storage.open("a.pdf", "rb") as reading:
        storage.save("a.pdf", ContentFile(b"new"))
        seen = reading.read()
    with storage.open("a.pdf", "rb") as after:
        now = after.read()

    assert (seen, now) == (b"old content", b"new")


def test_atomic_storage_files_are_group_readable(tmp_path):
    storage = AtomicFileSystemStorage(location=tmp_path)

    name = storage.save("a.pdf", ContentFile(b"x"))

    assert (tmp_path / name).stat().st_mode & 0o777 == 0o640


def test_atomic_storage_failed_write_keeps_the_old_file_and_no_temporary(tmp_path):
    storage = AtomicFileSystemStorage(location=tmp_path)
    storage.save("a.pdf", ContentFile(b"old"))

    class Broken(ContentFile):
        def chunks(self, chunk_size=None):
            yield b"half"
            raise OSError("disk full")

    try:
        storage.save("a.pdf", Broken(b"ignored"))
    except OSError as exc:
        error = str(exc)

    assert error == "disk full"
    assert (os.listdir(tmp_path), (tmp_path / "a.pdf").read_bytes()) == (["a.pdf"], b"old")
