"""Who hears about what: domain events become inbox items and queued mails, in the event's transaction.

`cases` and `integrity` never import this package; they emit events through `accord.events`, and the
rules below (data, not branches) say which kind of notice each event is and who receives it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

from markupsafe import escape

from accord import events, i18n
from accord.auth import UnreadBadge, Viewer
from accord.clock import SystemClock
from accord.db import Prepared, contains_text, insert_rows, rows_for_ids, write_transaction
from accord.i18n import N_, register_labels
from accord.i18n import gettext as _
from accord.live import is_viewing
from accord.modules import Subscription
from accord.pagination import ID, Window, page_of
from accord.settings import Settings
from accounts import recovery
from accounts.service import CLOSED
from accounts.tables import User
from cases import access, story
from cases.tables import Case
from cases.workflow import ASKED, CONSUMER, FILING, MEDIATOR, MERCHANTS, OTHER_PARTY, PERSON, SPECS, TYPED, terms_from
from integrity.tables import Listing
from notifications.mailer import outbox_mail
from notifications.tables import DigestSubscription, MailOptOut, Notification, OutboxMail


@dataclass(frozen=True)
class Rule:
    kind: str
    recipients: tuple[str, ...]
    email: bool = True


# (action or "to:<state>") → what it is and who is told: each action's by its spec (cases/workflow.py `notice`,
# `tells`); a case reaching a state by any action; a message.
CASE_RULES: dict[str, Rule] = {
    **{action: Rule(spec.notice, spec.tells) for action, spec in SPECS.items() if spec.notice},
    "to:settled": Rule("settled", (CONSUMER, MERCHANTS)),
    "to:resolved": Rule("resolved", (CONSUMER, MERCHANTS)),
    "message": Rule("new_message", (), email=False),  # recipients: whoever may read the channel
}
# A platform answers for the merchants selling on it (issue 17): its approved agents hear when a case naming
# the platform stalls, by what happened ("<action>" or "to:<state>") → the kind of notice they get.
PLATFORM_RULES: dict[str, Rule] = {
    "response_timeout": Rule("platform_merchant_silent", ()),  # the merchant never answered in time
    "to:breached": Rule("platform_settlement_breached", ()),  # a settlement was not kept
}
# What a case notice needs of its case, when the event does not carry the case (`DomainEvent.subject`).
NOTICE_CASE_COLUMNS = (
    Case.consumer,
    Case.enterprise,
    Case.mediator,
    Case.reference,
    Case.platform_enterprise,
    Case.enterprise.name.as_alias("enterprise_name"),
)
register_labels(
    "notification",
    {
        "case_filed": N_("A complaint was filed against your enterprise"),
        "merchant_responded": N_("The merchant answered your complaint"),
        "new_offer": N_("You have a new offer"),
        "mediation_requested": N_("The case goes to mediation"),
        "case_claimed": N_("A mediator took on the case"),
        "case_admitted": N_("The case was admitted for mediation"),
        "case_declined": N_("The case was declined"),
        "info_requested": N_("The mediator asks you for information"),
        "info_provided": N_("A party answered your question"),
        "proposal_posted": N_("The mediator proposed a settlement"),
        "settled": N_("The case is settled"),
        "fulfilment_marked": N_("The merchant reports the settlement as carried out"),
        "fulfilment_disputed": N_("The consumer says the settlement was not carried out"),
        "breached": N_("The settlement was not carried out in time"),
        "resolved": N_("The case is resolved"),
        "appealed": N_("The consumer appealed"),
        "advance_compensated": N_("The platform compensated the consumer in advance"),
        "compensation_disputed": N_("The consumer says the platform's payment did not arrive"),
        "offer_rejected": N_("Your offer was rejected"),
        "case_withdrawn": N_("The consumer withdrew the complaint"),
        "proposal_rejected": N_("A party rejected the settlement proposal"),
        "case_unresolved": N_("The case was closed without agreement"),
        "case_rated": N_("The consumer rated the service"),
        "new_message": N_("New message"),
        "platform_merchant_silent": N_("A merchant on your platform did not answer a complaint in time"),
        "platform_settlement_breached": N_("A merchant on your platform did not keep a settlement"),
        "registry_notice": N_("Your enterprise has been notified of a proposed registry listing"),
        "agent_approved": N_("You may now act for your enterprise"),
        "agent_rejected": N_("Your request to act for an enterprise was not approved"),
    },
)
register_labels(
    "mail_status",
    {"all": N_("All"), "queued": N_("queued"), "sending": N_("sending"), "sent": N_("sent"), "failed": N_("failed")},
)


# Who may be told (active people: `one`, `other` and, with `agents_of`, the agents who speak for that enterprise;
# one still waiting for approval hears nothing of its cases), with what a notice needs; `agent`: an agent of
# `agents_of`. Whether they take its mail is asked when the mail is written (`write_mails`).
PEOPLE = Prepared(
    "SELECT u.id, u.email, u.language, u.timezone, u.display_name,"
    " (u.enterprise = {agents_of} AND u.role = 'merchant' AND u.agent_status = 'approved') AS agent"
    " FROM users u WHERE u.active = {active} AND (u.id IN ({one}, {other}) OR (u.enterprise = {agents_of}"
    " AND u.role = 'merchant' AND u.agent_status = 'approved')) ORDER BY u.id"
)


async def _people(one: int | None, other: int | None = None, agents_of: int | None = None) -> list[dict[str, Any]]:
    """Those `PEOPLE` finds (nobody, without asking, when no one is named)."""
    if one is None and other is None and agents_of is None:
        return []
    rows = await PEOPLE.rows(one=one, other=other, agents_of=agents_of, active=True)
    return [{**row, "agent": bool(row["agent"])} for row in rows]


def _agents(people: list[dict[str, Any]]) -> set[int]:
    return {person["id"] for person in people if person["agent"]}


def _tells_agents(case: dict[str, Any], rule: Rule, data: dict[str, Any]) -> bool:
    """Whether `rule` tells the enterprise's agents of this event (as `_case_recipients` picks them)."""
    by_consumer = data.get("actor") == case["consumer"]
    return any(
        who == MERCHANTS or (who == OTHER_PARTY and by_consumer) or (who == ASKED and data.get("party") != "consumer")
        for who in rule.recipients
    )


async def _case_people(case: dict[str, Any], rule: Rule, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Those a case event's notice may tell, with what telling them needs: as the move read them with the case
    when it did (a filing: the merchant's agents, cases.filing; a move: the consumer, the mediator and the
    agents, cases.workflow.locked_case), else read now."""
    tells_agents, agents = _tells_agents(case, rule, data), case.get("agents")
    if tells_agents and agents is not None and (set(rule.recipients) == {MERCHANTS} or case.get("people") is not None):
        return _together(case.get("people") or [], agents)
    if not tells_agents and case.get("people") is not None:
        return [{**person, "agent": False} for person in case["people"]]
    return await _people(case["consumer"], case["mediator"], case["enterprise"] if tells_agents else None)


async def _case_recipients(case: dict[str, Any], rule: Rule, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Those `rule` tells of a case event (never its actor), read with what telling them needs."""
    people = await _case_people(case, rule, data)
    agents = _agents(people)
    found: set[int] = set()
    actor = data.get("actor")
    for who in rule.recipients:
        if who == CONSUMER:
            found.add(case["consumer"])
        elif who == MERCHANTS:
            found.update(agents)
        elif who == MEDIATOR and case["mediator"]:
            found.add(case["mediator"])
        elif who == OTHER_PARTY:
            found.update(agents if actor == case["consumer"] else [case["consumer"]])
        elif who == ASKED:
            found.update([case["consumer"]] if data.get("party") == "consumer" else agents)
    found.discard(actor)
    return [person for person in people if person["id"] in found]


async def _message_recipients(case: dict[str, Any], channel: str, author: int) -> list[dict[str, Any]]:
    """Everyone who may read the channel, except its author (mediators only for the notes): as the message read
    them with its case (cases.service.post_message), else read now."""
    consumer = case["consumer"] if channel in ("joint", "caucus:consumer") else None
    agents_of = case["enterprise"] if channel in ("joint", "caucus:merchant") else None
    if case.get("people") is not None and case.get("agents") is not None:
        named = {consumer, case["mediator"]} - {None}
        people = _together(
            [person for person in case["people"] if person["id"] in named], case["agents"] if agents_of else []
        )
    else:
        people = await _people(consumer, case["mediator"], agents_of)
    return [person for person in people if person["id"] != author]


def _together(people: list[dict[str, Any]], agents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """People and agents a move or message read with its case, as `_people` has them (by id, agents marked)."""
    told = [{**person, "agent": False} for person in people] + [{**agent, "agent": True} for agent in agents]
    return sorted(told, key=itemgetter("id"))


async def tell(
    settings: Settings,
    people: list[dict[str, Any]],
    kind: str,
    link: str,
    subject_ref: str,
    at: datetime,
    email: bool,
    told: Mapping[int, dict[str, Any] | None] | None = None,
) -> None:
    """Inbox items for `people` (rows of `_people`) inside the caller's transaction, in one statement; with
    `email`, each asks for its mail, which the mail job writes (`write_mails`). `told`: per recipient, the
    event as they may read it (`told_to`), which their notice tells in words."""
    if not people:
        return
    details = {person["id"]: (told or {}).get(person["id"]) for person in people}
    notices = [
        {
            "recipient": person["id"],
            "kind": kind,
            "link": link,
            "subject_ref": subject_ref,
            "details": json.dumps(details[person["id"]], ensure_ascii=False) if details[person["id"]] else "",
            "created_at": at,
            "mail_due": email and bool(person["email"]),
        }
        for person in people
    ]
    await insert_rows(Notification, notices)
    await events.emit(events.DomainEvent("notifications.created", None, {"recipients": [p["id"] for p in people]}))


# The notices whose mails are due, oldest first (only those are in the partial index notification_mail_due), with
# their recipient as they are now; `no_mail`: they take no single mail of the notice's kind (opted out of it, or
# the daily digest instead). Locked for one writer on PostgreSQL: the server's job and `accord sweep` may write
# at once, and each writes other mails.
MAILS_DUE = Prepared(
    "SELECT n.id, n.kind, n.link, n.subject_ref, n.details, n.created_at, u.id AS person, u.email, u.language,"
    " u.timezone, u.display_name, u.active,"
    ' (EXISTS (SELECT 1 FROM mail_opt_out o WHERE o."user" = u.id AND o.kind = n.kind)'
    ' OR EXISTS (SELECT 1 FROM mail_digest d WHERE d."user" = u.id)) AS no_mail'
    " FROM notification n JOIN users u ON u.id = n.recipient WHERE n.mail_due ORDER BY n.id LIMIT {limit}",
    lock="FOR UPDATE OF n SKIP LOCKED",
)
MAILS_WRITTEN = "UPDATE notification SET mail_due = false WHERE id IN ({ids})"


def _mail_of_notice(settings: Settings, notice: dict[str, Any]) -> dict[str, Any]:
    """A due notice's mail (a row of MAILS_DUE), as `tell` would have written it then."""
    person = {"id": notice["person"], **{name: notice[name] for name in PERSON}}
    details = json.loads(notice["details"]) if notice["details"] else None
    where = (notice["kind"], notice["link"], notice["subject_ref"], notice["created_at"])
    return _mail(settings, person, notice["id"], *where, details)


async def write_mails(settings: Settings, batch: int = 200) -> int:
    """The mails the notices asked for, batch after batch (a write transaction each): in each recipient's
    language as they are now, to those still active, with an address, who still take that mail. How many it
    wrote; every due notice's mail is then written or given up."""
    written = 0
    while True:
        async with write_transaction():
            due = await MAILS_DUE.rows(limit=batch)
            if not due:
                return written
            taken = [notice for notice in due if notice["active"] and notice["email"] and not notice["no_mail"]]
            await insert_rows(OutboxMail, [_mail_of_notice(settings, notice) for notice in taken])
            await rows_for_ids(MAILS_WRITTEN, [notice["id"] for notice in due])
        written += len(taken)
        if len(due) < batch:
            return written


def _mail(
    settings: Settings,
    person: dict[str, Any],
    notification_id: int,
    kind: str,
    link: str,
    subject_ref: str,
    at: datetime,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    token = unsubscribe_token(settings, person["id"], kind)
    unsubscribe = f"{settings.base_url}/unsubscribe?u={person['id']}&k={kind}&t={token}"

    def content() -> tuple[str, dict[str, Any]]:
        title = i18n.label("notification", kind)
        context = {
            "title": title,
            "name": person["display_name"],
            "url": settings.base_url + link,
            "ref": subject_ref,
            "unsubscribe": unsubscribe,
            "about_account": kind in ACCOUNT_KINDS,
            "line": notice_line(details, settings),  # what happened, in words, with what was said
        }
        return f"[{subject_ref}] {title}", context

    return outbox_mail(settings, person, "notifications/mail", content, at, notification_id)


def subscribers(settings: Settings) -> list[Subscription]:
    """Transaction phase: notices commit or roll back with the change they announce."""

    async def on_event(event: events.DomainEvent) -> None:
        if event.kind.startswith("case.") and event.case_id is not None:
            await _on_case_event(settings, event)
        elif event.kind == "registry.transition" and event.data.get("action") == "notice":
            await _on_registry_notice(settings, event)
        elif event.kind == "accounts.agent_decided":
            await _on_agent_decided(settings, event)
        elif event.kind == recovery.RESET_REQUESTED:
            await _on_password_reset(settings, event)
        elif event.kind == CLOSED:
            await _on_account_closed(event)

    return [Subscription(on_event)]


async def _on_case_event(settings: Settings, event: events.DomainEvent) -> None:
    if event.subject is not None:  # the case as the move's transaction holds it
        case = event.subject
    elif "parties" in event.data:
        case = {**event.data["parties"], "reference": event.data["reference"]}
    else:
        case = await Case.select(*NOTICE_CASE_COLUMNS).where(Case.id == event.case_id).first()
    if case is None:
        return
    at = datetime.fromisoformat(event.data["at"]) if "at" in event.data else SystemClock().now()
    link = f"/cases/{case['reference']}"
    told: dict[int, dict[str, Any] | None] = {}  # per recipient, the event as they may read it
    if event.kind == "case.message":
        rule = CASE_RULES["message"]
        readers = await _message_recipients(case, event.data["channel"], event.data["author"])
        recipients = [reader for reader in readers if not is_viewing(reader["id"], link)]  # they see it already
    else:
        action = FILING[1] if event.kind == "case.filed" else event.data.get("action", "")
        await _tell_platform(settings, case, action, event.data, link, at)
        rule = CASE_RULES.get(action) or CASE_RULES.get(f"to:{event.data.get('to')}")
        if rule is None:
            return
        recipients = await _case_recipients(case, rule, event.data)
        enterprise = case.get("enterprise_name")
        told = {person["id"]: told_to(_parts_of(case, person["id"]), event.data, enterprise) for person in recipients}
    await tell(settings, recipients, rule.kind, link, case["reference"], at, rule.email, told)


async def _tell_platform(
    settings: Settings, case: dict[str, Any], action: str, data: dict[str, Any], link: str, at: datetime
) -> None:
    """The platform a case names hears when it stalls (PLATFORM_RULES): an inbox item and a mail for each of
    its approved agents, telling the event as the platform may read it (never a caucus's words)."""
    rule = PLATFORM_RULES.get(action) or PLATFORM_RULES.get(f"to:{data.get('to')}")
    if rule is None or not case.get("platform_enterprise"):
        return
    agents = await _people(None, agents_of=case["platform_enterprise"])
    agents = [agent for agent in agents if agent["id"] != data.get("actor")]
    seen_as = frozenset({access.PLATFORM})
    told = {agent["id"]: told_to(seen_as, data, case.get("enterprise_name")) for agent in agents}
    await tell(settings, agents, rule.kind, link, case["reference"], at, rule.email, told)


async def _on_account_closed(event: events.DomainEvent) -> None:
    """Someone closed their account: no mail goes to them any more (what waits in the outbox for their
    address is deleted, their digest ends), and the notices others keep, which copied their name when they
    acted, name them by their pseudonym, as do the mails to others not sent yet (sent ones are gone)."""
    user, pseudonym, name = event.data["user"], event.data["display_name"], event.data["name"]
    await OutboxMail.delete().where(OutboxMail.recipient_email == event.data["email"])
    unsent = await OutboxMail.select(
        OutboxMail.id, OutboxMail.subject, OutboxMail.text_body, OutboxMail.html_body
    ).where(OutboxMail.status.is_in(["queued", "failed"]), contains_text('"mail_outbox"."text_body"', name))
    for mail in unsent:
        await OutboxMail.update(
            {
                OutboxMail.subject: mail["subject"].replace(name, pseudonym),
                OutboxMail.text_body: mail["text_body"].replace(name, pseudonym),
                OutboxMail.html_body: mail["html_body"].replace(str(escape(name)), str(escape(pseudonym))),
            }
        ).where(OutboxMail.id == mail["id"])
    await DigestSubscription.delete().where(DigestSubscription.user == user)
    await MailOptOut.delete().where(MailOptOut.user == user)
    # Notices store the event as told (`told_to`), with the actor's id and name at the time.
    telling = await Notification.select(Notification.id, Notification.details).where(
        Notification.details.like(f'%"actor": {int(user)},%')
    )
    for row in telling:
        details = json.loads(row["details"])
        if details.get("actor") == user:
            details["actor_name"] = pseudonym
            renamed = json.dumps(details, ensure_ascii=False)
            await Notification.update({Notification.details: renamed}).where(Notification.id == row["id"])


def _parts_of(case: dict[str, Any], person: int) -> frozenset[str]:
    """A case notice's recipient's relations to the case (cases.access): its consumer, its mediator (who is
    also one of the mediators) or an agent of its enterprise."""
    if person == case["consumer"]:
        return frozenset({access.CONSUMER})
    if person == case["mediator"]:
        return frozenset({access.MEDIATOR, access.ANY_MEDIATOR})
    return frozenset({access.MERCHANT})


# What a transition's event data carries besides the transition itself (bookkeeping, who and where).
_NOT_TOLD = frozenset({"reference", "seq", "at", "actor", "actor_name", "actor_role", "channel", "words_channel"})


def told_to(parts: frozenset[str], data: dict[str, Any], enterprise: str | None) -> dict[str, Any] | None:
    """A transition (a `case.transition` event's data) as someone with these parts in the case may read it:
    nothing if its record event is in a channel they cannot read, and without its words if those are
    kept in one (cases.access.placement). Stored with their notice, told in their language."""
    readable = access.readable_channels(parts)
    if "action" not in data or data.get("channel", "parties") not in readable:
        return None
    kept = {key: value for key, value in data.items() if key not in _NOT_TOLD}
    if data.get("words_channel", "parties") not in readable:
        for name in TYPED.get(data["action"], ()):
            kept.pop(name, None)
    return {
        "type": data["action"],
        "at": data["at"],
        "actor": data.get("actor"),
        "actor_name": data.get("actor_name"),
        "actor_role": data.get("actor_role", "system"),
        "enterprise": enterprise,
        "words_channel": data.get("words_channel", "parties"),
        "data": kept,
    }


def notice_line(details: str | dict[str, Any] | None, settings: Settings) -> story.Line | None:
    """What a notice's event was, in words, in the language of the moment (a page's or a mail's)."""
    told = json.loads(details) if isinstance(details, str) and details else details
    if not told:
        return None
    setting = story.Setting(
        enterprise=told.get("enterprise"),
        terms=terms_from(settings.deadline_overrides),
        zone=i18n.shown_zone(settings.timezone),  # type: ignore[arg-type]  # the reader's (page or mail)
    )
    return story.retold(told, setting)


async def _on_registry_notice(settings: Settings, event: events.DomainEvent) -> None:
    listing = await Listing.select(Listing.enterprise).where(Listing.id == event.data["listing"]).first()
    if listing is None:
        return
    agents = await _people(None, agents_of=listing["enterprise"])
    at = datetime.fromisoformat(event.data["at"]) if "at" in event.data else SystemClock().now()
    await tell(
        settings,
        agents,
        "registry_notice",
        f"/registry/{event.data['listing']}",
        f"L-{event.data['listing']}",
        at,
        True,
    )


async def _on_agent_decided(settings: Settings, event: events.DomainEvent) -> None:
    """A registrar decided on a waiting merchant agent: tell them (their waiting page has the details)."""
    kind = f"agent_{event.data['status']}"
    at = datetime.fromisoformat(event.data["at"])
    await tell(settings, await _people(event.data["user"]), kind, "/agency", "Accord", at, True)


async def _on_password_reset(settings: Settings, event: events.DomainEvent) -> None:
    """Mail the link someone asked for to set a new password (no inbox item: they are not signed in)."""
    person = (
        await User.select(User.id, User.email, User.language, User.timezone, User.display_name)
        .where(User.id == event.data["user"])
        .first()
    )
    if person is None:
        return
    link = settings.base_url + recovery.link_path(event.data["token"])

    def content() -> tuple[str, dict[str, Any]]:
        expires_at = datetime.fromisoformat(event.data["expires_at"])
        context = {"name": person["display_name"], "url": link, "expires_at": expires_at}
        return _("Accord: set a new password"), context

    at = datetime.fromisoformat(event.data["at"])
    await insert_rows(OutboxMail, [outbox_mail(settings, person, "notifications/password_reset", content, at)])


# --- the inbox -----------------------------------------------------------------------------------


async def inbox(viewer: Viewer, window: Window) -> tuple[list[dict[str, Any]], str | None]:
    return page_of(await inbox_query(viewer, window), window.limit, key=lambda row: [row["id"]])


def inbox_query(viewer: Viewer, window: Window) -> Any:
    """A page of the viewer's notices, newest first (index notification_inbox: recipient, id)."""
    query = Notification.select().where(Notification.recipient == viewer.id)
    if window.after:
        query = query.where(Notification.id < window.keys(ID)[0])
    return query.order_by(Notification.id, ascending=False).limit(window.limit + 1)


async def personal_data(viewer: Viewer) -> dict[str, Any]:
    """What the notifications package keeps about the viewer, for their data export (cases/export.py reads
    it as the `personal_data_of_notifications` service): every notice to them, as told to them, and their
    mail settings."""
    notices = await Notification.select().where(Notification.recipient == viewer.id).order_by(Notification.id)
    digest = await DigestSubscription.select(DigestSubscription.created_at).where(DigestSubscription.user == viewer.id)
    return {
        "notifications": [
            {
                "kind": row["kind"],
                "link": row["link"],
                "about": row["subject_ref"],
                "details": json.loads(row["details"]) if row["details"] else None,
                "created_at": row["created_at"].isoformat(),
                "read_at": row["read_at"].isoformat() if row["read_at"] else None,
            }
            for row in notices
        ],
        "mail": {"kinds": await mail_choices(viewer.id), "daily_digest": bool(digest)},
    }


async def unread_count(viewer: Viewer) -> int:
    return await unread_count_query(viewer)


def unread_count_query(viewer: Viewer) -> Any:
    """The unread badge: counted in the index of notices by (recipient, read_at) (notification_unread)."""
    return Notification.count().where(Notification.recipient == viewer.id, Notification.read_at.is_null())


# The badge's counts as columns of the statement that finds the viewer (accord.auth.UnreadBadge), from the index
# notification_unread (recipient, read_at, link) alone.
UNREAD_COUNTS = (
    "(SELECT COUNT(*) FROM notification WHERE recipient = viewer.id AND read_at IS NULL) AS unread,"
    " (SELECT COUNT(*) FROM notification WHERE recipient = viewer.id AND read_at IS NULL AND link = {link}) AS here"
)


# The same counts for a viewer found without them (a bearer token's).
UNREAD_ON_PAGE = Prepared("SELECT " + UNREAD_COUNTS + " FROM users viewer WHERE viewer.id = {viewer_id}")


async def unread_counts(viewer: Viewer, link: str) -> dict[str, int]:
    """The badge's counts on their own (for a viewer found without them)."""
    counts = await UNREAD_ON_PAGE.first(viewer_id=viewer.id, link=link)
    assert counts is not None  # the viewer is a user
    return {"unread": int(counts["unread"]), "here": int(counts["here"])}


async def unread_shown(viewer: Viewer, link: str, at: datetime, counts: Mapping[str, int]) -> int:
    """The unread count a page's header shows, once the viewer's notices that lead to this very page are
    read: opening a case reads that case's notices (a waiting agent's page, a listing's, likewise). A write
    only when there is something to mark."""
    if counts["here"]:
        async with write_transaction():
            await Notification.update({Notification.read_at: at}).where(
                Notification.recipient == viewer.id, Notification.read_at.is_null(), Notification.link == link
            )
    return int(counts["unread"]) - int(counts["here"])


UNREAD_BADGE = UnreadBadge(counts=UNREAD_COUNTS, count=unread_counts, shown=unread_shown)


async def mark_read(viewer: Viewer, up_to_id: int | None, at: datetime) -> int:
    """Mark the viewer's notifications read (all, or up to and including an id); returns how many."""
    query = Notification.update({Notification.read_at: at}).where(
        Notification.recipient == viewer.id, Notification.read_at.is_null()
    )
    if up_to_id is not None:
        query = query.where(Notification.id <= up_to_id)
    async with write_transaction():
        changed = await query.returning(Notification.id)
    return len(changed)


# --- mail preferences ----------------------------------------------------------------------------

# Decisions on an agent's own request are mailed too (they wait for them), but are no case business.
ACCOUNT_KINDS = ("agent_approved", "agent_rejected")
PLATFORM_KINDS = tuple(rule.kind for rule in PLATFORM_RULES.values())
MAIL_KINDS = tuple(
    sorted(
        {rule.kind for rule in CASE_RULES.values() if rule.email} | {"registry_notice", *ACCOUNT_KINDS, *PLATFORM_KINDS}
    )
)
# Who a rule's recipients can be, by role (a registrar is never one).
_ROLES_OF = {
    CONSUMER: ("consumer",),
    MERCHANTS: ("merchant",),
    MEDIATOR: ("mediator",),
    OTHER_PARTY: ("consumer", "merchant"),
    ASKED: ("consumer", "merchant"),
}


def mail_kinds_for(role: str, platform: bool = False) -> tuple[str, ...]:
    """The kinds of mail that can reach someone in `role` (`platform`: an agent of a platform), in the order a
    case meets them: the only ones their mail settings offer."""
    kinds = [rule.kind for rule in CASE_RULES.values() if rule.email and _reaches(rule, role)]
    if role == "merchant":  # listings of their enterprise, and the decision on their own request
        kinds += ["registry_notice", *ACCOUNT_KINDS]
    if role == "merchant" and platform:  # the cases naming their platform that stall
        kinds += list(PLATFORM_KINDS)
    return tuple(dict.fromkeys(kinds))


def _reaches(rule: Rule, role: str) -> bool:
    return any(role in _ROLES_OF[who] for who in rule.recipients)


def unsubscribe_token(settings: Settings, user_id: int, kind: str) -> str:
    """A signed token for one-click unsubscribe from one kind of mail (no sign-in needed)."""
    return hmac.new(settings.secret_key.encode(), f"unsubscribe:{user_id}:{kind}".encode(), hashlib.sha256).hexdigest()


def token_valid(settings: Settings, user_id: int, kind: str, token: str) -> bool:
    return kind in MAIL_KINDS and hmac.compare_digest(unsubscribe_token(settings, user_id, kind), token)


async def mail_choices(user_id: int, kinds: tuple[str, ...] = MAIL_KINDS) -> dict[str, bool]:
    """For each of these kinds of mail: does the user get it?"""
    off = {row["kind"] for row in await MailOptOut.select(MailOptOut.kind).where(MailOptOut.user == user_id)}
    return {kind: kind not in off for kind in kinds}


async def set_mail_choices(user_id: int, wanted: set[str], at: datetime, offered: tuple[str, ...] = MAIL_KINDS) -> None:
    """The user gets the `offered` kinds of mail they want, and not the others; choices on kinds not
    offered (another role's) stay as they were."""
    if not offered:
        return
    async with write_transaction():
        await MailOptOut.delete().where(MailOptOut.user == user_id, MailOptOut.kind.is_in(list(offered)))
        refused = [kind for kind in offered if kind not in wanted]
        if refused:
            await MailOptOut.insert(*(MailOptOut(user=user_id, kind=kind, created_at=at) for kind in refused))


async def unsubscribe(user_id: int, kind: str, at: datetime) -> None:
    async with write_transaction():
        if not await MailOptOut.exists().where(MailOptOut.user == user_id, MailOptOut.kind == kind):
            await MailOptOut.insert(MailOptOut(user=user_id, kind=kind, created_at=at))


async def outbox(status: str | None, limit: int = 200) -> list[dict[str, Any]]:
    """Recent mails for registrars: where each one stands, and why it failed."""
    query = OutboxMail.select(
        OutboxMail.id,
        OutboxMail.recipient_email,
        OutboxMail.subject,
        OutboxMail.status,
        OutboxMail.attempts,
        OutboxMail.next_attempt_at,
        OutboxMail.last_error,
        OutboxMail.sent_at,
        OutboxMail.created_at,
    )
    if status:
        query = query.where(OutboxMail.status == status)
    return await query.order_by(OutboxMail.id, ascending=False).limit(limit)
