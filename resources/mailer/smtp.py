"""SMTP delivery that knows exactly when a message may have left.

A message is delivered only once the server has the whole DATA section, so the send is split:
connect, authenticate, MAIL FROM and RCPT TO first (a failure there means nothing was sent and a
retry is safe), then `before_data()` lets the caller record that delivery is about to happen,
then DATA. A definite reply to DATA (250, or a 4xx/5xx refusal) settles the outcome; a lost
connection or a timeout during DATA leaves it unknown, and the caller must not resend blindly.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from urllib.parse import parse_qs, unquote, urlparse

from resources.mailer.message import wire_bytes

QUOTA_WORDS = ("quota", "rate", "too many", "limit exceeded", "throttl")
PASSWORD_ENV = "STEWARD_SMTP_PASSWORD"


class SmtpConfigError(ValueError):
    """STEWARD_SMTP_URL is missing or malformed."""


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    user: str | None
    password: str | None
    implicit_tls: bool
    starttls: str  # "auto" (when offered), "required" or "off"
    cafile: str | None

    def where(self) -> str:
        return f"{'smtps' if self.implicit_tls else 'smtp'}://{self.host}:{self.port}"


@dataclass(frozen=True)
class SmtpOutcome:
    status: str  # sent | retry | failed | unknown
    detail: str
    code: int | None = None
    quota: bool = False


def parse_smtp_url(url: str) -> SmtpTarget:
    """smtp://user@host:587 (STARTTLS when offered), smtps://user@host:465, options
    ?starttls=required|off and ?cafile=PATH; the password comes from STEWARD_SMTP_PASSWORD."""
    parsed = urlparse(url)
    if parsed.scheme not in ("smtp", "smtps") or not parsed.hostname:
        raise SmtpConfigError(f"SMTP URL must look like smtp://user@host:587, got {url!r}")
    if parsed.password:
        raise SmtpConfigError(f"SMTP URL must not contain a password; set {PASSWORD_ENV}")
    query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
    starttls = query.get("starttls", "auto")
    if starttls not in ("auto", "required", "off"):
        raise SmtpConfigError(f"starttls must be auto, required or off, got {starttls!r}")
    implicit = parsed.scheme == "smtps"
    return SmtpTarget(
        host=parsed.hostname,
        port=parsed.port or (465 if implicit else 587),
        user=unquote(parsed.username) if parsed.username else None,
        password=os.environ.get(PASSWORD_ENV),
        implicit_tls=implicit,
        starttls="off" if implicit else starttls,
        cafile=query.get("cafile"),
    )


def _classify(code: int, text: str, where: str) -> SmtpOutcome:
    detail = f"{where}: {code} {text}".strip()
    quota = any(word in text.lower() for word in QUOTA_WORDS)
    return SmtpOutcome("retry" if 400 <= code < 500 else "failed", detail, code, quota)


def _reply_text(resp: bytes | str) -> str:
    return resp.decode(errors="replace") if isinstance(resp, bytes) else str(resp)


def _connect(target: SmtpTarget, timeout: float) -> smtplib.SMTP:
    context = ssl.create_default_context(cafile=target.cafile)
    if target.implicit_tls:
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            target.host, target.port, timeout=timeout, context=context
        )
    else:
        smtp = smtplib.SMTP(target.host, target.port, timeout=timeout)
    smtp.ehlo()
    if target.starttls != "off" and not target.implicit_tls:
        if smtp.has_extn("starttls"):
            smtp.starttls(context=context)
            smtp.ehlo()
        elif target.starttls == "required":
            smtp.close()
            raise smtplib.SMTPNotSupportedError("the server does not offer STARTTLS")
    if target.user:
        smtp.login(target.user, target.password or "")
    return smtp


class SmtpSession:
    """One connection kept for a dispatch pass's messages: a campaign of thousands pays the
    connection, TLS and login once, not per message. A connection the server dropped while
    idle is opened again before MAIL FROM (nothing was sent on it); after any other error it is
    closed, and the next message opens a new one."""

    def __init__(self, target: SmtpTarget, timeout: float):
        self.target, self.timeout = target, timeout
        self._smtp: smtplib.SMTP | None = None
        self._dirty = False  # the last transaction failed: RSET before the next one

    def send(self, msg: Message, sender: str, recipient: str,
             before_data: Callable[[], None]) -> SmtpOutcome:
        handed: list[bool] = []

        def handing_over() -> None:
            handed.append(True)
            before_data()

        for reused in (self._smtp is not None, False):
            if self._smtp is None and (refused := self._open()) is not None:
                return refused
            if self._dirty and not self._reset():
                continue
            self._dirty = True  # until the reply: a LeaseLost before DATA leaves it mid-way
            outcome = _transaction(self._smtp, self.target, msg, sender, recipient, handing_over)
            self._dirty = outcome.status != "sent"
            if outcome.status == "sent" or _reusable(outcome):
                return outcome
            self.close()
            if not (reused and outcome.code is None and not handed):
                return outcome
        return SmtpOutcome("retry", f"{self.target.where()}: the connection keeps dropping")

    def _reset(self) -> bool:
        try:
            self._smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.close()
            return False
        self._dirty = False
        return True

    def _open(self) -> SmtpOutcome | None:
        try:
            self._smtp = _connect(self.target, self.timeout)
        except smtplib.SMTPAuthenticationError as exc:
            return SmtpOutcome(
                "retry", f"{self.target.where()}: login refused ({exc.smtp_code})", exc.smtp_code
            )
        except smtplib.SMTPResponseException as exc:
            return _classify(exc.smtp_code, _reply_text(exc.smtp_error), self.target.where())
        except (OSError, smtplib.SMTPException) as exc:
            return SmtpOutcome("retry", f"{self.target.where()}: {type(exc).__name__}: {exc}")
        return None

    def close(self) -> None:
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except (OSError, smtplib.SMTPException):
            self._smtp.close()
        self._smtp, self._dirty = None, False


def _reusable(outcome: SmtpOutcome) -> bool:
    """A refusal the server answered (not 421, which closes the channel) leaves the
    connection usable after RSET."""
    return outcome.code is not None and outcome.code != 421 and outcome.status in ("retry",
                                                                                  "failed")


def send(
    target: SmtpTarget,
    msg: Message,
    sender: str,
    recipient: str,
    timeout: float,
    before_data: Callable[[], None],
) -> SmtpOutcome:
    """One message on a connection of its own."""
    session = SmtpSession(target, timeout)
    try:
        return session.send(msg, sender, recipient, before_data)
    finally:
        session.close()


def _transaction(
    smtp: smtplib.SMTP,
    target: SmtpTarget,
    msg: Message,
    sender: str,
    recipient: str,
    before_data: Callable[[], None],
) -> SmtpOutcome:
    where = target.where()
    try:
        code, resp = smtp.mail(sender)
        if code != 250:
            return _classify(code, _reply_text(resp), f"{where} MAIL FROM")
        code, resp = smtp.rcpt(recipient)
        if code not in (250, 251):
            return _classify(code, _reply_text(resp), f"{where} RCPT TO {recipient}")
    except (OSError, smtplib.SMTPException) as exc:
        return SmtpOutcome("retry", f"{where}: {type(exc).__name__}: {exc}")
    wire = wire_bytes(msg)
    before_data()
    try:
        code, resp = smtp.data(wire)
    except smtplib.SMTPDataError as exc:
        return _classify(exc.smtp_code, _reply_text(exc.smtp_error), f"{where} DATA")
    except (OSError, smtplib.SMTPException) as exc:
        return SmtpOutcome("unknown", f"{where}: connection lost during DATA: {exc}")
    if code != 250:
        return _classify(code, _reply_text(resp), f"{where} DATA")
    return SmtpOutcome("sent", f"{where}: {code} {_reply_text(resp)}".strip(), code)
