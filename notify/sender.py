"""Sending the outbox by SMTP, after the commit and outside any request: `flask notify send` (cron or a
systemd timer) and, in the site, a short-lived thread started after a commit that wrote notifications.

Nothing lost, nothing doubled:
- a sender first claims a batch (pending -> claimed, with its own id), so two senders never take one row;
- before each SMTP transaction the row is marked "sending" and committed; after the server's 250 it is
  marked "sent" (in the same commit as the next row's "sending");
- a sender killed with kill -9 leaves its claimed rows (never tried: they go back to pending) and at most
  one "sending" row, which may or may not have arrived: it is not sent again (no message twice) but shown
  to admins as failed, who can send it again;
- a server that is down or answers 4xx: the rows are tried again later, waiting twice as long each time;
  a 5xx refusal (e.g. an unknown recipient) or too many attempts is a permanent failure, shown to admins.
Retries reuse the Message-ID, which is made from the notifications a message carries."""
import os
import smtplib
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update

from core.db import db, first_line, unreachable, utcnow
from notify import reminders
from notify.mail import compose
from notify.models import Notification

BATCH = 200
HOST = socket.gethostname()[:60]


@dataclass
class Report:
    reminders: int = 0
    sent: int = 0
    digests: int = 0
    retried: int = 0
    failed: int = 0
    recovered: int = 0
    in_doubt: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)


class ServerDown(Exception):
    """The SMTP server could not be reached or dropped the connection: try the rest later."""


def _settings(name: str):
    return current_app.config[name]


# ---- claims and their recovery --------------------------------------------------------------------

def _token() -> str:
    return f"{HOST}:{os.getpid()}:{threading.get_ident() % 100000}:{time.monotonic_ns() % 10**9}"


def _claimer_gone(token: str) -> bool:
    """Whether the sender that holds `token` is certainly dead: a process of this host that no longer runs."""
    host, _, rest = token.partition(":")
    pid = rest.partition(":")[0]
    if host != HOST or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def recover(now: datetime, report: Report) -> None:
    """Rows left by a sender that died: claimed ones go back to pending, a "sending" one becomes failed."""
    lease = now - timedelta(seconds=_settings("NOTIFY_CLAIM_SECONDS"))
    held = db.session.execute(select(Notification.claimed_by, Notification.claimed_at).where(
        Notification.mail_state.in_(("claimed", "sending"))).distinct()).all()
    dead = {token for token, at in held if token and (at is None or at < lease or _claimer_gone(token))}
    for token in dead:
        mine = (Notification.claimed_by == token,)
        report.recovered += db.session.execute(update(Notification).where(
            *mine, Notification.mail_state == "claimed").values(mail_state="pending", claimed_by=None)).rowcount
        report.in_doubt += db.session.execute(update(Notification).where(
            *mine, Notification.mail_state == "sending").values(
            mail_state="failed", claimed_by=None,
            last_error="The sender stopped while sending this message; it may have arrived. "
                       "It was not sent again, so that nobody gets it twice.")).rowcount
    db.session.commit()


def _claim(token: str, now: datetime, delivery: str, user_id: int | None = None,
           limit: int = BATCH) -> list[Notification]:
    due = select(Notification.id).where(Notification.mail_state == "pending", Notification.delivery == delivery,
                                        Notification.next_attempt_at <= now)
    if user_id is not None:
        due = due.where(Notification.user_id == user_id)
    ids = list(db.session.scalars(due.order_by(Notification.id).limit(limit)))
    if not ids:
        return []
    db.session.execute(update(Notification).where(Notification.id.in_(ids), Notification.mail_state == "pending")
                       .values(mail_state="claimed", claimed_by=token, claimed_at=now))
    db.session.commit()
    return list(db.session.scalars(select(Notification).where(
        Notification.claimed_by == token, Notification.mail_state == "claimed").order_by(Notification.id)))


def _set(marks, ids: list[int], **values) -> None:
    marks.execute(update(Notification).where(Notification.id.in_(ids)).values(**values))


def _retry_or_fail(marks, rows: list[Notification], now: datetime, error: str, report: Report) -> None:
    """Try again after a wait that doubles with each attempt; after the last attempt, a permanent failure."""
    for n in rows:
        attempts = n.attempts + 1
        if attempts >= _settings("NOTIFY_MAX_ATTEMPTS"):
            _set(marks, [n.id], mail_state="failed", attempts=attempts, claimed_by=None, last_error=error[:2000])
            report.failed += 1
        else:
            wait = min(_settings("NOTIFY_RETRY_SECONDS") * 2 ** (attempts - 1), 6 * 3600)
            _set(marks, [n.id], mail_state="pending", attempts=attempts, claimed_by=None, last_error=error[:2000],
                 next_attempt_at=now + timedelta(seconds=wait))
            report.retried += 1


# ---- the SMTP side ----------------------------------------------------------------------------------

class Connection:
    """One SMTP connection for a run, opened at the first message."""

    def __init__(self):
        self.smtp: smtplib.SMTP | None = None

    def send(self, message) -> None:
        try:
            if self.smtp is None:
                self.smtp = smtplib.SMTP(_settings("MAIL_SERVER"), _settings("MAIL_PORT"),
                                         timeout=_settings("NOTIFY_SMTP_TIMEOUT"))
                if _settings("MAIL_USE_TLS"):
                    self.smtp.starttls(context=ssl.create_default_context())
                if _settings("MAIL_USERNAME"):
                    self.smtp.login(_settings("MAIL_USERNAME"), _settings("MAIL_PASSWORD") or "")
            self.smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused:
            raise
        except smtplib.SMTPResponseException as answer:
            if 400 <= answer.smtp_code < 500 or answer.smtp_code == -1:
                self.close()
                raise ServerDown(f"{answer.smtp_code} {answer.smtp_error!r}") from None
            raise
        except (OSError, smtplib.SMTPServerDisconnected, smtplib.SMTPNotSupportedError) as problem:
            self.close()
            raise ServerDown(str(problem) or type(problem).__name__) from None

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.smtp = None


def _refusal(problem: Exception) -> tuple[bool, str]:
    """(whether it is for good, what the server said) for an SMTP refusal of one message."""
    if isinstance(problem, smtplib.SMTPRecipientsRefused):
        code, said = next(iter(problem.recipients.values()))
        return code >= 500, f"{code} {said.decode(errors='replace') if isinstance(said, bytes) else said}"
    code = getattr(problem, "smtp_code", 550)
    said = getattr(problem, "smtp_error", b"")
    return code >= 500, f"{code} {said.decode(errors='replace') if isinstance(said, bytes) else said}"


def _marks_connection():
    """The run's own connection for the marks: one short transaction per message, which waits for the
    database's write-ahead log but not for the disk (SQLite's synchronous=NORMAL in WAL mode, PostgreSQL's
    synchronous_commit=off). A mark survives a killed sender; only a power cut of the database host within
    the last moment could lose one."""
    marks = db.engine.connect()
    if marks.dialect.name == "sqlite":
        marks.exec_driver_sql("PRAGMA synchronous=NORMAL")
    else:
        marks.exec_driver_sql("SET synchronous_commit TO OFF")
    marks.commit()
    return marks


def _close_marks(marks) -> None:
    """Back to the pool as it came: the site's own commits keep waiting for the disk."""
    marks.rollback()
    if marks.dialect.name == "sqlite":
        marks.exec_driver_sql("PRAGMA synchronous=FULL")
    else:
        marks.exec_driver_sql("RESET synchronous_commit")
    marks.commit()
    marks.close()


class Run:
    """One sender run: claims, marks, sends, records."""

    def __init__(self, now: datetime, report: Report):
        self.now, self.report = now, report
        self.token = _token()
        self.connection = Connection()
        self.marks = _marks_connection()
        self.just_sent: list[int] = []  # marked "sent" in the next commit

    def deliver(self, rows: list[Notification], digest: bool) -> None:
        ids = [n.id for n in rows]
        try:
            message = compose(rows, digest)
        except Exception as problem:  # a notification that cannot be written out: shown to admins, never a loop
            current_app.logger.exception("notification %s could not be composed", ids)
            _set(self.marks, ids, mail_state="failed", claimed_by=None,
                 last_error=f"could not be composed: {problem}"[:2000])
            self.report.failed += len(ids)
            return
        self._commit_sent()
        _set(self.marks, ids, mail_state="sending", message_id=message["Message-ID"])
        self.marks.commit()  # marked before the SMTP transaction
        try:
            self.connection.send(message)
        except ServerDown as problem:
            _retry_or_fail(self.marks, rows, self.now, f"server unavailable: {problem}", self.report)
            self.marks.commit()
            raise
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as problem:
            permanent, said = _refusal(problem)
            if permanent:
                _set(self.marks, ids, mail_state="failed", claimed_by=None, last_error=f"refused: {said}"[:2000])
                self.report.failed += len(ids)
            else:
                _retry_or_fail(self.marks, rows, self.now, f"refused for now: {said}", self.report)
            self.marks.commit()
            return
        self.just_sent += ids
        if digest:
            self.report.digests += 1
        self.report.sent += len(ids)

    def _commit_sent(self) -> None:
        if self.just_sent:
            _set(self.marks, self.just_sent, mail_state="sent", claimed_by=None, sent_at=utcnow(), last_error="")
            self.just_sent = []

    def finish(self) -> None:
        """Record the last sent rows; rows still claimed (a stopped run) go back to pending untouched."""
        try:
            self._commit_sent()
            self.marks.execute(update(Notification).where(
                Notification.claimed_by == self.token, Notification.mail_state == "claimed").values(
                mail_state="pending", claimed_by=None))
            self.marks.commit()
        finally:
            _close_marks(self.marks)
            self.connection.close()


def send_due(now: datetime | None = None, with_reminders: bool = True, with_digests: bool = True,
             limit: int | None = None) -> Report:
    """Write the reminders due, then mail what is due: single messages first, then the daily digests."""
    started = time.monotonic()
    today = now.date() if now else None  # None: reminders.write_due takes the app's date (core.clock)
    now = now or utcnow()
    report = Report()
    recover(now, report)
    if with_reminders:
        report.reminders = reminders.write_due(today)
    if not _settings("MAIL_SERVER"):
        report.problems.append("MAIL_SERVER is not set: nothing was mailed.")
        report.seconds = time.monotonic() - started
        return report
    run = Run(now, report)
    try:
        done = 0
        while limit is None or done < limit:
            batch = _claim(run.token, now, "now", limit=min(BATCH, limit - done) if limit else BATCH)
            if not batch:
                break
            for n in batch:
                run.deliver([n], digest=False)
            done += len(batch)
        if with_digests:
            for user_id in list(db.session.scalars(select(Notification.user_id).where(
                    Notification.mail_state == "pending", Notification.delivery == "digest",
                    Notification.next_attempt_at <= now).distinct())):
                rows = _claim(run.token, now, "digest", user_id=user_id, limit=1000)
                if rows:
                    run.deliver(rows, digest=True)
    except ServerDown as problem:
        report.problems.append(f"The mail server is unavailable ({problem}); the rest is tried later.")
    finally:
        run.finish()
    report.seconds = time.monotonic() - started
    return report


# ---- after a commit in the site ----------------------------------------------------------------------

_running = threading.Lock()
_again = threading.Event()


def send_soon() -> None:
    """After a request committed notifications to mail now: send them from a short-lived thread of this
    worker (one at a time per process; `flask notify send` catches up whatever it misses)."""
    app = current_app._get_current_object()
    if not app.config.get("MAIL_SERVER") or not app.config["NOTIFY_SEND_AFTER_COMMIT"]:
        return
    _again.set()
    if not _running.acquire(blocking=False):
        return
    threading.Thread(target=_send_in_background, args=(app,), name="notify-sender", daemon=True).start()


def _send_in_background(app) -> None:
    try:
        while _again.is_set():
            _again.clear()
            with app.app_context():
                send_due(with_reminders=False, with_digests=False, limit=BATCH)
    except Exception as error:
        if unreachable(error):  # a database restart: rows stay pending or claimed (freed after the lease)
            app.logger.warning("sending notifications after a commit stopped, the database is unreachable: %s; "
                               "the next commit or `flask notify send` carries on", first_line(error))
        else:
            app.logger.exception("sending notifications after a commit failed; `flask notify send` will retry")
    finally:
        _running.release()


def wait_for_background(seconds: float = 10.0) -> None:
    """For tests and a stopping worker: wait until the background sender is idle."""
    if _running.acquire(timeout=seconds):
        _running.release()


def failed_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.mail_state == "failed")) or 0


def failed() -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.mail_state == "failed")
                                   .order_by(Notification.id.desc()).limit(500)))


def send_again(notification: Notification) -> None:
    """An admin asks for a failed message to be tried again (attempts start over)."""
    if notification.mail_state == "failed":
        notification.mail_state, notification.attempts, notification.last_error = "pending", 0, ""
        notification.next_attempt_at = utcnow()
        db.session.flush()
