"""The URL-ingest guard as pure functions: address classification, allow-list, one resolution.

No test here opens a connection or asks a DNS server: resolvers are plain functions.
"""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from avas.errors import InputError
from avas.interfaces.api.app import check_exposure, is_loopback_host, redact
from avas.interfaces.api.jobs import strip_paths
from avas.interfaces.api.settings import ApiSettings
from avas.interfaces.api.url_relay import looks_like_manifest
from avas.net import REFUSED, UrlRefused, check_url, host_allowed, is_public_address

INSIDE = [
    "127.0.0.1",
    "127.8.9.10",
    "0.0.0.0",
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",  # the cloud metadata service
    "169.254.0.1",
    "100.64.0.1",  # carrier-grade NAT
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "192.0.2.1",  # documentation
    "198.18.0.1",  # benchmarking
    "::",
    "::1",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "::ffff:10.0.0.1",
    "64:ff9b::7f00:1",  # NAT64 well-known prefix around 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # ... around 169.254.169.254
    "64:ff9b:1::a00:1",  # local-use NAT64 around 10.0.0.1
    "2002:7f00:1::1",  # 6to4 around 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 around 169.254.169.254
    "::127.0.0.1",  # IPv4-compatible
    "2001:db8::1",  # documentation
]
PUBLIC = ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize("text", INSIDE)
def test_inside_addresses_are_not_public(text: str) -> None:
    assert not is_public_address(ip_address(text)), text


@pytest.mark.parametrize("text", PUBLIC)
def test_public_addresses_are_public(text: str) -> None:
    assert is_public_address(ip_address(text)), text


def test_nat64_of_a_public_address_is_public() -> None:
    assert is_public_address(ip_address("64:ff9b::808:808"))  # 8.8.8.8 through NAT64


def _never(host: str, port: int) -> list[str]:
    raise AssertionError(f"an IP literal must not be resolved ({host})")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/x.ts",
        "http://[::1]/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0:22/",
        "rtsp://10.0.0.5/cam",
        "https://[64:ff9b::a9fe:a9fe]/",
        "http://2130706433/",  # 127.0.0.1 as a decimal integer: not an IP literal, resolved
    ],
)
def test_urls_to_inside_addresses_are_refused(url: str) -> None:
    def resolver(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]  # what the C resolver makes of 2130706433

    with pytest.raises(UrlRefused) as err:
        check_url(url, allow_hosts=[], schemes=["http", "https", "rtsp"], resolver=resolver)
    assert str(err.value) == REFUSED  # the same text for every reason: no oracle


def test_a_name_is_refused_when_any_answer_is_inside() -> None:
    def resolver(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "10.0.0.7"]

    with pytest.raises(UrlRefused):
        check_url("http://cams.example/x", allow_hosts=[], schemes=["http"], resolver=resolver)


def test_a_public_name_is_pinned_to_the_address_checked() -> None:
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])  # DNS that changes after the check
    calls: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        calls.append(host)
        return next(answers)

    target = check_url(
        "https://user:pw@cams.example:8443/live.ts?x=1",
        allow_hosts=[],
        schemes=["https"],
        resolver=resolver,
    )
    assert calls == ["cams.example"], "resolved exactly once"
    assert (target.ip, target.host, target.port) == ("93.184.216.34", "cams.example", 8443)
    assert target.pinned_url() == "https://user:pw@93.184.216.34:8443/live.ts?x=1"


def test_allow_list_admits_inside_hosts_by_name_ip_or_network() -> None:
    def resolver(host: str, port: int) -> list[str]:
        return ["192.168.7.20"]

    schemes = ["rtsp"]
    t = check_url("rtsp://cam1.lan/s", allow_hosts=["CAM1.lan"], schemes=schemes, resolver=resolver)
    assert t.allow_listed and t.ip == "192.168.7.20"
    assert check_url("rtsp://10.9.0.3/s", allow_hosts=["10.9.0.0/16"], schemes=schemes).allow_listed
    with pytest.raises(UrlRefused):
        check_url("rtsp://cam2.lan/s", allow_hosts=["cam1.lan"], schemes=schemes, resolver=resolver)
    assert not host_allowed("10.10.0.3", ["10.9.0.0/16"])
    assert not host_allowed("evilcam1.lan", ["cam1.lan"])


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "gopher://x/", "udp://8.8.8.8:5000", "http:///nohost", "x"]
)
def test_other_schemes_and_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(UrlRefused):
        check_url(url, allow_hosts=[], schemes=["http", "https"], resolver=_never)


def test_manifests_are_recognised_by_content() -> None:
    assert looks_like_manifest(b"#EXTM3U\n#EXT-X-VERSION:3\n")
    assert looks_like_manifest(b"\xef\xbb\xbf  <?xml version='1.0'?><MPD>")
    assert looks_like_manifest(b"[playlist]\nFile1=http://127.0.0.1/")
    assert not looks_like_manifest(b"\x47\x40\x00\x10" + b"\xff" * 60)  # an MPEG-TS packet
    assert not looks_like_manifest(b"\x1a\x45\xdf\xa3")  # Matroska


def test_exposure_needs_a_token_beyond_loopback() -> None:
    open_api = ApiSettings()
    check_exposure("127.0.0.1", open_api)
    check_exposure("::1", open_api)
    check_exposure("localhost", open_api)
    for host in ("0.0.0.0", "::", "192.168.1.5", "avas.example.org"):
        assert not is_loopback_host(host)
        with pytest.raises(InputError, match="AVAS_API__TOKEN"):
            check_exposure(host, open_api)
    check_exposure("0.0.0.0", ApiSettings(token="a-real-token-0123456789"))  # type: ignore[arg-type]


def test_redact_hides_token_like_query_values() -> None:
    line = "GET /videos/a/media?access_token=s3cr3t-value&exp=1&sig=abcdef HTTP/1.1"
    assert "s3cr3t" not in redact(line) and "abcdef" not in redact(line)
    assert "exp=1" in redact(line)


def test_strip_paths_keeps_only_file_names() -> None:
    text = "cannot decode '/srv/media/private/cam 1/a.mp4' (see /var/log/x.log); http://h/p/q.ts"
    out = strip_paths(text)
    assert "/srv" not in out and "/var" not in out and "a.mp4" in out and "x.log" in out
    assert "http://h/p/q.ts" in out  # URLs are not paths
