"""What the ingest stage refuses without fetching anything (issue 17): IPv6 addresses that carry a
forbidden IPv4 address to a relay or translator, and a DTD in a document whose encoding a plain
ASCII scan would not read (UTF-16/32 without a byte-order mark, EBCDIC).  The guard's decision is
checked on addresses directly: no connection is made."""

from __future__ import annotations

import ipaddress

import pytest

from tracker.errors import BlockedAddressError, FeedParseError
from tracker.ingest import AddressGuard, extract_page
from tracker.ingest._parse import harden, html_text, parse_feed
from tracker.ingest._ssrf import check_url, embedded_ipv4


def _ip(text: str) -> ipaddress.IPv6Address:
    address = ipaddress.ip_address(text)
    assert isinstance(address, ipaddress.IPv6Address)
    return address


def _teredo(server: str, client: str) -> str:
    """A Teredo address (2001::/32) for a server and a client, the client's bits inverted."""
    server_bits = int(ipaddress.IPv4Address(server))
    client_bits = int(ipaddress.IPv4Address(client)) ^ 0xFFFFFFFF
    value = (0x20010000 << 96) | (server_bits << 64) | (0x8000 << 48) | (0xFFFF << 32) | client_bits
    return str(ipaddress.IPv6Address(value))


def _nat64_local_48(v4: str) -> str:
    """64:ff9b:1::/48 with the IPv4 address at RFC 6052's /48 position (around the u octet)."""
    packed = ipaddress.IPv4Address(v4).packed
    raw = bytes.fromhex("0064ff9b0001") + packed[:2] + b"\x00" + packed[2:] + bytes(5)
    return str(ipaddress.IPv6Address(raw))


FORBIDDEN_INSIDE = {
    "6to4 of loopback": "2002:7f00:1::",
    "6to4 of loopback, host bits set": "2002:7f00:1:1234::abcd",
    "6to4 of the metadata service": "2002:a9fe:a9fe::1",
    "6to4 of a private network": "2002:0a00:0001::",
    "Teredo client loopback": _teredo("65.54.227.120", "127.0.0.1"),
    "Teredo client metadata service": _teredo("65.54.227.120", "169.254.169.254"),
    "Teredo server private": _teredo("10.0.0.1", "8.8.8.8"),
    "NAT64 well-known prefix, loopback": "64:ff9b::127.0.0.1",
    "NAT64 well-known prefix, metadata service": "64:ff9b::a9fe:a9fe",
    "NAT64 local-use /48, loopback": _nat64_local_48("127.0.0.1"),
    "NAT64 local-use /96, metadata service": "64:ff9b:1::a9fe:a9fe",
    "IPv4-mapped loopback": "::ffff:127.0.0.1",
    "IPv4-compatible loopback": "::127.0.0.1",
    "IPv4-compatible metadata service": "::169.254.169.254",
}


@pytest.mark.parametrize("name", sorted(FORBIDDEN_INSIDE))
def test_ipv6_carrying_a_forbidden_ipv4_is_refused(name):
    address = _ip(FORBIDDEN_INSIDE[name])
    reason = AddressGuard().refusal(address)
    assert reason and "carries" in reason, (name, address, reason)
    with pytest.raises(BlockedAddressError):
        AddressGuard().check("http://relay.example/", [address])


def test_the_embedded_address_is_decoded_for_each_form():
    assert embedded_ipv4(_ip("2002:7f00:1::")) == [ipaddress.IPv4Address("127.0.0.1")]
    assert ipaddress.IPv4Address("169.254.169.254") in embedded_ipv4(
        _ip(_teredo("65.54.227.120", "169.254.169.254"))
    )
    assert embedded_ipv4(_ip("64:ff9b::a9fe:a9fe")) == [ipaddress.IPv4Address("169.254.169.254")]
    assert ipaddress.IPv4Address("127.0.0.1") in embedded_ipv4(_ip(_nat64_local_48("127.0.0.1")))
    assert embedded_ipv4(_ip("2606:4700::1111")) == []
    assert embedded_ipv4(_ip("::1")) == []  # loopback itself, refused on its own


@pytest.mark.parametrize(
    "address", ["2002:808:808::", "2002:5db8:d822::1", "2606:4700::1111", "::ffff:1.1.1.1"]
)
def test_ipv6_carrying_a_public_ipv4_is_allowed(address):
    assert AddressGuard().refusal(_ip(address)) is None


def test_denied_networks_hold_inside_ipv6_too_when_private_addresses_are_allowed():
    """The tests' own setting: loopback allowed, 127.0.0.2 denied; 6to4 and NAT64 forms of
    127.0.0.2 are refused as 127.0.0.2 is."""
    guard = AddressGuard(allow_private=True, denied=(ipaddress.ip_network("127.0.0.2/32"),))
    assert guard.refusal(_ip("2002:7f00:1::")) is None
    for text in ("2002:7f00:2::", "64:ff9b::127.0.0.2", "::ffff:127.0.0.2"):
        assert "denied" in (guard.refusal(_ip(text)) or ""), text


def test_a_url_with_a_port_out_of_range_is_refused_before_any_connection():
    with pytest.raises(BlockedAddressError, match="not a valid URL"):
        check_url("http://127.0.0.1:99999/feed.xml")


# --- a DTD in any encoding -----------------------------------------------------------------------

DTD_FEED = (
    '<?xml version="1.0" encoding="{encoding}"?>'
    '<!DOCTYPE rss [<!ENTITY x "expanded">]>'
    '<rss version="2.0"><channel><title>&x;</title>'
    "<item><title>&x;</title><guid>1</guid></item></channel></rss>"
)


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_a_utf16_or_utf32_feed_without_a_byte_order_mark_cannot_declare_entities(codec):
    body = DTD_FEED.format(encoding=codec.rsplit("-", 1)[0]).encode(codec)
    assert not body.startswith((b"\xff\xfe", b"\xfe\xff"))  # no BOM
    with pytest.raises(FeedParseError, match="internal subset"):
        harden(body, "https://f.example/")
    with pytest.raises(FeedParseError, match="internal subset"):
        parse_feed(body, "https://f.example/")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_leading_white_space_does_not_hide_the_encoding(codec):
    body = ("\n  " + DTD_FEED.format(encoding="utf-16")).encode(codec)
    with pytest.raises(FeedParseError, match="internal subset"):
        parse_feed(body, "https://f.example/")


def test_a_dtd_in_a_charset_only_the_http_header_names_is_refused():
    """EBCDIC bytes: no ASCII ``<!DOCTYPE`` to see before transcoding; the check is repeated on
    the UTF-8 the parser is given."""
    body = DTD_FEED.format(encoding="cp037").encode("cp037")
    with pytest.raises(FeedParseError):
        parse_feed(body, "https://f.example/", charset="cp037")


def test_a_utf16_feed_without_a_byte_order_mark_is_still_read():
    body = (
        '<?xml version="1.0" encoding="utf-16"?><rss version="2.0"><channel><title>Wide</title>'
        "<item><title>Caf\u00e9 talks</title><guid>1</guid></item></channel></rss>"
    ).encode("utf-16-le")
    feed = parse_feed(body, "https://f.example/")
    assert feed.title == "Wide" and [e.title for e in feed.entries] == ["Caf\u00e9 talks"]


def test_entries_beyond_the_cap_are_dropped_and_counted():
    items = "".join(f"<item><title>t{i}</title><guid>{i}</guid></item>" for i in range(30))
    body = f'<rss version="2.0"><channel><title>x</title>{items}</channel></rss>'.encode()
    feed = parse_feed(body, "https://f.example/", max_entries=7)
    assert [e.title for e in feed.entries] == [f"t{i}" for i in range(7)] and feed.dropped == 23
    json_feed = (
        '{"version": "https://jsonfeed.org/version/1.1", "items": ['
        + ",".join(f'{{"id": "{i}", "title": "j{i}"}}' for i in range(12))
        + "]}"
    ).encode()
    feed = parse_feed(json_feed, "https://f.example/", max_entries=5)
    assert len(feed.entries) == 5 and feed.dropped == 7


def test_an_article_page_in_a_charset_that_cannot_decode_is_still_read():
    """``charset=undefined`` names a codec whose decoding always raises UnicodeError; the page's
    text is found by detection instead of the fetch failing with it."""

    body = (
        b"<html><body><article><p>"
        + b"Caf\xe9 talks went on. " * 40
        + b"</p></article></body></html>"
    )
    page = extract_page("https://x.example/a", body, "text/html; charset=undefined", 100)
    assert "talks went on" in page.text


@pytest.mark.parametrize(
    "markup",
    [
        "<div>" * 200_000 + "deep text",
        "<div>" * 200 + "<p>x</p>" * 1_000 + "deep text",
        "<i><b></i>" * 50_000 + "deep text",
    ],
)
def test_markup_nested_too_deep_for_a_parser_is_read_by_pattern(markup, monkeypatch):
    """An HTML5 parser's time grows with depth times tags (200,000 unclosed divs in one entry
    held a poll for over a minute): such markup never reaches it, and its text is still read."""
    from tracker.ingest import _parse

    def no_parser(markup: str) -> None:
        raise AssertionError("deeply nested markup was given to the HTML parser")

    monkeypatch.setattr(_parse, "LexborHTMLParser", no_parser)
    assert _parse.html_text(markup).endswith("deep text")


def test_ordinary_markup_still_goes_to_the_parser():
    paragraphs = "".join(
        f"<p>Paragraph {i} with <b>bold</b> and <a href='#'>a link</a>" for i in range(400)
    )
    text = html_text(f"<article><div><section>{paragraphs}</section></div></article>")
    assert text.startswith("Paragraph 0 with bold and a link Paragraph 1")
