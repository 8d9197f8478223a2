"""A person's own data, for them to take away (PIPL, DESIGN §11b "Data rights"): `GET /api/v1/me/export`.

Why here: the archive is mostly cases as their viewer sees them, and only `cases` may read cases and also
read accounts (`accord` ← `accounts` ← `cases`: accounts may not import cases, tests/accord/test_modules.py).
So accounts owns the person (profile, consent, closing) and this module owns "what a person may see of
their cases", built from the very functions the case API answers with (`cases.routes`: the case, its
messages, files and record, each filtered by `cases.access` for this viewer), never from the tables
directly. It imports `cases.routes`, which never imports it (no cycle), and brings its own route.

The ZIP (stdlib `zipfile`, built in a thread into a spooled temporary file that moves to disk when large,
then streamed):

    profile.json                               the account: as `GET /api/v1/me` shows it, plus when it was
                                               made, the privacy notice agreed to and when, browser
                                               sessions and API tokens (times and labels, never a secret)
    cases/<reference>.json                     per case: {"case", "messages", "evidence", "record"}, each
                                               exactly as the API shows it to this person
    evidence/<reference>/<id>-<sha256 12>.<ext> the files this person uploaded (not other people's)
    notifications.json                         their notices and mail settings, when the notifications
                                               package is installed (its `personal_data_of_notifications`
                                               service: cases does not import it)

Which cases: a consumer's own, a merchant agent's enterprise's (as `GET /api/v1/cases` lists them); a
mediator's or registrar's are the cases they hold or acted on (not every case a registrar may read: the
export is the person's data, not the service's).
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import IO, Any

from litestar import Response, Router, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.response import Stream

from accord.auth import Viewer
from accord.errors import NotFound
from accord.files import FileStore
from accord.pagination import MAX_LIMIT, window
from accounts.schemas import user_out
from accounts.service import get_user
from accounts.tables import ApiToken, UserSession
from cases import service
from cases.routes import DEPENDENCIES, case_json_of, evidence_out, message_out, record_out
from cases.tables import Case, CaseEvent
from cases.workflow import Context

NOTIFICATIONS_SERVICE = "personal_data_of_notifications"  # a named service of the notifications module
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "application/pdf": "pdf"}
IN_MEMORY = 16 * 1024 * 1024  # an archive larger than this is built on disk
CHUNK = 1024 * 1024


@dataclass
class Archive:
    """What goes into the ZIP: JSON documents by name, and stored files (by hash) by name."""

    documents: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # arcname → sha256


async def own_references(viewer: Viewer) -> list[str]:
    """The references of the viewer's cases, oldest first (see the module's doc for whose they are)."""
    if viewer.has_role("mediator", "admin"):
        acted = CaseEvent.select(CaseEvent.case).where(CaseEvent.actor == viewer.id)
        rows = await Case.select(Case.reference).where((Case.mediator == viewer.id) | Case.id.is_in(acted))
        return sorted(row["reference"] for row in rows)
    references: list[str] = []
    cursor = None
    while True:  # the list `GET /api/v1/cases` pages through: the same cases, whatever decides them
        rows, cursor = await service.list_cases(viewer, window(cursor, MAX_LIMIT))
        references += [row["reference"] for row in rows]
        if cursor is None:
            return sorted(references)


async def profile(viewer: Viewer, clock_now: Any) -> dict[str, Any]:
    user = await get_user(viewer.id)
    sessions = await UserSession.select(UserSession.id, UserSession.created_at, UserSession.last_seen_at).where(
        UserSession.user == viewer.id
    )
    tokens = await ApiToken.select(
        ApiToken.id, ApiToken.label, ApiToken.created_at, ApiToken.last_used_at, ApiToken.revoked_at
    ).where(ApiToken.user == viewer.id)
    return {
        "exported_at": clock_now.isoformat(),
        "user": user_out(user).model_dump(mode="json"),
        "created_at": user["created_at"].isoformat(),
        "consent": {
            "privacy_notice_version": user["consent_version"],
            "at": user["consent_at"].isoformat() if user["consent_at"] else None,
        },
        "sessions": [
            {
                "created_at": row["created_at"].isoformat(),
                "last_seen_at": row["last_seen_at"].isoformat(),
                "this_one": viewer.credential == "session" and viewer.credential_id == row["id"],
            }
            for row in sorted(sessions, key=lambda row: row["id"])
        ],
        "api_tokens": [
            {
                "label": row["label"],
                "created_at": row["created_at"].isoformat(),
                "last_used_at": row["last_used_at"].isoformat() if row["last_used_at"] else None,
                "revoked_at": row["revoked_at"].isoformat() if row["revoked_at"] else None,
                "this_one": viewer.credential == "token" and viewer.credential_id == row["id"],
            }
            for row in sorted(tokens, key=lambda row: row["id"])
        ],
    }


async def _all_messages(case: dict[str, Any], related: frozenset[str]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while True:
        page = await service.messages_in(case, related, found[-1]["seq"] if found else 0)
        found += page
        if len(page) < service.MESSAGES_SHOWN:
            return found


async def case_document(viewer: Viewer, reference: str, context: Context, archive: Archive) -> None:
    """One case as the API shows it to the viewer, and the files of it the viewer uploaded."""
    view = await service.case_view(viewer, reference, context)  # NotFound unless they may see it
    case, related = view.case, view.related
    evidence = await service.evidence_in(case, related)
    archive.documents[f"cases/{reference}.json"] = {
        "case": (await case_json_of(viewer, view)).model_dump(mode="json"),
        "messages": [message_out(row).model_dump(mode="json") for row in await _all_messages(case, related)],
        "evidence": [evidence_out(row).model_dump(mode="json") for row in evidence],
        "record": record_out(*await service.case_record(viewer, reference)).model_dump(mode="json"),
    }
    for row in evidence:
        if row["uploaded_by"] == viewer.id:
            extension = EXTENSIONS.get(row["media_type"], "bin")
            archive.files[f"evidence/{reference}/{row['id']}-{row['sha256'][:12]}.{extension}"] = row["sha256"]


async def gather(viewer: Viewer, context: Context, state: State | None = None) -> Archive:
    archive = Archive()
    archive.documents["profile.json"] = await profile(viewer, context.clock.now())
    if state is not None and (notifications := state.get(NOTIFICATIONS_SERVICE)):
        archive.documents["notifications.json"] = await notifications(viewer)
    for reference in await own_references(viewer):
        try:
            await case_document(viewer, reference, context, archive)
        except NotFound:  # acted on it once, may no longer see it (e.g. an agent who left the enterprise)
            continue
    return archive


def write_zip(archive: Archive, store: FileStore) -> IO[bytes]:
    """The archive as a ZIP in a spooled temporary file (rewound); runs in a thread. A stored file gone
    from disk is named in `missing_files.json` rather than failing the whole export."""
    spool = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY)  # noqa: SIM115 - closed by the stream
    missing = []
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        for name, document in archive.documents.items():
            zipped.writestr(name, json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True))
        for name, sha256 in archive.files.items():
            try:
                content = store.open(sha256)
            except FileNotFoundError:
                missing.append(name)
                continue
            zipped.writestr(name, content, compress_type=zipfile.ZIP_STORED)  # images and PDFs: compressed already
        if missing:
            zipped.writestr("missing_files.json", json.dumps(missing, indent=2))
    spool.seek(0)
    return spool


async def _chunks(spool: IO[bytes]) -> AsyncIterator[bytes]:
    try:
        while chunk := await asyncio.to_thread(spool.read, CHUNK):
            yield chunk
    finally:
        spool.close()


@get(
    "/me/export",
    summary="Download your data: a ZIP of your profile, your cases as you see them and the files you uploaded",
    description="`profile.json`, `cases/<reference>.json` (`{case, messages, evidence, record}`, each as this API "
    "shows them to you), `evidence/<reference>/<id>-<sha256 prefix>.<ext>` (the files you uploaded) and "
    "`notifications.json` (your notices and mail settings). Signed in "
    "by token or by the browser session.",
)
async def api_export(
    viewer: NamedDependency[Viewer],
    context: NamedDependency[Context],
    store: NamedDependency[FileStore],
    state: State,
) -> Response[bytes]:
    archive = await gather(viewer, context, state)
    spool = await asyncio.to_thread(write_zip, archive, store)
    stamp = context.clock.now().strftime("%Y%m%d")
    return Stream(  # type: ignore[return-value]  # a stream of the ZIP's bytes, documented as the file
        _chunks(spool),
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="accord-data-{viewer.id}-{stamp}.zip"',
            "Cache-Control": "no-store",
        },
    )


export_router = Router(path="/api/v1", route_handlers=[api_export], dependencies=DEPENDENCIES, tags=["accounts"])
