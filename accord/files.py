"""Uploaded files (case evidence, registry files, agents' proof documents): content sniffing and
content-addressed storage on disk.

What a file is comes from its bytes alone; a filename or a client-declared type is whatever the uploader
chose to say, so neither is ever consulted. Files are stored under their SHA-256, which deduplicates
identical uploads and lets a stored name never be influenced by a user. Writes go to a temporary file
in the target directory and are moved into place with `os.replace`, so concurrent writers (threads or
processes) never expose a half-written file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import filetype
from litestar import Response
from litestar.datastructures import State, UploadFile

from accord.errors import InvalidInput, TooLarge, UnsupportedMedia
from accord.i18n import N_, register_labels
from accord.i18n import gettext as _

ALLOWED_MEDIA_TYPES = {"image/jpeg", "image/png", "image/webp", "application/pdf"}
INLINE_MEDIA_TYPES = {"image/jpeg", "image/png", "image/webp"}
register_labels(
    "media_type",
    {
        "image/jpeg": N_("JPEG image"),
        "image/png": N_("PNG image"),
        "image/webp": N_("WebP image"),
        "application/pdf": N_("PDF document"),
    },
)
MAX_FILE_BYTES = 10 * 1024 * 1024

FILE_MODE = 0o640
DIRECTORY_MODE = 0o750
_SHA256 = re.compile(r"[0-9a-f]{64}")


class UnsupportedFile(ValueError):
    """The content is not one of the accepted file types."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class EmptyFile(UnsupportedFile):
    """A zero-byte upload: usually a browser sending the form with no file chosen."""


class FileTooLarge(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    media_type: str
    size: int


def sniff(content: bytes) -> str:
    """The media type of `content`, judged by its magic bytes; raises if it may not be stored."""
    # Size first: it is the cheapest check and bounds the work for everything after it.
    if len(content) > MAX_FILE_BYTES:
        raise FileTooLarge(_("Files may be at most 10 MB."))
    if not content:
        raise EmptyFile(_("The file is empty."))
    kind = filetype.guess(content)
    if kind is None or kind.mime not in ALLOWED_MEDIA_TYPES:
        raise UnsupportedFile(_("Only JPEG, PNG or WebP images and PDF documents can be uploaded."))
    return kind.mime


def _checked_sha256(sha256: str) -> str:
    # The digest becomes a path and a header value, so anything but plain lowercase hex is refused.
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise ValueError("not a SHA-256 hex digest")
    return sha256


def download_disposition(media_type: str, sha256: str, prefix: str = "evidence") -> str:
    """Content-Disposition for serving a stored file; the name is derived from the digest only."""
    sha256 = _checked_sha256(sha256)
    if media_type in INLINE_MEDIA_TYPES:
        return "inline"
    if media_type == "application/pdf":
        # PDFs are downloaded rather than rendered in our origin, where embedded scripts could run.
        return f'attachment; filename="{prefix}-{sha256[:12]}.pdf"'
    raise ValueError(f"not an accepted media type: {media_type!r}")


def _make_directory(path: Path) -> None:
    try:
        path.mkdir(mode=DIRECTORY_MODE)
    except FileExistsError:
        return
    # mkdir's mode is filtered by the umask; set it explicitly so permissions do not depend on it.
    os.chmod(path, DIRECTORY_MODE)


def _fsync_directory(path: Path) -> None:
    # Makes the rename itself durable, so a crash cannot lose a file we already reported as stored.
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _write_atomically(path: Path, content: bytes) -> None:
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            os.fchmod(handle.fileno(), FILE_MODE)
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        # Atomic on POSIX: readers see either no file or the complete one. A concurrent writer of the
        # same digest replaces identical bytes, which is harmless.
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_directory(path.parent)


class FileStore:
    """Stored files under `root`, sharded as `root/ab/cd/abcd…` to keep directories small."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_of(self, sha256: str) -> Path:
        sha256 = _checked_sha256(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, content: bytes) -> StoredFile:
        media_type = sniff(content)
        sha256 = hashlib.sha256(content).hexdigest()
        path = self.path_of(sha256)
        if not path.exists():
            self._make_shard(path.parent)
            _write_atomically(path, content)
        return StoredFile(sha256=sha256, media_type=media_type, size=len(content))

    def open(self, sha256: str) -> bytes:
        """The stored bytes; FileNotFoundError if nothing is stored under this digest."""
        return self.path_of(sha256).read_bytes()

    def exists(self, sha256: str) -> bool:
        return self.path_of(sha256).is_file()

    def _make_shard(self, shard: Path) -> None:
        self.root.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
        _make_directory(shard.parent)
        _make_directory(shard)


def provide_file_store(state: State) -> FileStore:
    """Dependency: the app's evidence store (cases and registry listings keep their files there)."""
    return state.file_store  # type: ignore[no-any-return]


def store_upload(store: FileStore, content: bytes) -> StoredFile:
    """Store an upload, turning the refusals above into 413/415 domain errors."""
    try:
        return store.put(content)
    except FileTooLarge as error:
        raise TooLarge(str(error)) from None
    except UnsupportedFile as error:
        raise UnsupportedMedia(str(error)) from None


def chosen_files(form: dict[str, Any], field: str) -> list[UploadFile]:
    """The files chosen in a multipart form's field that takes several (an empty file input sends one
    nameless part, which is no file)."""
    parts = form.get(field)
    parts = parts if isinstance(parts, list) else [parts]
    return [upload for upload in parts if isinstance(upload, UploadFile) and upload.filename]


def single_file(form: dict[str, Any]) -> UploadFile:
    """The one file of a multipart form's `file` field."""
    upload = form.get("file")
    if isinstance(upload, list):
        upload = upload[0] if upload else None
    if not isinstance(upload, UploadFile):
        raise InvalidInput.one("file", _("Choose a file to upload."))
    return upload


def file_response(row: dict[str, Any], content: bytes, prefix: str = "evidence") -> Response[bytes]:
    """A stored file with its sniffed type (`row` has `media_type`, `sha256`); never a name the uploader chose.

    Evidence and proofs are private: no cache keeps them (a shared computer's next user, a proxy)."""
    return Response(
        content,
        media_type=row["media_type"],
        headers={
            "Content-Disposition": download_disposition(row["media_type"], row["sha256"], prefix),
            "Cache-Control": "no-store",
        },
    )


MAX_LABEL_CHARS = 120
# Characters that could make a label lie about itself: controls, and Unicode's invisible formatting
# (bidirectional overrides that flip "gpj.exe" into "exe.jpg", zero-width joiners and the like).
_UNSHOWABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def file_label(filename: str | None) -> str:
    """The name the uploader's device gave a file, made safe to show beside it ("receipt.pdf"): the last
    path segment, without invisible or control characters, whitespace collapsed, at most 120 characters.

    It is a display label only: files are stored, found and downloaded by their hash and sniffed type,
    never by this name (see `download_disposition`)."""
    if not filename:
        return ""
    name = unicodedata.normalize("NFC", filename).replace("\\", "/").rsplit("/", 1)[-1]
    name = " ".join(_UNSHOWABLE.sub("", name).split())
    if len(name) > MAX_LABEL_CHARS:  # keep the extension in sight: it is what people recognise
        stem, dot, extension = name.rpartition(".")
        keep = extension if dot and len(extension) <= 10 else ""
        name = name[: MAX_LABEL_CHARS - len(keep) - 2] + "…" + ("." + keep if keep else name[-1])
    return name if name.strip(". ") else ""  # "..", " . ": nothing to show
