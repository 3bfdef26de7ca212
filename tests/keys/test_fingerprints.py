"""Fingerprints (SHA256, like ssh-keygen's) and types, computed from the key material, not the key text."""

from __future__ import annotations

import base64
import hashlib
import shutil
import struct
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from tests.keys.factories import GENERATORS, SSHKeyFactory, openssh_line


def ssh_string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def ssh_mpint(number: int) -> bytes:
    # RFC 4251: big-endian two's complement, so a set high bit needs a zero byte in front.
    return ssh_string(number.to_bytes(number.bit_length() // 8 + 1, "big"))


def wire_blob(key: Any) -> bytes:
    """The RFC 4253 public key blob, built from the key's numbers (as ssh-keygen hashes it)."""
    public = key.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        numbers = public.public_numbers()
        return ssh_string(b"ssh-rsa") + ssh_mpint(numbers.e) + ssh_mpint(numbers.n)
    if isinstance(public, ed25519.Ed25519PublicKey):
        return ssh_string(b"ssh-ed25519") + ssh_string(public.public_bytes_raw())
    assert isinstance(public, ec.EllipticCurvePublicKey)
    curve = {"secp256r1": b"nistp256", "secp384r1": b"nistp384", "secp521r1": b"nistp521"}[public.curve.name]
    point = public.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return ssh_string(b"ecdsa-sha2-" + curve) + ssh_string(curve) + ssh_string(point)


def sha256_of(blob: bytes) -> str:
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


@pytest.mark.parametrize("key_type", GENERATORS)
def test_a_saved_key_stores_the_sha256_fingerprint_of_its_blob(user: Any, key_type: str) -> None:
    private = GENERATORS[key_type]()
    ssh_key = SSHKeyFactory(created_by=user, key=openssh_line(private, "alice@laptop"))

    ssh_key.refresh_from_db()
    assert ssh_key.fingerprint == sha256_of(wire_blob(private))
    # The API's older name for it says the same.
    assert ssh_key.sha256_fingerprint == ssh_key.fingerprint


@pytest.mark.parametrize(
    ("make_key", "expected"),
    [
        (ed25519.Ed25519PrivateKey.generate, "ED25519"),
        (lambda: rsa.generate_private_key(public_exponent=65537, key_size=3072), "RSA 3072"),
        (lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048), "RSA 2048"),
        (lambda: ec.generate_private_key(ec.SECP384R1()), "ECDSA 384"),
    ],
)
def test_a_key_names_its_type_and_size_as_ssh_keygen_does(user: Any, make_key: Any, expected: str) -> None:
    ssh_key = SSHKeyFactory(created_by=user, key=openssh_line(make_key()))

    assert ssh_key.type_name == expected


def test_the_fingerprint_follows_a_changed_key(ssh_key: Any) -> None:
    private = GENERATORS["ssh-ed25519"]()
    ssh_key.key = openssh_line(private)
    ssh_key.save()

    ssh_key.refresh_from_db()
    assert ssh_key.fingerprint == sha256_of(wire_blob(private))


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs OpenSSH's ssh-keygen")
@pytest.mark.parametrize("key_type", ["ssh-rsa", "ssh-ed25519", "ecdsa-sha2-nistp384"])
def test_fingerprints_match_what_ssh_keygen_prints(user: Any, tmp_path: Path, key_type: str) -> None:
    line = openssh_line(GENERATORS[key_type](), "alice@laptop")
    ssh_key = SSHKeyFactory(created_by=user, key=line)
    path = tmp_path / "id.pub"
    path.write_text(line + "\n")

    def ssh_keygen(hash_name: str) -> str:
        result = subprocess.run(
            ["ssh-keygen", "-l", "-E", hash_name, "-f", str(path)], capture_output=True, text=True, check=True
        )
        return result.stdout.split()[1]

    assert ssh_keygen("sha256") == ssh_key.fingerprint
