"""Parsing benchmark: the project's parse-to-rows vs fastfeedparser's parse alone, same bytes.

    .venv/bin/python benchmarks/bench_parse.py [--feeds 40] [--entries 30] [--rounds 5]

The feeds are generated here, shaped like real news: RSS 2.0 items with a teaser description
(about 250 characters, entity-escaped HTML), a full HTML body in ``content:encoded`` (CDATA;
median about 4,000 characters: paragraphs, links, emphasis, a figure, curly quotes, a few
``&nbsp;``-style entities), ``media:content`` with ``media:title``, ``media:thumbnail``,
``dc:creator``, categories and an RFC 822 date; a fifth of the feeds are Atom with
``type="html"`` content.

Measured in one run, as process CPU time over all feeds, alternating per round:

1. ``fastfeedparser.parse(bytes)`` with its defaults (what calling it alone costs);
2. ``tracker.ingest._parsepool.prepare(...)``: the poller's whole per-feed parse work (charset,
   repair, fastfeedparser, the item scan, HTML to text for title, summary and body, dates,
   the article rows in SQLite's driver values).

Goal (issue 13, speed (a)): prepare / fastfeedparser <= 3x.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_VOCABULARY = (
    "the minister said on Tuesday that government would cut emissions by half before 2030 "
    "while opposition leaders warned talks in Geneva could collapse over funding for the "
    "central bank rates inflation election results ceasefire agreement markets rallied"
)
WORDS = _VOCABULARY.split()


def _sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def _body(rng: random.Random, target: int) -> str:
    figure = (
        '<figure><img src="https://img.example/a.jpg" alt="A photo"/>'
        "<figcaption>Officials at the talks. (Photo: Agency)</figcaption></figure>"
    )
    parts = [figure]
    size = 0
    while size < target:
        para = (
            f"<p>{_sentence(rng, 18)} \u201c{_sentence(rng, 8)}\u201d he said&nbsp;&mdash; "
            f'<a href="https://news.example/r/{rng.randrange(10**6)}">{_sentence(rng, 4)}</a> '
            f"<em>{_sentence(rng, 5)}</em> {_sentence(rng, 14)}</p>\n"
        )
        parts.append(para)
        size += len(para)
    return "".join(parts)


def _body_length(rng: random.Random) -> int:
    return max(800, int(rng.lognormvariate(8.29, 0.45)))  # median e^8.29 ~ 4,000


def rss_feed(rng: random.Random, index: int, entries: int) -> bytes:
    now = datetime(2026, 1, 20, 12, tzinfo=UTC)
    items = []
    for i in range(entries):
        when = (now - timedelta(minutes=37 * i)).strftime("%a, %d %b %Y %H:%M:%S +0000")
        teaser = _sentence(rng, 40)
        items.append(
            f"<item><title>{_sentence(rng, 9)} &amp; more</title>"
            f"<link>https://news{index}.example/2026/01/story-{i}.html?utm_source=rss</link>"
            f'<guid isPermaLink="false">news{index}-{i}</guid><pubDate>{when}</pubDate>'
            f"<dc:creator>Reporter {i % 7}</dc:creator><category>World</category>"
            f"<category>Politics</category>"
            f"<description>&lt;p&gt;{teaser}&lt;/p&gt;</description>"
            f"<content:encoded><![CDATA[{_body(rng, _body_length(rng))}]]></content:encoded>"
            f'<media:content url="https://img.example/{index}/{i}.jpg" medium="image">'
            f"<media:title>Photo {i}</media:title><media:credit>Agency</media:credit>"
            f"</media:content>"
            f'<media:thumbnail url="https://img.example/{index}/{i}-t.jpg"/></item>'
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/">'
        f"<channel><title>News {index}</title><link>https://news{index}.example/</link>"
        f"<description>News</description>{''.join(items)}</channel></rss>"
    ).encode()


def atom_feed(rng: random.Random, index: int, entries: int) -> bytes:
    now = datetime(2026, 1, 20, 12, tzinfo=UTC)
    parts = []
    for i in range(entries):
        when = (now - timedelta(minutes=41 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = _body(rng, _body_length(rng)).replace("&", "&amp;").replace("<", "&lt;")
        parts.append(
            f"<entry><title>{_sentence(rng, 9)}</title><id>urn:news{index}:{i}</id>"
            f'<link rel="alternate" href="/2026/01/story-{i}"/><published>{when}</published>'
            f"<updated>{when}</updated><author><name>Reporter {i % 5}</name></author>"
            f'<category term="World"/><summary>{_sentence(rng, 40)}</summary>'
            f'<content type="html">{body}</content></entry>'
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Atom news {index}</title><id>urn:news{index}</id>"
        f'<link href="https://atom{index}.example/"/><updated>2026-01-20T12:00:00Z</updated>'
        f"{''.join(parts)}</feed>"
    ).encode()


def make_feeds(count: int, entries: int, seed: int = 13) -> list[bytes]:
    rng = random.Random(seed)
    return [
        atom_feed(rng, i, entries) if i % 5 == 4 else rss_feed(rng, i, entries)
        for i in range(count)
    ]


def _cpu(run, feeds: list[bytes]) -> float:
    start = time.process_time()
    for index, body in enumerate(feeds):
        run(index, body)
    return time.process_time() - start


def main() -> None:
    import fastfeedparser

    from tracker.ingest._parsepool import prepare

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=40)
    parser.add_argument("--entries", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    feeds = make_feeds(args.feeds, args.entries)
    entries = args.feeds * args.entries
    fetched = datetime(2026, 1, 20, 13, tzinfo=UTC)

    def peer(index: int, body: bytes) -> None:
        fastfeedparser.parse(body)

    def ours(index: int, body: bytes) -> None:
        prepare(index, body, f"https://news{index}.example/feed", fetched, for_sqlite=True)

    sample = prepare(0, feeds[0], "https://news0.example/feed", fetched)
    bodies = sorted(len(row["body"]) for row in sample.rows)  # type: ignore[index]
    print(
        f"{args.feeds} feeds x {args.entries} entries, {sum(map(len, feeds)) / 1e6:.1f} MB; "
        f"stored body text median {bodies[len(bodies) // 2]:,} characters"
    )
    peer_times, our_times = [], []
    _cpu(peer, feeds[:3]), _cpu(ours, feeds[:3])  # warm up both
    for _ in range(args.rounds):
        peer_times.append(_cpu(peer, feeds))
        our_times.append(_cpu(ours, feeds))
    peer_s, our_s = statistics.median(peer_times), statistics.median(our_times)
    print(f"fastfeedparser.parse alone:  {peer_s / entries * 1e6:7.1f} µs CPU per entry")
    print(f"prepare (parse to rows):     {our_s / entries * 1e6:7.1f} µs CPU per entry")
    print(f"ratio parse-to-rows / fastfeedparser: {our_s / peer_s:.2f}x  (goal <= 3x)")


if __name__ == "__main__":
    main()
