"""File storage for files the site writes itself (the ``reports`` storage in ``STORAGES``).

Generated PDFs keep a fixed name (``reports/<round>/<ODS>.pdf``) that ``StoredReport``
points at, and a web server may be reading that file while a worker writes its next
version. Django's ``FileSystemStorage`` would either add a suffix to the name (a second
file the row does not point at) or, with ``allow_overwrite``, truncate the file in place
(a reader sees half a PDF). This storage writes a temporary file in the same folder and
``os.replace``s it over the name: a reader sees the old file or the new one, never a mix,
and the name stays the same. On S3 (``STORAGE_BACKEND=s3``) a PUT is atomic already.
"""

import os
import tempfile
from pathlib import Path

from django.core.files.storage import FileSystemStorage


class AtomicFileSystemStorage(FileSystemStorage):
    """``FileSystemStorage`` under ``MEDIA_ROOT`` that overwrites a name atomically."""

    # mkstemp makes 0600; the web server's group must be able to read what a worker wrote,
    # and nobody else (Django's FILE_UPLOAD_PERMISSIONS default, 0644, is for uploads).
    # ``OPTIONS={"file_permissions_mode": …}`` in STORAGES chooses otherwise.
    default_file_mode = 0o640

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_overwrite", True)
        super().__init__(**kwargs)

    def _save(self, name: str, content) -> str:
        full_path = Path(self.path(name))
        try:
            full_path.parent.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise FileExistsError(f"{full_path.parent} exists and is not a directory.") from None
        handle, temporary = tempfile.mkstemp(
            dir=full_path.parent, prefix=f".{full_path.name}.", suffix=".tmp"
        )
        try:
            with os.fdopen(handle, "wb") as file:
                if hasattr(content, "seek"):
                    content.seek(0)
                for chunk in content.chunks():
                    file.write(chunk.encode() if isinstance(chunk, str) else chunk)
            mode = self._file_permissions_mode
            os.chmod(temporary, self.default_file_mode if mode is None else mode)
            os.replace(temporary, full_path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return os.path.relpath(full_path, self.location).replace("\\", "/")
