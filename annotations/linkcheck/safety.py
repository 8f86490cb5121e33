"""Which addresses the link checker may connect to (the SSRF policy).

Users type the URLs we fetch, so the checker must never become a way into our own
network. The decision is made on the *resolved* addresses of a host, once per hop,
and the fetcher then connects to exactly the address that was checked: a DNS answer
that changes between the check and the connection (rebinding) cannot slip past.

Every other way of writing an address (``2130706433``, ``0177.0.0.1``, ``127.1``,
``::ffff:127.0.0.1``) resolves to the same address and is judged as that address.
"""

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

# Ranges that ipaddress does not flag but that must not be reached from here.
_EXTRA_BLOCKED = [
    ipaddress.ip_network("100.64.0.0/10"),  # carrier-grade NAT, often internal
    ipaddress.ip_network("192.0.0.0/24"),  # IETF protocol assignments
    ipaddress.ip_network("198.18.0.0/15"),  # benchmarking
]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class Blocked(Exception):
    """The safety policy refuses this destination.

    The message names the host and the policy (for everyone on the desk); ``detail`` adds what
    the host resolved to, which only reviewers may see: it maps our own network.
    """

    def __init__(self, message: str, detail: str = ""):
        super().__init__(message)
        self.detail = detail or message


class Unresolvable(Exception):
    """The host name has no address (DNS failure)."""

    def __init__(self, message: str, transient: bool = False):
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class Destination:
    host: str
    port: int
    addresses: tuple[str, ...]  # already checked; connect to these and nothing else


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        transient = exc.errno == socket.EAI_AGAIN
        raise Unresolvable(f"DNS lookup of {host} failed: {exc.strerror}", transient) from None
    except UnicodeError:
        raise Unresolvable(f"{host} is not a valid host name") from None
    seen: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        # An IP family's sockaddr starts with the address text (typeshed's union also has AF_CAN).
        address = str(sockaddr[0]).split("%", 1)[0]  # drop an IPv6 zone id
        if address not in seen:
            seen.append(address)
    return seen


def block_reason(address: IPAddress) -> str | None:
    """Why this address may not be reached, or ``None`` if it is a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is None and address.teredo:
            embedded = address.teredo[1]
        if embedded is not None:
            inner = block_reason(embedded)
            if inner:
                return f"{inner} (embedded in {address})"
    checks = [
        ("is_unspecified", "an unspecified address"),
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_private", "a private address"),
        ("is_reserved", "a reserved address"),
    ]
    for attribute, reason in checks:
        if getattr(address, attribute):
            return reason
    if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
        return "a site-local address"
    if any(address in network for network in _EXTRA_BLOCKED if network.version == 4):
        return "a non-public address"
    if not address.is_global:
        return "a non-public address"
    return None


def _allowed(host: str, address: IPAddress, allowed_hosts: Iterable[str]) -> bool:
    for entry in allowed_hosts:
        entry = entry.strip().lower()
        if not entry:
            continue
        if entry.strip("[]") == host.strip("[]"):
            return True
        try:
            network = ipaddress.ip_network(entry.strip("[]"), strict=False)
        except ValueError:
            continue
        candidates = [address]
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            candidates.append(address.ipv4_mapped)
        if any(c.version == network.version and c in network for c in candidates):
            return True
    return False


def _is_literal(host: str, address: IPAddress) -> bool:
    try:
        return ipaddress.ip_address(host) == address
    except ValueError:
        return False


def check_destination(
    host: str,
    port: int,
    *,
    allowed_hosts: Iterable[str] = (),
    resolver: Resolver = system_resolver,
) -> Destination:
    """Resolve ``host`` once and return the addresses it is safe to connect to.

    Raises ``Blocked`` when any address of the host is refused (a name that answers
    with one public and one private address is refused whole), ``Unresolvable`` when
    it has none.
    """
    host = host.lower().strip("[]")
    allowed_hosts = list(allowed_hosts)
    addresses = resolver(host, port)
    if not addresses:
        raise Unresolvable(f"{host} has no address")
    checked: list[str] = []
    for text in addresses:
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            raise Blocked(
                f"{host} did not resolve to an IP address; the link checker does not connect "
                "there.",
                f"{host} resolved to {text!r}, which is not an IP address",
            ) from None
        if _allowed(host, address, allowed_hosts):
            checked.append(str(address))
            continue
        reason = block_reason(address)
        if reason:
            if _is_literal(host, address):  # the address was typed: nothing to hide
                message = f"{host} is {reason}; the link checker does not connect there."
                raise Blocked(message)
            policy = reason.split(" (embedded in ", 1)[0]
            raise Blocked(
                f"{host} resolves to {policy}; the link checker does not connect there.",
                f"{host} ({address}) is {reason}; the link checker does not connect there.",
            )
        checked.append(str(address))
    return Destination(host=host, port=port, addresses=tuple(checked))
