"""The one check every rendered outside link goes through, and the sign-in redirect guard."""

from __future__ import annotations

import pytest

from tracker.urls import local_path, safe_url


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/a?b=c#d",
        "https://www.themoscowtimes.com/2022/01/21/x",
        "HTTPS://EXAMPLE.ORG",
        "  https://example.org/padded  ",
    ],
)
def test_http_links_pass(url):
    assert safe_url(url) == url.strip()


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/x",
        "/relative/path",
        "example.org",
        "http://",
        "https:\\\\evil.example",
        "http://[::1",
        "file:///etc/passwd",
        "ftp://example.org/",
        "https://exa\x00mple.org",
    ],
)
def test_everything_else_is_dropped(url):
    assert safe_url(url) is None


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/forecasts?tag=nato", "/forecasts?tag=nato"),
        ("/", "/"),
        (None, "/"),
        ("", "/"),
        ("//evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("forecasts", "/"),
        ("/x\r\nSet-Cookie: a=b", "/"),
    ],
)
def test_local_path(target, expected):
    assert local_path(target) == expected
