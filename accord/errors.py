"""Domain errors raised by services. They carry no HTTP; `accord.web` maps them to responses."""

from __future__ import annotations

from dataclasses import dataclass

from accord.i18n import gettext as _


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class DomainError(Exception):
    """Base class: `detail` is a human sentence, already in the viewer's language."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidInput(DomainError):
    """One or more fields are wrong; nothing was stored."""

    def __init__(self, errors: list[FieldError], detail: str | None = None) -> None:
        super().__init__(detail or _("Some fields need your attention."))
        self.errors = errors

    @classmethod
    def one(cls, field: str, message: str) -> InvalidInput:
        return cls([FieldError(field, message)])


class NotAuthenticated(DomainError):
    """No valid credentials were given."""


class Forbidden(DomainError):
    """The actor's role may never do this."""


class NotFound(DomainError):
    """Unknown, or invisible to this actor (existence must not leak)."""


class Conflict(DomainError):
    """Wrong state or stale version.

    `detail` names the current state and version for API clients; `reason` is only why it was refused, in
    words, for pages, which explain the change in their own words (no state codes or version numbers).
    """

    def __init__(self, detail: str, reason: str | None = None) -> None:
        super().__init__(detail)
        self.reason = reason or detail


class UnsupportedMedia(DomainError):
    """Content of a type we do not accept (sniffed, not trusted from the name)."""


class TooLarge(DomainError):
    """More bytes than allowed."""


class RateLimited(DomainError):
    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
