"""Outbound webhook requests: signed, to public addresses only, short, never redirected.

The receiver checks a delivery with its endpoint's secret::

    expected = "sha256=" + hmac.new(secret, f"{timestamp}.".encode() + body, sha256).hexdigest()

where ``timestamp`` is the ``X-ATMO-Timestamp`` header (Unix seconds; refuse old
ones to stop replays) and ``body`` the raw request body, and compares it with
``X-ATMO-Signature`` in constant time.

Server-side request forgery: the host is resolved here, every address it
resolves to must be public (no private, loopback, link-local, shared or
reserved address, IPv4-mapped ones included), and the connection goes to the
address that was checked, with the URL's host kept as ``Host`` header and TLS
server name, so a second DNS answer cannot point it elsewhere. An operator lets a
host through with the live setting ``WEBHOOK_ALLOWED_HOSTS``.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
from dataclasses import dataclass

import httpx
from constance import config as live

SIGNATURE_HEADER = "X-ATMO-Signature"
TIMESTAMP_HEADER = "X-ATMO-Timestamp"
EVENT_HEADER = "X-ATMO-Event"
DELIVERY_HEADER = "X-ATMO-Delivery"
#: Short: a slow receiver holds a worker. Three seconds to connect, ten in all per phase.
TIMEOUT = httpx.Timeout(10.0, connect=3.0)
USER_AGENT = "ATMO-Webhooks/1"


class DeliveryError(Exception):
    """An attempt failed; ``transient`` when trying again later may succeed."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class Answer:
    status: int
    location: str = ""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """``sha256=`` and the hex HMAC-SHA256, keyed by ``secret``, of ``"{timestamp}." + body``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def allowed_hosts() -> set[str]:
    """The hosts an operator lets through to non-public addresses (live setting, comma-separated)."""
    return {host.strip().lower() for host in str(live.WEBHOOK_ALLOWED_HOSTS).split(",") if host.strip()}


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone id is no part of the address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def checked_address(host: str, port: int) -> str:
    """The address to connect to for ``host``: every address it resolves to must be public.

    Raises a permanent :class:`DeliveryError` for a refused address, a transient one
    when the name does not resolve (DNS may be down for a while).
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise DeliveryError(f"{host} does not resolve ({exc})", transient=True) from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if host.lower() not in allowed_hosts():
        refused = [address for address in addresses if not is_public(address)]
        if refused:
            raise DeliveryError(
                f"refused: {host} resolves to {refused[0]}, a private, loopback or link-local address",
                transient=False,
            )
    return addresses[0]


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST ``body`` to ``url`` at its checked address; the answer's status (its body is not read)."""
    target = httpx.URL(url)
    if target.scheme not in ("http", "https") or not target.host:
        raise DeliveryError(f"refused: {url} is not an http or https URL", transient=False)
    port = target.port or (443 if target.scheme == "https" else 80)
    pinned = target.copy_with(host=checked_address(target.host, port))
    headers = {**headers, "Host": target.netloc.decode("ascii"), "User-Agent": USER_AGENT}
    # No proxies from the environment (they would resolve the name again), no redirects.
    with httpx.Client(timeout=TIMEOUT, follow_redirects=False, trust_env=False) as client:
        request = client.build_request(
            "POST", pinned, content=body, headers=headers, extensions={"sni_hostname": target.host}
        )
        try:
            response = client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise DeliveryError(
                f"no answer within the timeout ({type(exc).__name__})", transient=True
            ) from exc
        except httpx.HTTPError as exc:
            raise DeliveryError(f"could not connect: {exc}"[:300], transient=True) from exc
        response.close()
    return Answer(response.status_code, response.headers.get("Location", ""))
