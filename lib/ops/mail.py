"""Mail out through the SMTP server of SMTP_URL (stdlib smtplib and email only).

`send` never raises: it returns "sent" or, in Vietnamese, why the message did not go, which the
caller stores (a reminder letter stays issued whatever the mail does).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

from lib.core.reminders import EMAIL_SENT

DOCX_TYPE = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")
TIMEOUT = 15  # seconds to reach and talk to the server


@dataclass(frozen=True)
class Server:
    """SMTP_URL read: smtp://user:pass@host:port?starttls=1&from=addr, smtps:// for TLS at once."""

    host: str
    port: int
    user: str
    password: str
    tls: bool  # smtps: TLS from the first byte
    starttls: bool
    sender: str

    @classmethod
    def parse(cls, url: str) -> Server:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        tls = parts.scheme == "smtps"
        user = unquote(parts.username or "")
        host = parts.hostname or "localhost"
        sender = query.get("from", [""])[0] or (user if "@" in user else f"no-reply@{host}")
        return cls(
            host=host,
            port=parts.port or (465 if tls else 25),
            user=user,
            password=unquote(parts.password or ""),
            tls=tls,
            starttls=query.get("starttls", ["0"])[0].lower() in ("1", "true", "yes"),
            sender=sender,
        )


def message(sender: str, to: str, subject: str, body: str, attachment: tuple[str, bytes]) -> EmailMessage:
    """A plain-text message with one .docx attached."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    msg.set_content(body)
    name, data = attachment
    msg.add_attachment(data, maintype=DOCX_TYPE[0], subtype=DOCX_TYPE[1], filename=name)
    return msg


def send(url: str, to: str, subject: str, body: str, attachment: tuple[str, bytes]) -> str:
    """Send one message with its .docx; "sent", or why not (Vietnamese)."""
    server = Server.parse(url)
    msg = message(server.sender, to, subject, body, attachment)
    try:
        smtp: smtplib.SMTP
        if server.tls:
            smtp = smtplib.SMTP_SSL(
                server.host, server.port, timeout=TIMEOUT, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT)
        with smtp:
            if server.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if server.user:
                smtp.login(server.user, server.password)
            smtp.send_message(msg)
    except smtplib.SMTPAuthenticationError:
        return "máy chủ thư từ chối tài khoản gửi (kiểm tra SMTP_URL)."
    except smtplib.SMTPRecipientsRefused:
        return f"máy chủ thư từ chối địa chỉ nhận {to}."
    except smtplib.SMTPSenderRefused:
        return f"máy chủ thư từ chối địa chỉ gửi {server.sender}."
    except smtplib.SMTPException as exc:
        return f"máy chủ thư báo lỗi: {exc}"[:200]
    except TimeoutError:
        return f"máy chủ thư {server.host}:{server.port} không trả lời."
    except (ConnectionError, OSError) as exc:
        return f"không kết nối được máy chủ thư {server.host}:{server.port} ({exc.__class__.__name__})."
    return EMAIL_SENT
