"""Credentials a person granted (a Google refresh token), stored encrypted in the database.

Encrypted with Fernet (the `cryptography` library) under $MENTIONWATCH_SECRET_KEY, so a copy of
the database alone gives nothing away; never written to config.yaml, never printed.
"""

from __future__ import annotations

import os

from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr
from sqlalchemy.orm import Session

from crawlers.config import Credentials
from pipeline.errors import MentionwatchError
from pipeline.models import PlatformSecret, utcnow

GOOGLE_REFRESH_TOKEN = "google_refresh_token"
_HOW_TO_MAKE_A_KEY = ("python -c 'from cryptography.fernet import Fernet; "
                      "print(Fernet.generate_key().decode())'")

SECRET_KEY_ENV = "MENTIONWATCH_SECRET_KEY"
"""The Fernet key that encrypts credentials stored in the database (`mentionwatch connect`)."""


def secret_key_from_environment() -> str | None:
    """$MENTIONWATCH_SECRET_KEY, or None when unset or empty."""
    return os.environ.get(SECRET_KEY_ENV) or None


class SecretKeyError(MentionwatchError):
    """$MENTIONWATCH_SECRET_KEY is missing, malformed, or not the key a secret was stored with."""


def fernet() -> Fernet:
    """The Fernet of $MENTIONWATCH_SECRET_KEY, or SecretKeyError saying how to make one."""
    key = secret_key_from_environment()
    if key is None:
        raise SecretKeyError(f"{SECRET_KEY_ENV} is not set: it encrypts the credentials stored in the database; "
                             f"make one with {_HOW_TO_MAKE_A_KEY} and keep it in the environment")
    try:
        return Fernet(key.strip().encode())
    except (ValueError, TypeError):
        raise SecretKeyError(f"{SECRET_KEY_ENV} is not a Fernet key (32 url-safe base64-encoded bytes); "
                             f"make one with {_HOW_TO_MAKE_A_KEY}") from None


def store_secret(session: Session, name: str, value: str, account: str | None = None) -> None:
    """Encrypt and store `value` under `name`, replacing an earlier one."""
    encrypted = fernet().encrypt(value.encode()).decode()
    row = session.get(PlatformSecret, name)
    if row is None:
        session.add(PlatformSecret(name=name, encrypted=encrypted, account=account, created_at=utcnow()))
    else:
        row.encrypted, row.account, row.created_at = encrypted, account, utcnow()


def load_secret(session: Session, name: str) -> str | None:
    """The stored secret `name`, decrypted; None when none is stored."""
    row = session.get(PlatformSecret, name)
    if row is None:
        return None
    try:
        return fernet().decrypt(row.encrypted.encode()).decode()
    except InvalidToken:
        raise SecretKeyError(f"the stored {name.replace('_', ' ')} cannot be decrypted: {SECRET_KEY_ENV} is not "
                             "the key it was stored with (run `mentionwatch connect google` again)") from None


def with_stored_credentials(session: Session, credentials: Credentials) -> Credentials:
    """`credentials` completed with the refresh token `connect google` stored, unless one is given.

    The environment (GOOGLE_REFRESH_TOKEN) or config wins over the stored token.
    """
    if credentials.google_refresh_token is not None:
        return credentials
    token = load_secret(session, GOOGLE_REFRESH_TOKEN)
    if token is None:
        return credentials
    return credentials.model_copy(update={"google_refresh_token": SecretStr(token)})



