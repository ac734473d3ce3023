"""Article pages for the page-fetch tests and benchmark: news-site HTML written here (invented
text, a site's usual furniture around the article), served by :class:`tests.feedserver.FeedServer`.
"""

from __future__ import annotations

import html
import random

from tests.feedserver import Static

HTML = "text/html; charset=utf-8"

_WORDS = (
    "ministers",
    "officials",
    "delegation",
    "agreement",
    "council",
    "parliament",
    "coalition",
    "budget",
    "region",
    "security",
    "talks",
    "capital",
    "border",
    "envoy",
    "statement",
    "summit",
    "committee",
    "vote",
    "reform",
    "treaty",
    "negotiators",
    "spokesperson",
    "government",
    "opposition",
    "alliance",
    "observers",
    "economy",
    "sanctions",
)


def paragraphs(count: int, *, seed: int = 0, words: int = 60) -> list[str]:
    """``count`` paragraphs of plausible filler prose (deterministic for a seed)."""
    rng = random.Random(seed)
    found = []
    for _ in range(count):
        sentences = []
        left = words
        while left > 0:
            n = rng.randint(8, 16)
            sentence = " ".join(rng.choice(_WORDS) for _ in range(n))
            sentences.append(sentence.capitalize() + ".")
            left -= n
        found.append(" ".join(sentences))
    return found


def article_page(
    title: str,
    body: list[str],
    *,
    published: str | None = "2022-06-29T18:00:00+00:00",
    site: str = "The Kestrel Post",
    related: int = 8,
    furniture: int = 1,
) -> bytes:
    """A news article page: head metadata, navigation, the article, related links, footer;
    ``furniture`` multiplies the site's own parts (menus, footer links, structured data), which
    real news pages carry plenty of."""
    nav = "".join(f'<li><a href="/section/{i}">Section {i}</a></li>' for i in range(12 * furniture))
    footer = "".join(
        f'<li><a href="/about/{i}">About us, page {i}</a></li>' for i in range(10 * furniture)
    )
    data = ",".join(
        f'{{"@type": "ListItem", "position": {i}, "name": "Section {i}"}}'
        for i in range(20 * (furniture - 1))
    )
    links = "".join(
        f'<li><a href="/related/{i}">Related story number {i} about the region</a></li>'
        for i in range(related)
    )
    meta = f'<meta property="article:published_time" content="{published}">' if published else ""
    text = "".join(f"<p>{html.escape(p)}</p>" for p in body)
    page = (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)} | {site}</title>{meta}"
        f'<meta name="description" content="{html.escape(title)}">'
        f'<script type="application/ld+json">{{"itemListElement": [{data}]}}</script>'
        "</head><body>"
        f'<header><div class="logo">{site}</div><nav><ul>{nav}</ul></nav>'
        '<div class="login"><a href="/login">Sign in</a> | <a href="/subscribe">Subscribe</a>'
        "</div></header>"
        f'<main><article><h1>{html.escape(title)}</h1><div class="byline">By our '
        f"correspondent</div>{text}</article>"
        f"<aside><h2>Related</h2><ul>{links}</ul></aside></main>"
        f"<footer><ul>{footer}</ul><p>&copy; {site}. All rights reserved.</p>"
        '<p><a href="/privacy">Privacy</a> <a href="/terms">Terms</a></p></footer>'
        "</body></html>"
    )
    return page.encode("utf-8")


def login_wall(title: str) -> bytes:
    """A paywalled page: the headline and a sign-in prompt, no article text."""
    return (
        f"<!DOCTYPE html><html><head><title>{html.escape(title)}</title></head><body>"
        f"<header>The Kestrel Post</header><main><h1>{html.escape(title)}</h1>"
        "<p>Subscribe to continue reading.</p><form><input name=user><input name=pass "
        "type=password><button>Sign in</button></form></main></body></html>"
    ).encode()


def no_article() -> bytes:
    """A page with navigation only: an index, not an article."""
    nav = "".join(f'<li><a href="/s/{i}">Section {i}</a></li>' for i in range(30))
    return f"<!DOCTYPE html><html><body><nav><ul>{nav}</ul></nav></body></html>".encode()


def page_route(body: bytes, **kwargs: object) -> Static:
    return Static(body, content_type=HTML, **kwargs)  # type: ignore[arg-type]
