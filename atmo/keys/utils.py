"""Fingerprints and types of OpenSSH public keys, read from the key's base64 body."""

from __future__ import annotations

import base64
import binascii
import hashlib

#: What ``ssh-keygen -l`` calls each accepted type; RSA gets its size added.
TYPE_NAMES = {
    "ssh-rsa": "RSA",
    "ssh-dss": "DSA",
    "ssh-ed25519": "ED25519",
    "ecdsa-sha2-nistp256": "ECDSA 256",
    "ecdsa-sha2-nistp384": "ECDSA 384",
    "ecdsa-sha2-nistp521": "ECDSA 521",
}


def key_blob(data: str) -> bytes:
    """The decoded base64 part of an OpenSSH public key line (``type blob [comment]``)."""
    parts = data.strip().split()
    if len(parts) < 2:
        raise ValueError("An OpenSSH public key has a type and a base64 body.")
    try:
        return base64.b64decode(parts[1], validate=True)
    except binascii.Error as exc:
        raise ValueError("The key body is not valid base64.") from exc


def calculate_fingerprint(data: str) -> str:
    """The SHA256 fingerprint, as ``ssh-keygen -l`` prints it (``SHA256:`` and unpadded base64).

    The one fingerprint ATMO stores and shows: OpenSSH has printed SHA256 by
    default since 6.8, so it is what users compare with.
    """
    digest = hashlib.sha256(key_blob(data)).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def ssh_strings(blob: bytes) -> list[bytes]:
    """The length-prefixed strings of a key blob (the type, then the key's numbers)."""
    strings, offset = [], 0
    while offset + 4 <= len(blob):
        length = int.from_bytes(blob[offset : offset + 4], "big")
        strings.append(blob[offset + 4 : offset + 4 + length])
        offset += 4 + length
    return strings


def describe_key_type(data: str) -> str:
    """The key's type as people say it: ``ED25519``, ``RSA 4096``, ``ECDSA 256``.

    Read from the blob without loading the key (cheap enough for every row of a
    list); "" for a line that is no OpenSSH public key.
    """
    try:
        strings = ssh_strings(key_blob(data))
    except ValueError:
        return ""
    if not strings:
        return ""
    key_type = strings[0].decode("ascii", errors="replace")
    name = TYPE_NAMES.get(key_type, key_type)
    if key_type == "ssh-rsa" and len(strings) >= 3:
        # The blob is: type, public exponent e, modulus n; the size is n's bit length.
        return f"{name} {int.from_bytes(strings[2], 'big').bit_length()}"
    return name
