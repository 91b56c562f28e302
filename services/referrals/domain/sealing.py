"""Crypto-shredding: each person's data on the private topics is sealed with a key of their own.

- A *personal key* (256-bit, AES-GCM) is drawn at the person's first signing. It is kept on the private,
  compacted topic `referrals.key.v1` only *wrapped* (sealed) by the master key, which comes from the
  environment and never touches a topic.
- Every record about the person on `referrals.signing.v1` is sealed with their personal key; the
  associated data binds each ciphertext to its topic and its person, so a record cannot be replayed
  under another person's id.
- Erasing the person destroys the personal key (a tombstone under their id): what the log still holds
  of them can no longer be read by anyone, the master key's holder included, once the broker has
  compacted the key topic (`max.compaction.lag.ms` bounds how long that takes)."""

from __future__ import annotations

import base64
import binascii
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12  # AES-GCM's standard nonce; drawn at random for every seal (2^32 seals per key are safe)
KEY_BYTES = 32
MASTER_KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,40}$")
MASTER_KEY_FORMAT = re.compile(r"^(?P<kid>[A-Za-z0-9._-]{1,40}):(?P<secret>[A-Za-z0-9_-]{43}=?)$")


class Unreadable(Exception):
    """A sealed value that this key cannot open: the wrong key, another person's record, or tampered."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text.encode())
    except (binascii.Error, ValueError) as exc:
        raise Unreadable("not base64url") from exc


def seal(key: bytes, associated: str, plaintext: bytes) -> str:
    """`base64url(nonce ‖ ciphertext ‖ tag)`; `associated` (not secret) must be given again to open it."""
    nonce = os.urandom(NONCE_BYTES)
    return _b64(nonce + AESGCM(key).encrypt(nonce, plaintext, associated.encode()))


def open_sealed(key: bytes, associated: str, token: str) -> bytes:
    raw = _unb64(token)
    if len(raw) <= NONCE_BYTES:
        raise Unreadable("too short to be sealed")
    try:
        return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated.encode())
    except InvalidTag as exc:
        raise Unreadable("the key does not open this value") from exc


def new_personal_key() -> bytes:
    return AESGCM.generate_key(bit_length=8 * KEY_BYTES)


class MasterKey:
    """The key that wraps every personal key, given as `<key id>:<32 bytes in base64url>` (setting
    MASTER_KEY). The id is written beside each wrapped key, so that a later master key can be told apart."""

    def __init__(self, key_id: str, secret: bytes) -> None:
        if len(secret) != KEY_BYTES:
            raise ValueError(f"the master key must be {KEY_BYTES} bytes, not {len(secret)}")
        self.key_id = key_id
        self._secret = secret

    @classmethod
    def parse(cls, text: str) -> MasterKey:
        found = MASTER_KEY_FORMAT.match(text.strip())
        if found is None:
            raise ValueError(
                "MASTER_KEY must read '<key id>:<32 bytes in base64url>', e.g. from `passerelle master-key`"
            )
        return cls(found["kid"], _unb64(found["secret"]))

    @staticmethod
    def generate(key_id: str) -> str:
        """A new master key in the setting's format."""
        return f"{key_id}:{_b64(os.urandom(KEY_BYTES))}"

    def wrap(self, beneficiary_id: str, personal_key: bytes) -> str:
        return seal(self._secret, self._wrapping_context(beneficiary_id), personal_key)

    def unwrap(self, beneficiary_id: str, wrapped: str) -> bytes:
        return open_sealed(self._secret, self._wrapping_context(beneficiary_id), wrapped)

    def _wrapping_context(self, beneficiary_id: str) -> str:
        return f"passerelle-personal-key:{self.key_id}:{beneficiary_id}"
