"""Publishers: the registered domain of an article's URL, worked out offline."""

from __future__ import annotations

import socket

import pytest
import requests

from tracker import urls
from tracker.matching import registered_domain


@pytest.mark.parametrize(
    ("url", "domain"),
    [
        ("https://www.northwire.example/2022/02/24/invasion", "northwire.example"),
        (
            "https://feeds.northwire.example/rss.xml",
            "northwire.example",
        ),  # same publisher, other feed
        ("http://WWW.Baltic-Ledger.Example:8080/a?b=c#d", "baltic-ledger.example"),
        ("www.northwire.example", "northwire.example"),  # a bare host
        ("https://news.bbc.co.uk/2/hi/europe", "bbc.co.uk"),  # a multi-label public suffix
        ("https://www.themoscowtimes.com/2022/01/21/a76108", "themoscowtimes.com"),
        ("https://example.com.", "example.com"),  # a trailing dot
        ("https://user:pw@edition.cnn.com/x", "cnn.com"),
        ("http://news.site.test/feed", "site.test"),  # unknown suffix: last two labels
        ("http://127.0.0.1:8000/feed.xml", "127.0.0.1"),
        ("http://[::1]:8000/feed.xml", "::1"),
        ("http://localhost:8000/", "localhost"),
        ("", ""),
        (None, ""),
        ("mailto:", ""),
        ("http://[bad/", ""),
    ],
)
def test_registered_domain(url, domain):
    assert registered_domain(url) == domain


def test_registered_domain_never_touches_the_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("registered_domain tried to use the network")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(requests.Session, "send", refuse)
    monkeypatch.setenv(
        "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "https://publicsuffix.org/list/public_suffix_list.dat"
    )
    urls._extractor.cache_clear()  # a fresh extractor loads its suffix list under the guard
    urls._host_domain.cache_clear()
    try:
        assert registered_domain("https://news.bbc.co.uk/x") == "bbc.co.uk"
        assert registered_domain("https://www.northwire.example/x") == "northwire.example"
    finally:
        urls._extractor.cache_clear()
        urls._host_domain.cache_clear()
