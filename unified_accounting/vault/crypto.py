"""Encryption of secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) with MultiFernet key rotation.

A secret key is either a Fernet key (``cryptography.fernet.Fernet.generate_key()``, what
``ua vault new-key`` prints) or any passphrase of at least 32 characters, stretched with HKDF.
Several keys may be given, separated by commas: the first encrypts, every one decrypts. That is
how a key is rotated: put the new key first, keep the old one after it, run the re-encryption
(``ua vault rotate-key``), then drop the old key.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import secrets
import stat
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ..errors import ConfigurationError

MIN_PASSPHRASE_LENGTH = 32
_HKDF_SALT = b"unified-accounting vault v1"


class VaultKeyError(ConfigurationError):
    """The secret key cannot decrypt what the vault holds (wrong key, or the old key was dropped)."""


def new_key() -> str:
    """A fresh random Fernet key (URL-safe base64 text)."""
    return Fernet.generate_key().decode()


def _fernet_for(secret: str) -> Fernet:
    try:
        raw = base64.urlsafe_b64decode(secret.encode())
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) == 32 and len(secret) == 44:
        return Fernet(secret.encode())
    if len(secret) < MIN_PASSPHRASE_LENGTH:
        raise ConfigurationError(
            f"the secret key (UA_SECRET_KEY / secret_key=) is {len(secret)} characters long: use a "
            f"Fernet key (generate one with 'ua vault new-key') or a passphrase of at least "
            f"{MIN_PASSPHRASE_LENGTH} random characters"
        )
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=_HKDF_SALT, info=b"fernet").derive(
        secret.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def split_keys(value: str) -> list[str]:
    """``"new,old"`` → ``["new", "old"]`` (commas separate keys; spaces around them are ignored)."""
    return [part.strip() for part in value.split(",") if part.strip()]


class TokenCipher:
    """Encrypts and decrypts text with the first key; decrypts with any key given."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ConfigurationError("no secret key given: set UA_SECRET_KEY or pass secret_key=")
        self._fernet = MultiFernet([_fernet_for(k) for k in keys])
        self.key_count = len(keys)

    def __repr__(self) -> str:
        return f"<TokenCipher keys={self.key_count}>"

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise VaultKeyError(
                "the vault's secret key cannot decrypt a stored token: UA_SECRET_KEY is not the key the "
                "vault was written with. When rotating, list the new key first and the old one after it "
                "(UA_SECRET_KEY='NEW,OLD')"
            ) from None

    def rotate(self, ciphertext: str) -> str:
        """The same plaintext, re-encrypted with the first key."""
        try:
            return self._fernet.rotate(ciphertext.encode()).decode()
        except InvalidToken:
            raise VaultKeyError(
                "cannot re-encrypt a stored token: none of the given keys decrypts it; add the old key "
                "after the new one (UA_SECRET_KEY='NEW,OLD')"
            ) from None


def load_or_create_key_file(path: Path) -> str:
    """The key in ``path``, created (readable by its owner only) on first use.

    The file is written under a temporary name and then linked into place, so a second process
    starting at the same moment reads a complete key, never a half-written one. An existing file
    that other users can read or write is refused rather than trusted.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(new_key() + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigurationError(
            f"the vault key file {path} has mode {mode:o}: other users can read it. Run "
            f"'chmod 600 {path}' (and consider rotating the key)"
        )
    text = path.read_text().strip()
    if not text:
        raise ConfigurationError(f"the vault key file {path} is empty: restore it from a backup")
    return text
