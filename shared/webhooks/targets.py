"""Where a webhook may be sent: not into the platform itself. A target that resolves to a loopback,
link-local (cloud metadata), private, shared, reserved or multicast address is refused, at subscription
time and again before each delivery (the name may have been re-pointed since); `https` only in production.
An IPv6 address that carries an IPv4 one — IPv4-mapped, IPv4-compatible, NAT64 (64:ff9b::/96), 6to4
(2002::/16), Teredo — is judged by that IPv4 address too, since a translator or tunnel delivers there;
local-use NAT64 (64:ff9b:1::/48) is refused whole. The delivery then connects to the address that was
checked (`CheckedTarget.request`), never resolving the name a second time (DNS rebinding). Intranet
receivers and tests name their networks in an explicit allow-list."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

import httpx

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[IpAddress]]]


class WebhookTargetRefused(ValueError):
    """The URL may not receive webhooks; the message says why, in French then English."""


async def resolve(host: str, port: int) -> list[IpAddress]:
    """Every address `host` resolves to (the system resolver, as the HTTP client will use it)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(info[4][0]) for info in infos]


def parse_networks(text: str) -> tuple[IpNetwork, ...]:
    """`"127.0.0.2/32, 10.20.0.0/16"` → networks; a bare address is its own /32 or /128."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())


NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def carried_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 one leads to through a translator or a tunnel."""
    carried = [address.ipv4_mapped, address.sixtofour]
    if address.teredo is not None:
        carried += list(address.teredo)  # its server, and its client (obfuscated in the address)
    if address in NAT64 or (address in IPV4_COMPATIBLE and int(address) > 1):
        carried.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return [a for a in carried if a is not None]


def _internal(address: IpAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        if address in LOCAL_NAT64:
            return True
        if any(_internal(carried) for carried in carried_ipv4(address)):
            return True
    return not address.is_global or address.is_multicast


@dataclass(frozen=True)
class CheckedTarget:
    """A URL judged safe, and the address it was judged by: the delivery goes there and nowhere else."""

    url: httpx.URL
    address: IpAddress

    def request(self) -> tuple[str, dict[str, str], dict[str, str]]:
        """The URL with the checked address for its host, the Host header naming the host, and the TLS
        server name (SNI, and the name the certificate is verified against) for httpx's extensions."""
        pinned = self.url.copy_with(host=str(self.address))  # httpx brackets an IPv6 address itself
        port = f":{self.url.port}" if self.url.port else ""
        return str(pinned), {"host": f"{self.url.host}{port}"}, {"sni_hostname": self.url.host}


@dataclass(frozen=True)
class WebhookTargetPolicy:
    https_only: bool = False
    allowed: tuple[IpNetwork, ...] = ()
    resolver: Resolver = resolve

    def _allowed(self, address: IpAddress) -> bool:
        return any(address in network for network in self.allowed)

    async def check(self, url: str) -> CheckedTarget:
        """Raise WebhookTargetRefused unless `url` may receive webhooks now; the address to connect to."""
        parsed = httpx.URL(url)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise WebhookTargetRefused("adresse http(s) attendue / an http(s) URL is expected")
        if self.https_only and parsed.scheme != "https":
            raise WebhookTargetRefused("https obligatoire en production / https is required in production")
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        try:
            addresses = [ipaddress.ip_address(parsed.host)]
        except ValueError:
            try:
                addresses = await self.resolver(parsed.host, port)
            except OSError as exc:
                raise WebhookTargetRefused(
                    f"le nom {parsed.host} ne se résout pas / the host name does not resolve"
                ) from exc
        refused = _refused(addresses, self._allowed)
        if refused:
            raise WebhookTargetRefused(
                f"{parsed.host} désigne une adresse interne ({refused}) : refusée"
                f" / {parsed.host} points at an internal address, refused"
            )
        return CheckedTarget(parsed, addresses[0])


def _refused(addresses: Iterable[IpAddress], allowed: Callable[[IpAddress], bool]) -> str:
    return ", ".join(str(a) for a in addresses if _internal(a) and not allowed(a))
