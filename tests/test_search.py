"""Full-text search (issue 18): the analyzer and the query syntax, then hits, tiers, filters,
snippets and cursor pages on a real database (SQLite and PostgreSQL), and the index kept in step
by polling a real loopback feed, fetching an article's page, importing forecasts and migrating."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, inspect, text
from sqlalchemy.dialects import sqlite

from tests.conftest import ARTICLE_FILE
from tests.feedserver import FeedServer, Static, rss
from tracker import db, ingest, search, service
from tracker.clock import sqlite_text
from tracker.db import session_scope
from tracker.domain.registry import ForecastFilter
from tracker.domain.scale import EstimativeScale
from tracker.errors import InvalidInputError
from tracker.ingest import AddressGuard
from tracker.models import Article, Feed, UTCDateTime
from tracker.search import ArticleQuery, analyze, parse_query
from tracker.search._document import FILLER, MAX_OCCURRENCES, fts_values, tsvector_literal
from tracker.search._index import _sqlite_time
from tracker.search._query import fts_match, pg_tsquery
from tracker.search._snippet import snippet

SCALE = EstimativeScale.builtin()
DAY = datetime(2022, 3, 1, 12, tzinfo=UTC)


# --- the analyzer ------------------------------------------------------------------------------


def test_the_analyzer_folds_case_width_and_diacritics_drops_stop_words_and_stems():
    assert analyze("The Moratorium on INF-treaties") == ["moratorium", "inf", "treati"]
    assert analyze("Café NAÏVE résumé Zürich") == ["cafe", "naiv", "resum", "zurich"]
    wide = "".join(chr(ord(c) + 0xFEE0) for c in "Fullwidth")  # fullwidth letters: NFKC
    assert analyze(wide + " \ufb01nal") == ["fullwidth", "final"]
    assert analyze("foo_bar 3.14 u.s.") == ["foo", "bar", "3", "14", "u", "s"]  # no underscore
    assert analyze("running runs ran") == ["run", "run", "ran"]
    assert analyze("the of and") == [] and analyze("") == [] and analyze(None) == []
    assert analyze("x" * 41 + " kept") == ["kept"]  # a glued run is nobody's word


def test_ascii_text_splits_into_the_words_the_unicode_pattern_finds():
    """ASCII text is split by a translation table (the indexing hot path), other text by the
    regular expression: every ASCII character, alone and between words, gives the same words."""
    from tracker.search import _analyze

    every = "".join(chr(code) for code in range(128))
    samples = [every, every[::-1], "Moratorium_on INF-treaty 3.14\x00x\x1fy\tz\r\nEnd"]
    samples += [f"ab{chr(code)}CD{chr(code)}9" for code in range(128)]
    for sample in samples:
        assert _analyze.words(sample) == _analyze._RUN.findall(_analyze.fold(sample)), repr(sample)
    assert _analyze.words("Zürich NATO_x") == ["zurich", "nato", "x"]  # not ASCII: the pattern


def test_the_analyzer_gives_the_same_tokens_once_its_stem_cache_is_full(monkeypatch):
    from tracker.search import _analyze

    text = "Talks resumed; the moratorium failed, treaties lapsed and talks resumed"
    expected = analyze(text)
    monkeypatch.setattr(_analyze, "_STEMS", {})
    monkeypatch.setattr(_analyze, "_MAX_CACHED", 3)
    assert (
        analyze(text)
        == expected
        == ["talk", "resum", "moratorium", "fail", "treati", "laps", "talk", "resum"]
    )
    assert len(_analyze._STEMS) == 3


def test_a_token_used_more_often_than_postgres_keeps_positions_is_the_same_on_both():
    many = (["treati"] * (MAX_OCCURRENCES + 3), [], [])
    title, _, _ = fts_values(many)
    assert title.split().count("treati") == MAX_OCCURRENCES and title.count(FILLER) == 3
    literal = tsvector_literal(many)
    assert literal.count(",") == MAX_OCCURRENCES - 1  # 256 positions, the rest dropped alike
    # at the limit, across the fields, the filler starts with the occurrence past it
    at_limit = (["treati"] * 100, ["treati"] * 100, ["treati"] * (MAX_OCCURRENCES - 200))
    assert FILLER not in "".join(fts_values(at_limit))
    past = (at_limit[0], at_limit[1], [*at_limit[2], "treati"])
    assert "".join(fts_values(past)).count(FILLER) == 1


def _fts_values_counting_every_token(fields):
    """The columns with every occurrence counted from the first: past the limit, the filler."""
    running: Counter[str] = Counter()

    def kept(token: str) -> str:
        running[token] += 1
        return FILLER if running[token] > MAX_OCCURRENCES else token

    return tuple(" ".join(map(kept, tokens)) for tokens in fields)


_FIELD = st.lists(st.sampled_from(["treati", "inf", "moratorium", "nato"]), max_size=400)


@settings(max_examples=300, deadline=None)
@given(
    fields=st.tuples(st.lists(st.just("inf"), max_size=30), _FIELD, _FIELD),
    crowd=st.integers(0, 320),
    at=st.integers(0, 2),
)
def test_fts_values_fill_in_exactly_where_counting_every_token_would(fields, crowd, at):
    """Documents are counted in part first (``_document._may_overuse``); the filler must still
    start exactly at each token's occurrence past the limit, wherever its occurrences lie."""
    crowded = list(fields)
    crowded[at] = (
        [*crowded[at], *["crowd"] * crowd] if crowd % 2 else ["crowd"] * crowd + crowded[at]
    )
    assert fts_values(tuple(crowded)) == _fts_values_counting_every_token(crowded)


def test_a_token_crowding_the_end_of_a_long_document_is_still_counted():
    # the first part counted holds no crowd; 257 occurrences after it pass the limit
    fields = ([], [], ["inf", "nato"] * 150 + ["treati"] * (MAX_OCCURRENCES + 1))
    assert fts_values(fields)[2].count(FILLER) == 1


def test_postgres_positions_leave_a_gap_between_fields():
    literal = tsvector_literal((["inf"], ["treati"], ["moratorium"]))
    assert literal == "'inf':1A 'treati':3B 'moratorium':5"  # no phrase spans two fields


# --- the query syntax --------------------------------------------------------------------------


def test_words_phrases_prefixes_exclusions_and_or():
    query = parse_query('INF "security guarantees" -Ukraine morat* NATO OR Alliance')
    terms = [[(t.tokens, t.prefix) for t in group] for group in query.groups]
    assert terms == [
        [(("inf",), False)],
        [(("secur", "guarante"), False)],
        [(("morat",), True)],
        [(("nato",), False), (("allianc",), False)],
    ]
    assert [t.tokens for t in query.excluded] == [("ukrain",)]
    # a word of several tokens is a phrase; a prefix meets the stems it starts
    assert parse_query("U.S.-Russia").groups == parse_query('"u s russia"').groups
    assert parse_query("treaty*").groups[0][0].tokens == ("treat",)


def test_every_token_reaches_fts5_quoted_so_no_fts_syntax_comes_from_the_user():
    query = parse_query('NEAR(a b) {title}: ^foo AND bar* "x" -col:y')
    match = fts_match(query)
    assert "NEAR" not in match.replace('"near"', "") and "^" not in match
    assert '"foo"' in match and '"bar" *' in match and 'NOT ("col" + "y")' in match
    assert pg_tsquery(parse_query("inf -treaty")) == "((('inf'))) & !('treati')"


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ('"unbalanced phrase', "unbalanced quote: the \" before 'unbalanced phrase'"),
        ("a\x00b", "NUL character"),
        ("x " * 251, "the limit is 500"),
        ("the of", "every word is too common to search: 'the', 'of'; add a rarer word"),
        ("-russia -nato", "only excludes words"),
        ("%%% ___ !!", "has no words to search for"),
        ("*", "needs at least 2 letters before it"),
        ("a*", "needs at least 2 letters before it"),
        ("-russia OR nato", "OR joins two terms"),
    ],
)
def test_bad_queries_are_one_line_naming_q(typed, says):
    with pytest.raises(InvalidInputError) as caught:
        parse_query(typed)
    assert caught.value.field == "q" and says in str(caught.value)
    assert "\n" not in str(caught.value)


def test_percent_underscore_and_ten_thousand_characters_are_an_answer_not_a_database_error():
    assert parse_query("100% of_it").groups[0][0].tokens == ("100",)
    with pytest.raises(InvalidInputError, match="limit is 500"):
        parse_query("moratorium " * 1000)


# --- snippets ----------------------------------------------------------------------------------


def test_a_snippet_shows_the_densest_stretch_with_the_query_words_marked():
    body = "Filler words here. " * 30 + "The INF treaty moratorium was extended. " + "More. " * 50
    tokens, prefixes = parse_query("treaties morat*").highlights()
    parts = snippet(body, tokens, prefixes)
    assert [t for t, hit in parts if hit] == ["treaty", "moratorium"]
    shown = "".join(t for t, _ in parts)
    assert shown.startswith("…") and shown.endswith("…") and len(shown) <= 210
    assert snippet("<b>x</b> & y") == [("<b>x</b> & y", False)]  # parts: the front end escapes


# --- articles on a database --------------------------------------------------------------------


def _feed(session, n: int, title: str = "Feed") -> int:
    feed = Feed(url=f"https://feed{n}.example/rss", title=f"{title} {n}", interval_s=900)
    session.add(feed)
    session.flush()
    assert feed.id is not None
    return feed.id


def add_articles(engine, rows: list[dict]) -> list[int]:
    """Stores articles (title, summary, body, feed_id, publisher, at) and indexes them, as the
    ingest store does."""
    with session_scope(engine) as session:
        articles = [
            Article(
                feed_id=row.get("feed_id"),
                identity=f"{row['title']}-{row.get('at', DAY).isoformat()}-{i}",
                title=row["title"],
                summary=row.get("summary", ""),
                body=row.get("body", ""),
                author=row.get("author"),
                publisher=row.get("publisher"),
                published_at=row.get("at", DAY),
                content_hash="h",
            )
            for i, row in enumerate(rows)
        ]
        session.add_all(articles)
        session.flush()
        ids = [a.id for a in articles if a.id is not None]
        search.index_articles(session, ids)
        return ids


def found(engine, query: ArticleQuery | str, **kw) -> list[tuple[int, int]]:
    if isinstance(query, str):
        query = ArticleQuery(query)
    with session_scope(engine, write=False) as session:
        page = service.search_articles(session, query, per_page=kw.pop("per_page", 100), **kw)
    return [(hit.article_id, hit.tier) for hit in page.items]


def test_hits_come_by_tier_then_newest_first(engine):
    title, lead, body, old_title, none = add_articles(
        engine,
        [
            {"title": "INF treaty moratorium", "at": DAY},
            {"title": "Talks", "summary": "A moratorium on the INF treaty", "at": DAY},
            {"title": "Talks", "body": "the treaty talks and a moratorium", "at": DAY},
            {"title": "Moratorium on the treaty", "at": DAY - timedelta(days=9)},
            {"title": "Weather", "body": "rain"},
        ],
    )
    assert found(engine, "treaty moratorium") == [(title, 2), (old_title, 2), (lead, 1), (body, 0)]
    # the whole query within the title: a word only in the body drops a title hit to tier 0
    assert found(engine, "treaty rain") == []
    assert found(engine, "inf moratorium") == [(title, 2), (lead, 1)]
    assert found(engine, '"treaty moratorium"') == [(title, 2)]  # a phrase, words adjacent
    assert found(engine, "moratori*") == [(title, 2), (old_title, 2), (lead, 1), (body, 0)]
    assert found(engine, "moratorium -inf") == [(old_title, 2), (body, 0)]
    assert found(engine, 'treaty -"inf treaty"') == [(old_title, 2), (body, 0)]
    assert found(engine, "weather OR inf") == [(none, 2), (title, 2), (lead, 1)]  # id breaks ties
    assert none not in [i for i, _ in found(engine, "treaty")]


def test_filters_combine_with_the_text_and_no_text_lists_newest_first(engine):
    with session_scope(engine) as session:
        one, two = _feed(session, 1), _feed(session, 2)
    rows = [
        {"title": "Summit A", "feed_id": one, "publisher": "reuters.com", "at": DAY},
        {"title": "Summit B", "feed_id": two, "publisher": "apnews.com", "at": DAY},
        {"title": "Summit C", "feed_id": one, "publisher": "apnews.com", "at": DAY + timedelta(1)},
        {"title": "Other D", "feed_id": one, "publisher": "reuters.com", "at": DAY + timedelta(2)},
    ]
    a, b, c, d = add_articles(engine, rows)
    assert found(engine, ArticleQuery("summit", feed_id=one)) == [(c, 2), (a, 2)]
    assert found(engine, ArticleQuery("summit", publisher="apnews.com")) == [(c, 2), (b, 2)]
    day = DAY.date()
    assert found(engine, ArticleQuery("summit", since=day + timedelta(1))) == [(c, 2)]
    assert found(engine, ArticleQuery("summit", until=day)) == [(b, 2), (a, 2)]
    assert found(engine, ArticleQuery(feed_id=one)) == [(d, 0), (c, 0), (a, 0)]
    assert found(engine, ArticleQuery()) == [(d, 0), (c, 0), (b, 0), (a, 0)]
    with session_scope(engine, write=False) as session:
        hit = service.search_articles(session, ArticleQuery("summit", feed_id=one)).items[0]
    assert (hit.title, hit.feed_title, hit.publisher, hit.published_at) == (
        "Summit C",
        "Feed 1",
        "apnews.com",
        DAY + timedelta(1),
    )


def test_snippets_come_from_the_hits_text(engine):
    body = "Nothing yet. " * 40 + "Russia said the moratorium on deploying missiles stands."
    add_articles(engine, [{"title": "News", "summary": "teaser", "body": body}])
    with session_scope(engine, write=False) as session:
        hit = service.search_articles(session, ArticleQuery("moratorium deploy*")).items[0]
    assert [t for t, is_hit in hit.snippet if is_hit] == ["moratorium", "deploying"]


def _all_pages(engine, query: ArticleQuery, per_page: int, between=None) -> list[int]:
    seen: list[int] = []
    cursor = None
    with session_scope(engine, write=False) as session:
        while True:
            page = service.search_articles(session, query, cursor=cursor, per_page=per_page)
            seen += [hit.article_id for hit in page.items]
            if between:
                between()
                between = None
            if page.next_cursor is None:
                return seen
            cursor = page.next_cursor


def test_cursor_pages_neither_repeat_nor_skip_when_newer_rows_arrive(engine):
    rows = [
        {"title": "Treaty talks" if i % 3 == 0 else "Talks", "body": "the treaty", "at": DAY}
        for i in range(25)
    ]
    ids = add_articles(engine, rows)  # ties on the date: the id breaks them, on both engines
    expected = found(engine, "treaty")
    assert len(expected) == 25 and {t for _, t in expected} == {2, 0}

    def newer() -> None:
        add_articles(engine, [{"title": "Treaty news", "at": DAY + timedelta(days=1)}] * 5)

    seen = _all_pages(engine, ArticleQuery("treaty"), 7, between=newer)
    assert seen == [i for i, _ in expected] and sorted(seen) == sorted(ids)
    assert len(_all_pages(engine, ArticleQuery(), 4)) == 30


def test_a_bad_cursor_or_page_size_is_one_line(engine):
    with session_scope(engine, write=False) as session:
        for bad in ("not-a-cursor", "WzEsMl0"):
            with pytest.raises(InvalidInputError) as caught:
                service.search_articles(session, ArticleQuery("x y"), cursor=bad)
            assert caught.value.field == "cursor"
        with pytest.raises(InvalidInputError, match="until: 2022-01-01 is before since"):
            query = ArticleQuery("x", since=date(2022, 2, 1), until=date(2022, 1, 1))
            service.search_articles(session, query)
        with pytest.raises(InvalidInputError, match="per_page"):
            service.search_articles(session, ArticleQuery("treaty"), per_page=0)
        with pytest.raises(InvalidInputError) as caught:
            service.search_articles(session, ArticleQuery('"oops'))
        assert caught.value.field == "q"


def test_a_deleted_article_never_shows_and_a_rebuild_drops_it(engine):
    keep, gone = add_articles(engine, [{"title": "Treaty one"}, {"title": "Treaty two"}])
    with session_scope(engine) as session:
        session.execute(delete(Article).where(Article.id == gone))
    assert found(engine, "treaty") == [(keep, 2)]
    assert service.reindex_search(engine) == {"articles": 1, "forecasts": 0}
    assert found(engine, "treaty") == [(keep, 2)]
    with session_scope(engine, write=False) as session:
        state = service.search_index_state(session)
    assert not state.stale and state.built_with == str(search.ANALYZER_VERSION)


def test_reindex_rebuilds_the_same_index_and_says_so(cli, engine):
    ids = add_articles(engine, [{"title": f"Treaty {i}", "body": "moratorium"} for i in range(5)])
    before = found(engine, "treaty moratorium")
    with engine.begin() as connection:
        connection.execute(text("UPDATE search_meta SET value = '0'"))
    result = cli("search", "reindex")
    assert "built with analyzer 0" in result.output and "Indexed 5 articles" in result.output
    assert found(engine, "treaty moratorium") == before and len(before) == len(ids)


# --- kept in step ------------------------------------------------------------------------------


def poll_items(engine, items: list[dict]) -> tuple[int, ingest.PollResult]:
    """Adds a loopback feed serving ``items`` as RSS and polls it once, as `tracker poll` does."""
    with FeedServer() as server:
        url = server.add("/feed.xml", Static(rss(items)))
        with session_scope(engine) as session:
            feed_id = ingest.add_feed(session, url, interval=timedelta(hours=1)).id
        with ingest.Fetcher(guard=AddressGuard(allow_private=True)) as fetcher:
            return feed_id, ingest.Poller(engine, fetcher).poll_feed(feed_id)


def test_a_polled_article_is_found_at_once(engine):
    items = [
        {
            "title": "Zapad exercise announced",
            "link": "https://news.example/zapad",
            "guid": "zapad-1",
            "description": "Belarus hosts the drills near the border.",
            "pubDate": "Mon, 21 Feb 2022 10:00:00 +0000",
        }
    ]
    feed_id, result = poll_items(engine, items)
    assert found(engine, "belarus drill*") == [(result.new_article_ids[0], 1)]
    assert found(engine, ArticleQuery("zapad", feed_id=feed_id)) == [(result.new_article_ids[0], 2)]


def _index_snapshot(engine) -> list[tuple]:
    """What the index holds for articles: FTS5's every token instance (term, article, column,
    offset) read through fts5vocab, or PostgreSQL's vectors as text."""
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql(
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.article_vocab "
                "USING fts5vocab(main, article_fts, instance)"
            )
            sql = "SELECT term, doc, col, offset FROM temp.article_vocab ORDER BY 2, 3, 4"
        else:
            sql = "SELECT article_id, tsv::text, head_tsv::text FROM article_search ORDER BY 1"
        rows = [tuple(row) for row in connection.exec_driver_sql(sql)]
        dates = connection.exec_driver_sql(
            "SELECT article_id, published_at FROM article_search ORDER BY 1"
        ).all()
    return rows + [tuple(row) for row in dates]


def test_a_polls_index_entries_are_the_ones_a_rebuild_makes_from_the_stored_rows(engine):
    """The parse step analyzes each entry before the write lock (Prepared.index_values); what it
    writes must be exactly what analyzing the stored article gives: same tokens, positions,
    columns, fillers and dates."""
    crowded = " ".join(["treaty"] * 300)  # past PostgreSQL's 256 positions: the filler
    items = [
        {
            "title": f"Ceasefire talks in Genève, round {i}",
            "link": f"https://news.example/talks/{i}",
            "guid": f"talks-{i}",
            "description": f"&lt;p&gt;Négociations {i}: the moratorium on INF-range missiles. "
            f"{crowded if i == 2 else ''}&lt;/p&gt;",
            "author": f"desk{i}@news.example (Desk {i})",
            "pubDate": f"Mon, {21 + i} Feb 2022 10:00:00 +0000",
        }
        for i in range(4)
    ]
    _feed, result = poll_items(engine, items)
    assert len(result.new_article_ids) == 4
    polled = _index_snapshot(engine)
    if engine.dialect.name == "sqlite":
        assert (FILLER, result.new_article_ids[2], "lead") in {row[:3] for row in polled}
    search.rebuild_index(engine)
    assert _index_snapshot(engine) == polled
    newest_first = sorted(result.new_article_ids, reverse=True)
    assert found(engine, "genève moratorium") == [(i, 1) for i in newest_first]


def test_an_item_stored_on_a_second_insert_is_indexed_with_its_own_date(engine):
    """A new guid under a stored link and title conflicts on the story key and goes in on a
    second insert without it (``ingest._store``); the poll indexes it from what that insert
    returned, with its own date, exactly as a rebuild from the stored row would."""
    talks = {"title": "Talks resume", "link": "https://news.example/talks"}
    first = {**talks, "guid": "talks-1", "description": "Envoys meet in Geneva."}
    again = {**talks, "guid": "talks-2", "description": "Envoys meet once more, in Vienna."}
    with FeedServer() as server:
        url = server.add(
            "/feed.xml", Static(rss([first | {"pubDate": "Mon, 21 Feb 2022 10:00:00 +0000"}]))
        )
        with session_scope(engine) as session:
            feed_id = ingest.add_feed(session, url, interval=timedelta(hours=1)).id
        with ingest.Fetcher(guard=AddressGuard(allow_private=True)) as fetcher:
            poller = ingest.Poller(engine, fetcher)
            (geneva,) = poller.poll_feed(feed_id).new_article_ids
            server.add(
                "/feed.xml", Static(rss([again | {"pubDate": "Wed, 23 Feb 2022 09:30:00 +0000"}]))
            )
            (vienna,) = poller.poll_feed(feed_id, force=True).new_article_ids
    with session_scope(engine) as session:
        assert session.get(Article, vienna).story is None  # the second insert's row
    assert found(engine, "envoys") == [(vienna, 1), (geneva, 1)]  # newest first: its own date
    assert found(engine, "vienna") == [(vienna, 1)]
    polled = _index_snapshot(engine)
    search.rebuild_index(engine)
    assert _index_snapshot(engine) == polled


def test_a_fetched_page_replacing_the_body_updates_the_hits(engine, tmp_path):
    from tests.pagesite import article_page, page_route, paragraphs
    from tests.test_pages import DECIDING, LIMITS, POLICY, poll_full_text_feed, settings

    with FeedServer() as server:
        server.add("/news/madrid", page_route(article_page("Madrid", [*paragraphs(4), DECIDING])))
        result = poll_full_text_feed(engine, server, ["/news/madrid"])
        article_id = result.new_article_ids[0]
        assert found(engine, "bucharest") == [] and found(engine, "correspondent")
        pages = ingest.make_page_fetcher(settings(tmp_path), limits=LIMITS)
        try:
            assert ingest.fetch_article_page(engine, pages, article_id, POLICY).rematch
        finally:
            pages.close()
    assert found(engine, "bucharest promise") == [(article_id, 0)]
    # out with the old values, in with the new: one entry, no stale or doubled one
    assert found(engine, "story") == [(article_id, 2)]
    with session_scope(engine) as session:
        stored = session.get(Article, article_id)
        assert stored is not None
        texts = (stored.summary, stored.body)
    teaser_words = "correspondent" in " ".join(texts).lower()
    assert bool(found(engine, "correspondent")) == teaser_words


def test_an_article_changed_between_unindex_and_index_is_found_by_its_new_text_only(engine):
    (article_id,) = add_articles(engine, [{"title": "Summit", "body": "alpha words"}])
    with session_scope(engine) as session:
        search.unindex_articles(session, [article_id])
        session.execute(
            text("UPDATE article SET body = 'beta words' WHERE id = :i"), {"i": article_id}
        )
        search.index_articles(session, [article_id])
        search.index_articles(session, [article_id])  # again: already in, left alone
    assert found(engine, "alpha") == [] and found(engine, "beta") == [(article_id, 0)]
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":  # the old entry really left FTS5's index
            rows = connection.execute(
                text("SELECT count(*) FROM article_fts WHERE article_fts MATCH 'alpha'")
            ).scalar_one()
            assert rows == 0


def test_forecasts_are_found_after_import_and_the_list_filters_by_the_index(engine):
    with session_scope(engine) as session:
        service.import_forecasts(session, [ARTICLE_FILE], SCALE, actor="t", today=date(2022, 2, 1))
    with session_scope(engine, write=False) as session:
        page = service.search_forecast_text(session, "moratorium", per_page=50)
        hits = {h.forecast_id: h for h in page.items}
        assert "nato-moratorium" in hits and hits["nato-moratorium"].tier == 2
        assert [h.tier for h in page.items] == sorted((h.tier for h in page.items), reverse=True)
        assert any(hit for hit in hits["nato-moratorium"].snippet if hit[1])
        by_author = service.search_forecast_text(
            session, "moratorium", ForecastFilter(author="nobody such")
        )
        assert by_author.items == []
        tagged = service.search_forecast_text(session, "moratorium", ForecastFilter(tag="nato"))
        assert {h.forecast_id for h in tagged.items} <= set(hits)
        listed = service.search_forecasts(session, ForecastFilter(text="moratorium"), per_page=50)
        assert {row.id for row in listed.items} == set(hits)
        exact = service.search_forecasts(session, ForecastFilter(text="nato-moratorium"))
        assert "nato-moratorium" in {row.id for row in exact.items}


def test_a_reimported_forecast_is_found_by_its_new_words_only(engine, tmp_path):
    copy = tmp_path / ARTICLE_FILE.name
    copy.write_text(ARTICLE_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "sources").mkdir()
    source = ARTICLE_FILE.parent / "sources" / "trenin-2022-01-21.txt"
    (tmp_path / "sources" / source.name).write_bytes(source.read_bytes())
    with session_scope(engine) as session:
        service.import_forecasts(session, [copy], SCALE, actor="t", today=date(2022, 2, 1))
    before = copy.read_text(encoding="utf-8")
    copy.write_text(before.replace("Will NATO retract or", "Will NATO zanzibarize or"), "utf-8")
    with session_scope(engine) as session:
        service.import_forecasts(session, [copy], SCALE, actor="t", today=date(2022, 2, 1))
    with session_scope(engine, write=False) as session:
        new = service.search_forecast_text(session, "zanzibarize")
        assert [(h.forecast_id, h.tier) for h in new.items] == [("bucharest-retraction-madrid", 2)]
        # "retract" is still in its rule's phrases (tier 0), no longer in its question (tier 2)
        old = service.search_forecast_text(session, "retract")
        assert [(h.forecast_id, h.tier) for h in old.items] == [("bucharest-retraction-madrid", 0)]


def test_a_database_at_0015_is_indexed_by_the_migration(database_url):
    """Articles and forecasts stored before 0016 are found after it (the forecasts are imported
    at head and the index dropped by going down to 0015, which leaves them in place)."""
    from alembic import command

    engine = db.make_engine(database_url)
    try:
        db.upgrade(engine)
        with session_scope(engine) as session:
            service.import_forecasts(
                session, [ARTICLE_FILE], SCALE, actor="t", today=date(2022, 2, 1)
            )
        command.downgrade(db.alembic_config(engine), "0015")
        with engine.begin() as connection:
            assert "article_search" not in inspect(connection).get_table_names()
            connection.execute(
                text(
                    "INSERT INTO article (id, identity, title, summary, body, categories,"
                    " published_at, published_estimated, fetched_at, content_hash,"
                    " text_truncated, page_attempts) VALUES (7, 'i', 'Old treaty news', '',"
                    " 'the moratorium holds', '[]', '2022-01-21 10:00:00', false,"
                    " '2022-01-21 10:00:00', 'h', false, 0)"
                )
            )
        db.upgrade(engine)
        assert found(engine, "treaty moratorium") == [(7, 0)]
        with session_scope(engine, write=False) as session:
            page = service.search_forecast_text(session, "moratorium")
        assert "nato-moratorium" in {h.forecast_id for h in page.items}
    finally:
        engine.dispose()


def test_a_document_of_long_distinct_words_stays_within_a_tsvector():
    import random

    from tracker.search._document import MAX_LEXEME_BYTES, article_fields

    rng = random.Random(1)
    body = " ".join(
        "".join(chr(rng.randrange(0x20000, 0x2A000)) for _ in range(40)) for _ in range(9000)
    )
    fields = article_fields("title", "", body, None, None)
    assert (
        0 < len(fields[2]) < 9000
        and len(tsvector_literal(fields).encode()) < MAX_LEXEME_BYTES * 1.2
    )


def test_the_snippets_quick_scan_marks_what_a_word_by_word_scan_marks():
    from tracker.search._snippet import _hits, _hits_by_word

    text = (
        "Treaties and the INF treaty; a treatise. Morat moratoria, moratorium! Zürich's cafe "
        "sanctioned sanctions_regime NATO-led nato2 Guarantees guaranteed re-guarantee."
    )
    for query in ("treaty", "morat*", "sanction", "nato guarantee", "zurich cafe", "treat*"):
        tokens, prefixes = parse_query(query).highlights()
        assert _hits(text, tokens, prefixes) == _hits_by_word(text, tokens, prefixes), query
        assert _hits(text, tokens, prefixes), query


@pytest.mark.parametrize(
    ("stored", "indexed"),
    [
        ("2022-01-21 10:00:00.000000", "2022-01-21 10:00:00.000000"),  # a poll's rows: kept
        ("2022-01-21 10:00:00", "2022-01-21 10:00:00.000000"),  # written by hand: completed
        ("2022-01-21T10:00:00+02:00", "2022-01-21 08:00:00.000000"),  # with a zone: in UTC
        (datetime(2022, 1, 21, 10, tzinfo=UTC), "2022-01-21 10:00:00.000000"),
        ("0999-01-02 03:04:05", "0999-01-02 03:04:05.000000"),  # four digits: before 1000
        (datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=UTC), "0999-01-02 03:04:05.000006"),
    ],
)
def test_the_index_dates_an_article_in_the_one_text_form_sqlite_orders_by(stored, indexed):
    """``article_search.published_at`` orders hits as text, so every date is written in
    SQLAlchemy's form, whatever form the article row holds it in."""
    assert _sqlite_time(stored) == indexed


@pytest.mark.parametrize(
    "at",
    [
        datetime(2022, 1, 21, 10, 0, 0, 7, tzinfo=UTC),
        datetime(2022, 1, 21, 12, 30, tzinfo=timezone(timedelta(hours=2, minutes=30))),
        datetime(999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=UTC),
    ],
)
def test_times_written_through_the_driver_are_the_text_sqlalchemy_stores(at):
    """The poll's rows (``_rows``) and the index's dates (``_index``) are written as text by
    ``clock.sqlite_text``, beside rows SQLAlchemy writes itself: the same text, or an ORDER BY
    on the column mixes them up."""
    dialect = sqlite.dialect()
    stored = sqlite.DATETIME().bind_processor(dialect)(
        UTCDateTime().process_bind_param(at, dialect)
    )
    assert sqlite_text(at) == stored
