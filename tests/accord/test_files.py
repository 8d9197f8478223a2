"""Evidence files: sniffing by content and content-addressed storage."""

from __future__ import annotations

import hashlib
import stat
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from accord.files import (
    MAX_FILE_BYTES,
    EmptyFile,
    FileStore,
    FileTooLarge,
    StoredFile,
    UnsupportedFile,
    download_disposition,
    sniff,
)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def minimal_png() -> bytes:
    """A valid 1×1 greyscale PNG."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x00")  # filter byte + one pixel
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", pixels) + _png_chunk(b"IEND", b"")


def minimal_jpeg() -> bytes:
    """SOI + JFIF APP0 segment + EOI."""
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0 + b"\xff\xd9"


def minimal_webp() -> bytes:
    """RIFF container holding a lossy VP8 chunk header."""
    vp8 = b"\x00\x00\x00\x9d\x01\x2a\x01\x00\x01\x00"
    chunk = b"VP8 " + struct.pack("<I", len(vp8)) + vp8
    body = b"WEBP" + chunk
    return b"RIFF" + struct.pack("<I", len(body)) + body


def minimal_pdf(padding: int = 0) -> bytes:
    body = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n"
    return body + b" " * padding + b"%%EOF\n"


def pdf_of_size(size: int) -> bytes:
    return minimal_pdf(padding=size - len(minimal_pdf()))


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


ONLY_ALLOWED = "Only JPEG, PNG or WebP images and PDF documents can be uploaded."


@pytest.mark.parametrize(
    ("content", "media_type"),
    [
        (minimal_jpeg(), "image/jpeg"),
        (minimal_png(), "image/png"),
        (minimal_webp(), "image/webp"),
        (minimal_pdf(), "application/pdf"),
    ],
)
def test_accepted_types_are_recognised_by_content(tmp_path: Path, content: bytes, media_type: str) -> None:
    assert sniff(content) == media_type
    stored = FileStore(tmp_path).put(content)
    assert stored == StoredFile(sha256=hashlib.sha256(content).hexdigest(), media_type=media_type, size=len(content))


@pytest.mark.parametrize(
    "content",
    [
        # A Windows executable someone renamed to photo.jpg: the name never reaches sniff().
        b"MZ" + b"\x90\x00\x03" + b"\x00" * 125,
        b"Receipt: order 12345, paid 99.00 EUR\n",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
    ],
    ids=["exe-renamed-jpg", "text", "svg", "gif"],
)
def test_other_content_is_refused_with_a_clear_message(tmp_path: Path, content: bytes) -> None:
    with pytest.raises(UnsupportedFile) as refused:
        sniff(content)
    assert str(refused.value) == ONLY_ALLOWED
    assert refused.value.message == ONLY_ALLOWED
    with pytest.raises(UnsupportedFile):
        FileStore(tmp_path).put(content)
    assert stored_files(tmp_path) == []


def test_empty_upload_is_its_own_error(tmp_path: Path) -> None:
    with pytest.raises(EmptyFile) as refused:
        FileStore(tmp_path).put(b"")
    assert isinstance(refused.value, UnsupportedFile)
    assert refused.value.message == "The file is empty."
    assert stored_files(tmp_path) == []


def test_one_byte_over_the_limit_is_refused_and_nothing_written(tmp_path: Path) -> None:
    content = pdf_of_size(MAX_FILE_BYTES + 1)
    assert len(content) == MAX_FILE_BYTES + 1
    with pytest.raises(FileTooLarge) as refused:
        FileStore(tmp_path).put(content)
    assert refused.value.message == "Files may be at most 10 MB."
    assert stored_files(tmp_path) == []


def test_size_is_checked_before_the_type() -> None:
    with pytest.raises(FileTooLarge):
        sniff(b"MZ" + b"\x00" * MAX_FILE_BYTES)


def test_exactly_the_limit_is_accepted(tmp_path: Path) -> None:
    content = pdf_of_size(MAX_FILE_BYTES)
    store = FileStore(tmp_path)
    stored = store.put(content)
    assert stored.size == MAX_FILE_BYTES
    assert stored.media_type == "application/pdf"
    assert store.open(stored.sha256) == content


def test_stored_bytes_and_digest_match_the_input(tmp_path: Path) -> None:
    content = minimal_png()
    store = FileStore(tmp_path)
    stored = store.put(content)
    sha256 = hashlib.sha256(content).hexdigest()
    assert stored.sha256 == sha256
    assert store.path_of(sha256) == tmp_path / sha256[:2] / sha256[2:4] / sha256
    assert store.exists(sha256)
    assert store.open(sha256) == content
    assert store.path_of(sha256).read_bytes() == content


def test_files_and_directories_are_not_world_readable(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "evidence")
    stored = store.put(minimal_jpeg())
    path = store.path_of(stored.sha256)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o750
    assert stat.S_IMODE(path.parent.parent.stat().st_mode) == 0o750


def test_same_content_twice_is_stored_once(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    first = store.put(minimal_pdf())
    modified = store.path_of(first.sha256).stat().st_mtime_ns
    second = store.put(minimal_pdf())
    assert first == second
    assert stored_files(tmp_path) == [store.path_of(first.sha256)]
    assert store.path_of(first.sha256).stat().st_mtime_ns == modified  # not rewritten


def test_concurrent_puts_of_the_same_content_leave_one_intact_file(tmp_path: Path) -> None:
    content = pdf_of_size(256 * 1024)
    store = FileStore(tmp_path)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: store.put(content), range(16)))
    assert len(set(results)) == 1
    sha256 = results[0].sha256
    assert stored_files(tmp_path) == [store.path_of(sha256)]  # no temporary files left behind
    assert store.open(sha256) == content


def test_missing_file(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    sha256 = hashlib.sha256(b"never stored").hexdigest()
    assert not store.exists(sha256)
    with pytest.raises(FileNotFoundError):
        store.open(sha256)


@pytest.mark.parametrize(
    "sha256",
    [
        "../etc/passwd",
        "../../" + "a" * 58,
        "A" * 64,
        hashlib.sha256(b"x").hexdigest().upper(),
        "abc123",
        "a" * 63,
        "a" * 65,
        "a" * 64 + "\n",
        "g" * 64,
        "",
    ],
)
def test_path_of_refuses_anything_but_a_lowercase_digest(tmp_path: Path, sha256: str) -> None:
    store = FileStore(tmp_path)
    with pytest.raises(ValueError):
        store.path_of(sha256)
    with pytest.raises(ValueError):
        store.open(sha256)


@pytest.mark.parametrize("media_type", ["image/jpeg", "image/png", "image/webp"])
def test_images_are_shown_inline(media_type: str) -> None:
    assert download_disposition(media_type, "0" * 64) == "inline"


def test_pdfs_download_under_a_name_derived_from_the_digest() -> None:
    sha256 = hashlib.sha256(minimal_pdf()).hexdigest()
    assert download_disposition("application/pdf", sha256) == f'attachment; filename="evidence-{sha256[:12]}.pdf"'


def test_disposition_refuses_other_types_and_bad_digests() -> None:
    with pytest.raises(ValueError):
        download_disposition("text/html", "0" * 64)
    with pytest.raises(ValueError):
        download_disposition("application/pdf", 'x"; filename="evil.exe')
