"""E-mail: the report as HTML with its charts inline (CID images), sent over SMTP with STARTTLS.

The server's certificate is always verified: against the system's CAs, or against `ca_file` for
a server with a private CA. A password is never sent over an unencrypted connection.
"""

from __future__ import annotations

import smtplib
import ssl
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from alerts.config import EmailSettings
from pipeline.errors import DeliveryError


@dataclass(frozen=True)
class InlineImage:
    cid: str
    """The Content-ID without angle brackets; the HTML refers to it as `cid:...`."""
    path: Path


def new_cid(index: int) -> str:
    """A unique Content-ID for an inline image (the HTML uses `cid:` + this).

    Short on purpose: a header folded over two lines is read back with a leading space by some
    parsers, and the reference then fails to match.
    """
    return f"chart{index}.{uuid.uuid4().hex[:16]}@mentionwatch"


def build_message(settings: EmailSettings, subject: str, text: str, html: str,
                  images: Sequence[InlineImage] = ()) -> EmailMessage:
    """multipart/alternative: the text, then multipart/related holding the HTML and its images."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.to)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="mentionwatch.local")
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    html_part = message.get_payload()[1]  # type: ignore[index]
    for image in images:
        html_part.add_related(image.path.read_bytes(), maintype="image", subtype="png", cid=f"<{image.cid}>",
                              filename=image.path.name, disposition="inline")
    return message


def send(settings: EmailSettings, message: EmailMessage, ca_file: Path | None = None) -> None:
    """Send over SMTP: STARTTLS (verified) then login, as configured. Raises DeliveryError."""
    password = settings.password.get_secret_value() if settings.password else None
    if password and not settings.starttls:
        raise DeliveryError("e-mail not sent: refusing to send the SMTP password without TLS "
                            "(set report.email.starttls: true)")
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
            smtp.ehlo()
            if settings.starttls:
                if not smtp.has_extn("starttls"):
                    raise DeliveryError(f"e-mail not sent: {settings.host} does not offer STARTTLS")
                smtp.starttls(context=context)
                smtp.ehlo()
            if settings.username and password:
                smtp.login(settings.username, password)
            refused = smtp.send_message(message)
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"e-mail not sent: {settings.host} refused the login for {settings.username} "
                            f"({exc.smtp_code})") from None
    except ssl.SSLCertVerificationError as exc:
        raise DeliveryError(f"e-mail not sent: the certificate of {settings.host} cannot be verified "
                            f"({exc.verify_message}); set report.email.ca_file for a private CA") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"e-mail not sent: {settings.host}:{settings.port}: {type(exc).__name__}: "
                            f"{_safe(exc, password)}") from None
    if refused:
        raise DeliveryError(f"e-mail not delivered to {', '.join(sorted(refused))}")


def _safe(exc: BaseException, password: str | None) -> str:
    text = str(exc)
    return text.replace(password, "[redacted]") if password else text
