"""Every party's words (issue 12 §1): what people typed into action forms, read back from the record.

Each transition's record event holds the words of its action (`cases.workflow.TYPED`), or, where they
belong to a caucus or the notes, a "words" event in that channel right after it (`cases.access.placement`).
Everything here reads events *as the viewer may see them* (`record.as_seen`: sealed events have no data),
so what someone may not read never makes it into a statement: pages, the printable record, the API and
notices all take their words from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cases.tables import Channel
from cases.workflow import ACTIONS, TYPED, WORDS_EVENT

PARTIES = Channel.parties.value


@dataclass
class Statement:
    """One action on the case, by whom and when, with the words the viewer may read."""

    seq: int
    action: str
    at: datetime
    actor: int | None
    actor_name: str | None
    actor_role: str
    channel: str  # where the transition is kept
    data: dict[str, Any]  # the transition as recorded (its words taken out into `words`)
    words: dict[str, str] = field(default_factory=dict)  # typed field → text, only what the viewer may read
    words_channel: str = PARTIES  # where the words are kept (a caucus for a question to one party)

    @property
    def text(self) -> str:
        """The action's one typed text (every action has at most one), or ""."""
        return next(iter(self.words.values()), "")

    @property
    def moved_to(self) -> str | None:
        """The state the action moved the case to, if it changed the state."""
        to = self.data.get("to")
        return to if to and to != self.data.get("from") else None


def statements(events: list[dict[str, Any]]) -> list[Statement]:
    """The actions among `events` (seq order, as the viewer sees them) with their words; words kept apart
    in another channel join their action when the viewer may read that channel too."""
    found: list[Statement] = []
    by_seq: dict[int, Statement] = {}
    for event in events:
        data = event.get("data")
        if data is None:
            continue  # sealed: not for this viewer
        if event["type"] == WORDS_EVENT:
            action = by_seq.get(data.get("of"))
            if action is not None:
                action.words.update(typed_words(action.action, data))
                action.words_channel = event["channel"]
            continue
        if event["type"] not in ACTIONS:
            continue  # filing, messages, evidence: shown where they belong
        statement = Statement(
            seq=event["seq"],
            action=event["type"],
            at=event["at"],
            actor=event["actor"],
            actor_name=event.get("actor_name"),
            actor_role=event["actor_role"],
            channel=event["channel"],
            data=data,
            words=typed_words(event["type"], data),
            words_channel=event["channel"],
        )
        found.append(statement)
        by_seq[statement.seq] = statement
    return found


def typed_words(action: str, data: dict[str, Any]) -> dict[str, str]:
    """The action's typed fields that `data` holds, and are not empty."""
    return {name: data[name] for name in TYPED.get(action, ()) if isinstance(data.get(name), str) and data[name]}


@dataclass(frozen=True)
class InformationRequest:
    """A mediator's question to one party and what became of it."""

    asked: Statement
    answer: Statement | None = None  # provide_info
    lapsed: Statement | None = None  # information_timeout: no answer in time

    @property
    def party(self) -> str:
        return str(self.asked.data.get("party", ""))

    @property
    def question(self) -> str | None:
        """None for a viewer who may not read it (the other party, a mediator who never held the case)."""
        return self.asked.words.get("question")

    @property
    def due_at(self) -> datetime | None:
        due = self.asked.data.get("due_at")
        return datetime.fromisoformat(due) if isinstance(due, str) else None

    @property
    def open(self) -> bool:
        return self.answer is None and self.lapsed is None


@dataclass(frozen=True)
class CaseWords:
    """What was said on one case, as one viewer may read it."""

    statements: list[Statement]

    def latest(self, *actions: str) -> Statement | None:
        return next((s for s in reversed(self.statements) if s.action in actions), None)

    @property
    def information_requests(self) -> list[InformationRequest]:
        requests: list[InformationRequest] = []
        for statement in self.statements:
            if statement.action == "request_info":
                requests.append(InformationRequest(statement))
            elif statement.action in ("provide_info", "information_timeout") and requests and requests[-1].open:
                closing = {"answer" if statement.action == "provide_info" else "lapsed": statement}
                requests[-1] = InformationRequest(requests[-1].asked, **closing)
        return requests

    @property
    def information_request(self) -> InformationRequest | None:
        """The latest request: the open one, or the last answered."""
        requests = self.information_requests
        return requests[-1] if requests else None

    @property
    def fulfilment(self) -> Statement | None:
        """The merchant's latest report that the settlement was carried out, with its proof."""
        return self.latest("mark_fulfilled")

    @property
    def dispute(self) -> Statement | None:
        """The consumer's latest word that the settlement was not carried out, if after the last report."""
        found = self.latest("dispute_fulfilment", "mark_fulfilled")
        return found if found and found.action == "dispute_fulfilment" else None

    @property
    def ending(self) -> Statement | None:
        """The action that brought the case to where it ended (declined, closed, withdrawn, resolved)."""
        last = next((s for s in reversed(self.statements) if s.moved_to), None)
        return last if last and last.moved_to in _ENDS else None

    @property
    def appeal(self) -> Statement | None:
        return self.latest("appeal")

    @property
    def with_words(self) -> list[Statement]:
        return [statement for statement in self.statements if statement.words]


_ENDS = frozenset({"resolved", "unresolved", "declined", "withdrawn"})
