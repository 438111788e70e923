"""What a file is, told from its bytes (never from its name or the type the client declares).

Accepted: PDF, PNG, JPEG, TIFF, Word (.docx) and Excel (.xlsx) documents, and plain UTF-8 text.
Each is recognised by its magic number; an Office document is a ZIP whose parts name it; text is
UTF-8 without NUL bytes or other control characters than tab, line feed, carriage return and
form feed.
"""
from __future__ import annotations

import codecs
import re
import zipfile
from typing import BinaryIO

PDF, PNG, JPEG, TIFF, TEXT = "application/pdf", "image/png", "image/jpeg", "image/tiff", "text/plain"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ACCEPTED = (PDF, PNG, JPEG, TIFF, DOCX, XLSX, TEXT)
EXTENSIONS = {PDF: ".pdf", PNG: ".png", JPEG: ".jpg", TIFF: ".tif", DOCX: ".docx", XLSX: ".xlsx", TEXT: ".txt"}

_MAGIC = ((b"%PDF-", PDF), (b"\x89PNG\r\n\x1a\n", PNG), (b"\xff\xd8\xff", JPEG), (b"II*\x00", TIFF),
          (b"MM\x00*", TIFF))
_ZIP = b"PK\x03\x04"
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")  # all but tab, LF, FF, CR


class TextCheck:
    """Fed chunk by chunk: whether the whole file is plain UTF-8 text."""

    def __init__(self) -> None:
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.ok = True

    def feed(self, chunk: bytes, *, final: bool = False) -> None:
        if not self.ok:
            return
        if _CONTROL.search(chunk):
            self.ok = False
            return
        try:
            self.decoder.decode(chunk, final=final)
        except UnicodeDecodeError:
            self.ok = False


def sniff(head: bytes, *, whole: BinaryIO, text: TextCheck) -> str | None:
    """The accepted content type of a file, from its first bytes (``head``), the whole file (for ZIP
    containers) and its text check; None when it is none of the accepted kinds."""
    for magic, content_type in _MAGIC:
        if head.startswith(magic):
            return content_type
    if head.startswith(_ZIP):
        whole.seek(0)
        try:
            with zipfile.ZipFile(whole) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        finally:
            whole.seek(0)
        if "[Content_Types].xml" in names and "word/document.xml" in names:
            return DOCX
        if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
            return XLSX
        return None
    if head and text.ok:
        return TEXT
    return None
