"""In-app notifications and the e-mail outbox (written in the same transaction as the event)."""

from __future__ import annotations

from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from accounts.tables import User
from cases.tables import Deadline


class Notification(Table, tablename="notification"):
    recipient = ForeignKey(references=User, on_delete=OnDelete.cascade)  # indexed with id, and with read_at
    kind = Varchar(length=40)
    link = Varchar(length=200)
    subject_ref = Varchar(length=40)  # the case reference or listing number it is about
    # JSON: the event as its recipient may read it (who did what, their words), told in their language
    details = Text(default="")
    read_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    # Its mail is still to be written: the mail job writes it (notifications.service.write_mails), in the
    # recipient's language and unless they opted out by then; a move's transaction writes the notice alone.
    mail_due = Boolean(default=False)


class OutboxMail(Table, tablename="mail_outbox"):
    """A mail to send. `status`: queued → sending (leased to one process) → sent, or back to queued with
    a later `next_attempt_at` after a failure, or failed once the attempts are used up."""

    notification = ForeignKey(references=Notification, null=True, on_delete=OnDelete.set_null)
    recipient_email = Varchar(length=254)
    language = Varchar(length=10)
    subject = Varchar(length=300)
    text_body = Text()
    html_body = Text()
    status = Varchar(length=20, default="queued", index=True)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(index=True)
    last_error = Text(null=True, default=None)
    sent_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class MailOptOut(Table, tablename="mail_opt_out"):
    """A kind of notice this user does not want by e-mail (they still see it in the inbox)."""

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=40)
    created_at = Timestamptz()


class Reminder(Table, tablename="deadline_reminder"):
    """One reminder per deadline, ever: the unique deadline id makes sending idempotent."""

    deadline = ForeignKey(references=Deadline, unique=True, on_delete=OnDelete.cascade)
    sent_at = Timestamptz()


class DigestSubscription(Table, tablename="mail_digest"):
    """Users (typically merchants with many cases) who get one summary a day instead of single mails."""

    user = ForeignKey(references=User, unique=True, on_delete=OnDelete.cascade)
    last_sent_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
