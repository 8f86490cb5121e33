"""The SSRF policy: no address of ours is reachable through a cited link."""

import ipaddress
import socket

import pytest

from annotations.linkcheck import fetch as f
from annotations.linkcheck import safety

STRICT = f.FetchPolicy(connect_timeout=1, read_timeout=1, total_timeout=2.5)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.255.255.254",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "198.18.0.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::a9fe:a9fe",  # NAT64 form of 169.254.169.254
        "2002:7f00:1::",  # 6to4 wrapping 127.0.0.1
        "fec0::1",
    ],
)
def test_non_public_addresses_are_refused(address):
    assert safety.block_reason(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "1.1.1.1"])
def test_public_addresses_are_allowed(address):
    assert safety.block_reason(ipaddress.ip_address(address)) is None


def _fixed(mapping):
    def resolve(host, port):
        return mapping[host]

    return resolve


def test_a_name_with_any_private_answer_is_refused_whole():
    resolver = _fixed({"mixed.example": ["93.184.216.34", "10.1.2.3"]})
    with pytest.raises(safety.Blocked, match="private"):
        safety.check_destination("mixed.example", 80, resolver=resolver)


def test_allow_list_takes_names_addresses_and_networks():
    resolver = _fixed(
        {"intranet": ["10.1.2.3"], "wiki.corp": ["10.9.0.5"], "10.9.0.6": ["10.9.0.6"]}
    )
    assert safety.check_destination(
        "intranet", 80, allowed_hosts=["intranet"], resolver=resolver
    ).addresses == ("10.1.2.3",)
    assert safety.check_destination(
        "wiki.corp", 80, allowed_hosts=["10.9.0.0/16"], resolver=resolver
    ).addresses == ("10.9.0.5",)
    with pytest.raises(safety.Blocked):
        safety.check_destination("10.9.0.6", 80, allowed_hosts=["10.9.0.5"], resolver=resolver)


@pytest.fixture
def loopback_port(web):
    return web.port


BLOCKED_URLS = [
    "http://127.0.0.1:{port}/ok",
    "http://localhost:{port}/ok",  # a host name that resolves to loopback
    "http://[::1]:{port}/ok",
    "http://[::ffff:127.0.0.1]:{port}/ok",
    "http://2130706433:{port}/ok",  # decimal
    "http://0177.0.0.1:{port}/ok",  # octal
    "http://0x7f.0.0.1:{port}/ok",  # hexadecimal
    "http://127.1:{port}/ok",  # shortened
    "http://0.0.0.0:{port}/ok",
    "http://10.0.0.1/",
    "http://192.168.0.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/",
    "http://224.0.0.1/",
    "http://240.0.0.1/",
    "http://[::]:{port}/ok",
]


@pytest.mark.parametrize("template", BLOCKED_URLS)
def test_blocked_with_an_empty_allow_list_and_nothing_reaches_the_server(web, template):
    result = f.fetch(template.format(port=web.port), STRICT)
    assert result.outcome == f.BLOCKED, result.error
    assert "does not connect there" in result.error
    assert web.log == []


def test_redirect_from_an_allowed_host_to_loopback_is_blocked(web):
    """localhost is allowed by name; the redirect to 127.0.0.1 is judged again and refused."""
    policy = f.FetchPolicy(connect_timeout=1, read_timeout=1, allowed_hosts=("localhost",))
    target = f"http://127.0.0.1:{web.port}/ok"
    result = f.fetch(f"http://localhost:{web.port}/to?url={target}", policy)
    assert result.outcome == f.BLOCKED
    assert result.error.startswith(f"redirect to {target}: 127.0.0.1 is a loopback address")
    assert web.paths() == [f"/to?url={target}"]  # the target itself was never asked for
    assert result.redirect_chain == [
        {"url": f"http://localhost:{web.port}/to?url={target}", "status": 302}
    ]


def test_connects_to_the_checked_address_without_a_second_lookup(web, monkeypatch):
    """DNS rebinding: the name is resolved once per hop and the socket goes to that answer."""
    answers = iter([["127.0.0.1"], ["10.0.0.1"]])
    lookups = []

    def rebinding(host, port):
        lookups.append(host)
        return next(answers)

    def no_dns(*args, **kwargs):
        raise AssertionError("a second DNS lookup happened")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    policy = f.FetchPolicy(connect_timeout=1, read_timeout=1, allowed_hosts=("rebind.test",))
    result = f.fetch(f"http://rebind.test:{web.port}/ok", policy, resolver=rebinding)
    assert result.outcome == f.OK
    assert lookups == ["rebind.test"]
    assert web.log == [("GET", "/ok", f"rebind.test:{web.port}")]  # Host header kept
