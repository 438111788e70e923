"""Where attachment bytes live: a small interface, and its local-directory implementation.

``AttachmentStore``: ``put(key, stream)`` writes a whole file (atomically: a reader never sees half
of one), ``open(key)`` returns a binary stream to read it in chunks, ``delete(key)`` forgets it.
Keys are opaque strings the service makes (``<2 hex>/<attachment id>``), never a user's file name.

Local directory (``LocalDirectoryStore``, the one that ships): files under
``CAREDESK_CUSTOMERS_ATTACHMENTS_DIR`` (default ``<data dir>/customers-attachments``). Every
replica of the customers service must see the same directory (one host, or a shared volume).

S3-compatible object store (the production choice; not shipped, documented here): implement the
same three methods with an S3 client (boto3 or any S3-compatible SDK: MinIO, Ceph RGW, AWS S3):
``put`` = ``upload_fileobj(stream, bucket, prefix + key)`` (multipart upload for large files,
``ChecksumAlgorithm="SHA256"`` so the store verifies the bytes), ``open`` =
``get_object(...)["Body"]`` (a streaming body read in chunks), ``delete`` = ``delete_object``. Keep
the bucket private (no public ACL; downloads go through the service, which checks access), turn on
server-side encryption and versioning, and give the service credentials limited to its prefix.
Settings it would need: endpoint URL, region, bucket, key prefix, and credentials from the
environment or the platform's identity (never in the database).
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol


class AttachmentStore(Protocol):
    def put(self, key: str, stream: BinaryIO) -> None: ...

    def open(self, key: str) -> BinaryIO: ...

    def delete(self, key: str) -> None: ...


class LocalDirectoryStore:
    """Attachment files in a local directory, written through a temporary file and renamed."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"The key {key!r} leaves the store.")
        return path

    def put(self, key: str, stream: BinaryIO) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(descriptor, "wb") as target:
                shutil.copyfileobj(stream, target, length=1024 * 1024)
                target.flush()
                os.fsync(target.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)
