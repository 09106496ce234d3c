"""Outbound-address guard for URLs a remote client asks the server to fetch (SSRF defence).

is_public_address(ip_address("169.254.169.254"))        # False: link-local (cloud metadata)
target = check_url("https://cams.example.org/a.ts", allow_hosts=[])   # resolves once, or raises
target.ip                                              # connect here, never re-resolve

Only the pure classification and one resolution live here; the API decides which schemes it
accepts and hands ``target.ip`` to the fetcher, so DNS that changes after the check is not used.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from avas.errors import InputError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

# Ranges that are_global misses or that embed another address we must look through.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052 well-known prefix: last 32 bits = IPv4
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215 local-use translation
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")  # 6to4: bits 16-48 = IPv4
_CGNAT = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT: inside someone's network
_DEFAULT_PORTS = {"http": 80, "https": 443, "rtsp": 554, "rtsps": 322, "rtmp": 1935, "srt": 9000}

# One text for every refusal and failure, so answers never tell what exists inside.
REFUSED = "this URL cannot be ingested by the server"


class UrlRefused(InputError):
    """A URL the server must not fetch; the message is deliberately generic."""


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64 or ip in _NAT64_LOCAL:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _SIX_TO_FOUR:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]  # the client's address, obfuscated in the packet, plain here
    # IPv4-compatible ::a.b.c.d (deprecated, still routed by some stacks)
    if int(ip) >> 32 == 0 and int(ip) > 1:
        return ipaddress.IPv4Address(int(ip))
    return None


def is_public_address(ip: IPAddress) -> bool:
    """True only for a globally routable unicast address, looking through IPv6 wrappers of IPv4."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return False  # fe80::1%eth0 and friends
        inner = _embedded_ipv4(ip)
        if inner is not None:
            return is_public_address(inner)
    return bool(
        ip.is_global
        and not ip.is_multicast
        and not ip.is_loopback
        and not ip.is_link_local
        and not ip.is_private
        and not ip.is_reserved
        and not ip.is_unspecified
        and ip not in _CGNAT
    )


def parse_address(text: str) -> IPAddress | None:
    """An IP literal (brackets and an IPv6 zone allowed), or None for a host name."""
    text = text.strip("[]")
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def host_allowed(host: str, allow_hosts: Sequence[str]) -> bool:
    """An exact host name (case-insensitive), IP literal or CIDR network from the allow-list."""
    name = host.lower().rstrip(".")
    ip = parse_address(name)
    for entry in allow_hosts:
        entry = entry.strip().lower().rstrip(".")
        if entry == name:
            return True
        if ip is not None and "/" in entry:
            try:
                if ip in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                continue
    return False


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (``ip``), and what to say to the server (``host``)."""

    url: str
    scheme: str
    host: str
    port: int
    ip: str
    allow_listed: bool

    def pinned_url(self) -> str:
        """``url`` with its host replaced by the checked address (same port, path, query)."""
        parts = urlsplit(self.url)
        literal = f"[{self.ip}]" if ":" in self.ip else self.ip
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = (userinfo + "@" if userinfo else "") + f"{literal}:{self.port}"
        return parts._replace(netloc=netloc).geturl()


def check_url(
    url: str,
    *,
    allow_hosts: Sequence[str],
    schemes: Sequence[str],
    resolver: Resolver = system_resolver,
) -> Target:
    """Resolve ``url``'s host once and refuse it unless every answer is public (or the host is
    allow-listed). Raises UrlRefused with one generic message for every reason."""
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = (parts.hostname or "").rstrip(".")
        port = parts.port or _DEFAULT_PORTS.get(scheme, 0)
    except ValueError as exc:  # a bad port or bracket
        raise UrlRefused(REFUSED) from exc
    if scheme not in schemes or not host or not port:
        raise UrlRefused(REFUSED)
    allow_listed = host_allowed(host, allow_hosts)
    literal = parse_address(host)
    if literal is not None:
        answers = [str(literal)]
    else:
        try:
            answers = resolver(host, port)
        except (OSError, UnicodeError) as exc:
            raise UrlRefused(REFUSED) from exc
    addresses = [a for a in (parse_address(x) for x in answers) if a is not None]
    if not addresses:
        raise UrlRefused(REFUSED)
    # Every answer must pass, not just the first: a resolver may rotate through them.
    if not allow_listed and not all(is_public_address(a) for a in addresses):
        raise UrlRefused(REFUSED)
    return Target(
        url=url,
        scheme=scheme,
        host=host,
        port=port,
        ip=str(addresses[0]),
        allow_listed=allow_listed,
    )
