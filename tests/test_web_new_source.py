"""A new source from an article: the use case that saves the analyst's forecasts as a forecast
file and imports it (all or nothing), the "New source" page's forms, and ``/api/sources``.

The seeded database holds the Trenin article's forecasts under the key ``trenin-2022-01-21``
(imported from the project's ``forecasts/``), so saving the same article again files it as
``trenin-2022-01-21-2``, with ids of its own."""

from __future__ import annotations

import re
from datetime import date
from html import unescape
from pathlib import Path

import pytest
from sqlmodel import select

from tests.conftest import ARTICLE_FILE
from tests.web_fixtures import csrf_token_of, make_token, settings_for, sign_in
from tracker import service
from tracker.db import session_scope
from tracker.domain import registry
from tracker.domain.scale import EstimativeScale
from tracker.errors import (
    ConflictError,
    ExtractionError,
    ForecastImportError,
    InvalidInputError,
)
from tracker.extract import Candidate, SourceMeta
from tracker.models import AuditEntry, Forecast, Source

TEXT = (ARTICLE_FILE.parent / "sources" / "trenin-2022-01-21.txt").read_text(encoding="utf-8")
META = SourceMeta(
    title="What a Week of Talks Between Russia and the West Revealed",
    author="Dmitri Trenin",
    publisher="The Moscow Times",
    published=date(2022, 1, 21),
)
NEW_KEY = "trenin-2022-01-21-2"  # the first key is the seeded source's
QUOTES = {
    "madrid-no-retraction": "Yet this is unlikely to happen at the alliance’s summit in Madrid "
    "this year",
    "moratorium-on-new-members": "NATO could, at the initiative of the United States, announce "
    "a long-term moratorium on new members",
    "congress-sanctions": "Backstage, the U.S. Congress is discussing new sanctions",
}


def candidate(forecast_id: str, quote: str | None = None, **changes) -> Candidate:
    quote = QUOTES[forecast_id] if quote is None else quote
    start = TEXT.find(quote)
    fields = {
        "id": forecast_id,
        "quote": quote,
        "start": start,
        "end": start + len(quote),
        "estimate": "unlikely",
        "probability": 0.2,
        "vague": False,
        "closes": date(2022, 12, 31),
        "closes_reason": "'this year' in the sentence",
        "question": f"Will {forecast_id.replace('-', ' ')} happen by 2022-12-31?",
        "tags": ["nato"],
        "yes_when": {"all": ["NATO"], "any": [forecast_id.replace("-", " ")], "none": []},
        "no_when": None,
    }
    return Candidate(**{**fields, **changes})


def save(engine, settings, forecasts, *, text=TEXT, meta=META, **options):
    with session_scope(engine) as session:
        return service.save_source(
            session,
            settings,
            EstimativeScale.builtin(),
            meta=meta,
            text=text,
            forecasts=forecasts,
            actor="ana",
            **options,
        )


def stored_sources(engine) -> list[str]:
    with session_scope(engine) as session:
        return sorted(session.exec(select(Source.key)).all())


def files_in(folder: Path) -> list[str]:
    """The files under ``folder`` (none when it does not exist)."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def settings(seeded, tmp_path):
    return settings_for(seeded.engine, tmp_path)


# --- the use case -------------------------------------------------------------------------------


def test_saving_writes_a_file_the_import_accepts_and_imports_it(seeded, settings):
    folder = settings.resolved_forecasts_dir()
    saved = save(seeded.engine, settings, [candidate(i) for i in QUOTES])

    assert saved.key == NEW_KEY
    assert files_in(folder) == [f"sources/{NEW_KEY}.txt", f"{NEW_KEY}.yaml"]
    assert (folder / "sources" / f"{NEW_KEY}.txt").read_text(encoding="utf-8") == TEXT
    # the file is one `tracker forecasts check` accepts, source and text together
    (checked,) = registry.load_files([folder / f"{NEW_KEY}.yaml"], EstimativeScale.builtin())
    assert checked.source.author == "Dmitri Trenin" and checked.source.published == date(
        2022, 1, 21
    )
    assert [f.spec.id for f in checked.forecasts] == list(QUOTES)
    assert sorted(saved.report.created) == sorted(QUOTES)
    with session_scope(seeded.engine) as session:
        rows = service.search_forecasts(session, registry.ForecastFilter(source=NEW_KEY)).items
        assert sorted(r.id for r in rows) == sorted(QUOTES)
        row = next(r for r in rows if r.id == "madrid-no-retraction")
        assert (row.author, row.estimate, row.probability) == ("Dmitri Trenin", "unlikely", 0.2)
        assert row.opens == date(2022, 1, 21) and row.closes == date(2022, 12, 31)
        created = session.exec(
            select(AuditEntry).where(AuditEntry.entity == "source", AuditEntry.entity_id == NEW_KEY)
        ).one()
        assert created.actor == "ana"


def test_a_quote_not_in_the_text_is_refused_with_nothing_written(seeded, settings):
    folder = settings.resolved_forecasts_dir()
    forecasts = [
        candidate("madrid-no-retraction"),
        candidate("moratorium-on-new-members", quote="NATO will surely dissolve itself next week"),
    ]
    with pytest.raises(ForecastImportError) as refused:
        save(seeded.engine, settings, forecasts)

    (problem,) = refused.value.problems
    assert (problem.forecast_id, problem.field) == ("moratorium-on-new-members", "quote")
    assert "not in the source text" in problem.message
    assert problem.path == str(folder / f"{NEW_KEY}.yaml") and problem.line is None
    assert files_in(folder) == []
    assert NEW_KEY not in stored_sources(seeded.engine)
    with session_scope(seeded.engine) as session:
        assert session.get(Forecast, "madrid-no-retraction") is None


def test_every_problem_of_the_forecasts_is_listed(seeded, settings):
    forecasts = [
        candidate("madrid-no-retraction", quote="NATO will dissolve itself this year"),
        candidate("Bad Id", quote=QUOTES["moratorium-on-new-members"]),
        candidate("congress-sanctions", closes=date(2021, 1, 1)),
    ]
    untitled = SourceMeta(author="Dmitri Trenin", published=date(2022, 1, 21))
    with pytest.raises(ForecastImportError) as refused:
        save(seeded.engine, settings, forecasts, meta=untitled)
    assert {(p.forecast_id, p.field) for p in refused.value.problems} == {
        (None, "source.title"),
        ("madrid-no-retraction", "quote"),
        ("Bad Id", "id"),
        ("congress-sanctions", "closes"),  # before it opens
    }
    assert stored_sources(seeded.engine) == ["hostile-source", "trenin-2022-01-21"]


def test_an_id_of_another_source_is_refused_by_name(seeded, settings):
    with pytest.raises(ForecastImportError) as refused:
        save(
            seeded.engine,
            settings,
            [candidate("nato-moratorium", quote=QUOTES["congress-sanctions"])],
        )
    (problem,) = refused.value.problems
    assert (problem.forecast_id, problem.field) == ("nato-moratorium", "id")
    assert "already belongs to source 'trenin-2022-01-21'" in problem.message
    assert (
        files_in(settings.resolved_forecasts_dir()) == []
        if settings.resolved_forecasts_dir().exists()
        else True
    )


def test_a_key_taken_by_a_file_gets_the_next_suffix_and_a_key_asked_for_must_be_free(
    seeded, settings
):
    folder = settings.resolved_forecasts_dir()
    folder.mkdir(parents=True)
    (folder / f"{NEW_KEY}.yaml").write_text("# someone else's file\n", encoding="utf-8")

    saved = save(seeded.engine, settings, [candidate("madrid-no-retraction")])
    assert saved.key == "trenin-2022-01-21-3"
    assert (folder / f"{NEW_KEY}.yaml").read_text(encoding="utf-8") == "# someone else's file\n"

    with pytest.raises(ConflictError, match="'trenin-2022-01-21-3' already exists"):
        save(seeded.engine, settings, [candidate("congress-sanctions")], key="trenin-2022-01-21-3")
    with pytest.raises(
        ConflictError, match="'trenin-2022-01-21' already exists"
    ):  # in the database
        save(seeded.engine, settings, [candidate("congress-sanctions")], key="trenin-2022-01-21")
    saved = save(seeded.engine, settings, [candidate("congress-sanctions")], key="trenin-sanctions")
    assert (folder / "trenin-sanctions.yaml").exists()


def test_the_files_go_when_the_transaction_rolls_back(seeded, settings):
    folder = settings.resolved_forecasts_dir()
    with pytest.raises(RuntimeError), session_scope(seeded.engine) as session:
        service.save_source(
            session,
            settings,
            EstimativeScale.builtin(),
            meta=META,
            text=TEXT,
            forecasts=[candidate("madrid-no-retraction")],
            actor="ana",
        )
        assert (folder / f"{NEW_KEY}.yaml").exists()
        raise RuntimeError("the commit never comes")
    assert files_in(folder) == []
    assert NEW_KEY not in stored_sources(seeded.engine)


def test_a_draft_never_proposes_an_id_a_stored_forecast_has(seeded, settings):
    def madrid_id() -> str:
        with session_scope(seeded.engine) as session:
            draft = service.draft_source(
                session, settings, EstimativeScale.builtin(), text=TEXT, meta=META
            )
        return next(c.id for c in draft.candidates if "summit in Madrid" in c.quote)

    first = madrid_id()
    save(seeded.engine, settings, [candidate(first, quote=QUOTES["madrid-no-retraction"])])
    assert madrid_id() == f"{first}-2"


@pytest.mark.parametrize(
    ("text", "message"), [("   \n ", "the text is empty"), ("x" * 10_000_001, "over the 1,000,000")]
)
def test_an_empty_or_huge_text_is_refused_with_the_extractors_message(
    seeded, settings, text, message
):
    with pytest.raises(ExtractionError, match=message):
        save(seeded.engine, settings, [candidate("madrid-no-retraction")], text=text)
    assert not settings.resolved_forecasts_dir().exists()


def test_no_forecast_accepted_is_refused(seeded, settings):
    with pytest.raises(InvalidInputError, match="none accepted"):
        save(seeded.engine, settings, [])


# --- the page -----------------------------------------------------------------------------------


def candidate_form(number: int, c: Candidate, *, accept: bool) -> dict[str, str]:
    """The fields of candidate ``number`` as the candidates page sends them."""
    p = f"c{number}-"
    fields = {
        p + "id": c.id,
        p + "question": c.question,
        p + "quote": c.quote,
        p + "estimate": c.estimate,
        p + "probability": str(c.probability),
        p + "closes": c.closes.isoformat(),
        p + "tags": ", ".join(c.tags),
        p + "yes_all": "\n".join((c.yes_when or {}).get("all", [])),
        p + "yes_any": "\n".join((c.yes_when or {}).get("any", [])),
        p + "confidence": "0.80",
        p + "reason": "a verbal term of the scale",
        p + "closes_reason": c.closes_reason,
        p + "default_at_close": c.default_at_close,
    }
    return {**fields, p + "accept": "1"} if accept else fields


def page_form(token: str, candidates: list[Candidate], accepted: set[str], text=TEXT) -> dict:
    form = {
        "csrf_token": token,
        "text": text.replace("\n", "\r\n"),  # as a browser sends a textarea
        "title": META.title,
        "author": META.author,
        "publisher": META.publisher,
        "published": "2022-01-21",
        "url": "",
        "extractor": "rules",
    }
    for number, c in enumerate(candidates, start=1):
        form.update(candidate_form(number, c, accept=c.id in accepted))
    return form


def test_the_new_source_page_is_for_signed_in_analysts(client):
    assert "New source" not in client.get("/forecasts").text
    page = client.get("/sources/new", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login?next=")
    refused = client.post("/sources", data={"text": TEXT}, follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"].startswith("/login?next=")
    assert not Path(client.app.state.settings.resolved_forecasts_dir()).exists()

    assert sign_in(client).status_code == 303
    page = client.get("/forecasts").text
    assert '<a href="/sources/new">New source</a>' in page
    form = client.get("/sources/new").text
    assert 'name="text"' in form and 'name="url"' in form and 'name="published"' in form
    refused = client.post("/sources", data={"text": TEXT, "csrf_token": "stale"})
    assert refused.status_code == 403


def test_the_extractors_candidates_are_shown_beside_the_article(client):
    sign_in(client)
    token = csrf_token_of(client, "/sources/new")
    form = {
        "csrf_token": token,
        "text": TEXT.replace("\n", "\r\n"),
        "author": "Dmitri Trenin",
        "published": "2022-01-21",
    }
    page = client.post("/sources/new", data=form)
    assert page.status_code == 200, page.text[-1000:]
    numbers = re.findall(r'<li class="candidate" id="candidate-(\d+)"', page.text)
    assert len(numbers) >= 10
    assert re.findall(r'<mark id="quote-(\d+)"', page.text) == numbers  # each sentence marked
    assert 'value="Dmitri Trenin"' in page.text and 'value="2022-01-21"' in page.text
    # the text travels on unchanged (the line break after <textarea> is the parser's)
    carried = page.text.split('<textarea name="text" hidden>\n')[1].split("</textarea>")[0]
    assert unescape(carried) == TEXT
    # the curated file's ids are stored: a candidate never proposes one of them
    with_ids = set(re.findall(r'name="c\d+-id" value="([^"]+)"', page.text))
    assert with_ids.isdisjoint(registry_ids(client))


def registry_ids(client) -> set[str]:
    return {f["id"] for f in client.get("/api/forecasts", params={"per_page": 200}).json()["items"]}


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"text": "  "}, "the text is empty"),
        ({"text": "word " * 2_000_001}, "over the 1,000,000"),  # a 10 MB paste
        ({"text": "", "url": "http://127.0.0.2/op-ed"}, "http://127.0.0.2/op-ed: "),
    ],
    ids=["empty", "10 MB", "forbidden address"],
)
def test_a_text_the_extractor_cannot_read_is_refused_on_the_first_step(client, form, message):
    sign_in(client)
    token = csrf_token_of(client, "/sources/new")
    page = client.post("/sources/new", data={**form, "csrf_token": token, "author": "Someone"})
    assert page.status_code == 400
    alert = page.text.split('role="alert"')[1].split("</ul>")[0]
    assert message in unescape(alert)
    assert 'value="Someone"' in page.text  # what was typed is kept
    assert not client.app.state.settings.resolved_forecasts_dir().exists()


def test_saving_the_accepted_candidates_from_the_page_lists_them(client):
    sign_in(client)
    token = csrf_token_of(client, "/sources/new")
    candidates = [candidate(i) for i in QUOTES]
    candidates[1].question = "Will NATO announce a long-term moratorium on new members in 2022?"
    form = page_form(
        token, candidates, accepted={"madrid-no-retraction", "moratorium-on-new-members"}
    )

    saved = client.post("/sources", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text[-2000:]
    assert saved.headers["location"] == f"/forecasts?source={NEW_KEY}"
    listed = client.get(saved.headers["location"]).text
    assert "Will NATO announce a long-term moratorium on new members in 2022?" in listed
    assert "madrid-no-retraction" in listed and "congress-sanctions" not in listed
    folder = client.app.state.settings.resolved_forecasts_dir()
    # the text as pasted, its line ends the article's own (not the form's CR LF)
    assert (folder / "sources" / f"{NEW_KEY}.txt").read_text(encoding="utf-8") == TEXT
    detail = client.get("/api/forecasts/moratorium-on-new-members").json()
    assert detail["source"]["key"] == NEW_KEY and detail["tags"] == ["nato"]


def test_a_refused_save_lists_every_problem_and_keeps_the_edits(client):
    sign_in(client)
    token = csrf_token_of(client, "/sources/new")
    candidates = [
        candidate("madrid-no-retraction", question="My edited <b>question</b>?"),
        candidate("moratorium-on-new-members", quote="NATO will dissolve itself"),
        candidate("congress-sanctions"),
    ]
    form = page_form(token, candidates, accepted={c.id for c in candidates})
    form["c3-probability"] = "very"
    form["c3-closes"] = "next year"

    refused = client.post("/sources", data=form)
    assert refused.status_code == 400
    problems = re.findall(
        r"<li>(.*?)</li>", refused.text.split('id="problems"')[1].split("</ul>")[0]
    )
    assert [unescape(p) for p in problems] == [
        (
            "forecast 'congress-sanctions', field 'probability': 'very' is not a probability; "
            "write it as 0.3 or 30%"
        ),
        (
            "forecast 'congress-sanctions', field 'closes': 'next year' is not a date; "
            "write it as 2022-12-31"
        ),
    ]
    assert "My edited &lt;b&gt;question&lt;/b&gt;?" in refused.text  # kept, escaped
    assert 'value="very"' in refused.text and 'value="next year"' in refused.text

    form["c3-probability"], form["c3-closes"] = "20%", "2022-12-31"
    refused = client.post("/sources", data=form)
    assert refused.status_code == 400
    problems = re.findall(
        r"<li>(.*?)</li>", refused.text.split('id="problems"')[1].split("</ul>")[0]
    )
    assert [unescape(p) for p in problems] == [
        (
            "forecast 'moratorium-on-new-members', field 'quote': the quote is not in the source "
            "text (it must be verbatim)"
        )
    ]
    assert not client.app.state.settings.resolved_forecasts_dir().exists()
    assert client.get("/api/forecasts/madrid-no-retraction").status_code == 404


def test_drop_takes_a_candidate_off_the_page(client):
    sign_in(client)
    token = csrf_token_of(client, "/sources/new")
    candidates = [candidate(i) for i in QUOTES]
    form = {**page_form(token, candidates, accepted=set()), "drop": "2"}
    page = client.post("/sources", data=form)
    assert page.status_code == 200
    assert 'value="madrid-no-retraction"' in page.text and 'value="congress-sanctions"' in page.text
    assert "moratorium-on-new-members" not in page.text
    assert re.findall(r'<mark id="quote-(\d)"', page.text) == ["1", "2"]


def test_the_article_is_escaped_and_each_candidates_sentence_marked(client):
    sign_in(client)
    token = csrf_token_of(client, "/sources/new")
    text = (
        "Intro <script>alert('x')</script> & more.\n"
        "The <b>deal</b> is unlikely to happen this year.\n"
    )
    quote = "The <b>deal</b> is unlikely to happen this year."
    form = page_form(token, [candidate("deal", quote=quote)], accepted=set(), text=text)
    page = client.post("/sources", data=form)
    article = page.text.split('id="article-text">')[1].split("</div>")[0]
    assert article == (
        "Intro &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more.\n"
        '<mark id="quote-1" data-candidate="1"><a class="quote-number" href="#candidate-1">1</a>'
        "The &lt;b&gt;deal&lt;/b&gt; is unlikely to happen this year.</mark>\n"
    )


# --- the API ------------------------------------------------------------------------------------


def api_forecast(c: Candidate) -> dict:
    return {
        "id": c.id,
        "question": c.question,
        "quote": c.quote,
        "estimate": c.estimate,
        "probability": c.probability,
        "closes": c.closes.isoformat(),
        "tags": c.tags,
        "yes_when": c.yes_when,
    }


def api_body(candidates: list[Candidate], **source) -> dict:
    meta = {"title": META.title, "author": META.author, "published": "2022-01-21", **source}
    return {"source": meta, "text": TEXT, "forecasts": [api_forecast(c) for c in candidates]}


def test_the_api_saves_a_source_and_answers_with_its_ids(client, seeded):
    headers = {"Authorization": f"Bearer {make_token(seeded.engine)}"}
    body = api_body([candidate(i) for i in QUOTES])
    assert client.post("/api/sources", json=body).status_code == 401

    created = client.post("/api/sources", json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json() == {
        "key": NEW_KEY,
        "file": f"{NEW_KEY}.yaml",
        "text_file": f"sources/{NEW_KEY}.txt",
        "forecasts": list(QUOTES),
    }
    listed = client.get("/api/forecasts", params={"source": NEW_KEY}).json()
    assert sorted(f["id"] for f in listed["items"]) == sorted(QUOTES)

    again = client.post("/api/sources", json={**body, "key": NEW_KEY}, headers=headers)
    assert again.status_code == 409 and NEW_KEY in again.json()["detail"]


def test_the_api_refuses_a_source_with_every_problem_listed(client, seeded):
    headers = {"Authorization": f"Bearer {make_token(seeded.engine)}"}
    body = api_body(
        [
            candidate("madrid-no-retraction", quote="NATO will dissolve itself this year"),
            candidate("nato-moratorium", quote=QUOTES["congress-sanctions"]),
        ],
        title=None,
    )
    refused = client.post("/api/sources", json=body, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["detail"] == [
        {
            "loc": ["body", "source", "title"],
            "msg": "missing: give the article's title",
            "type": "forecast_file",
            "ctx": {"forecast_id": None, "field": "source.title"},
        },
        {
            "loc": ["body", "forecasts", 0, "quote"],
            "msg": "the quote is not in the source text (it must be verbatim)",
            "type": "forecast_file",
            "ctx": {"forecast_id": "madrid-no-retraction", "field": "quote"},
        },
    ]
    body["source"]["title"] = META.title
    body["forecasts"] = body["forecasts"][1:]
    (problem,) = client.post("/api/sources", json=body, headers=headers).json()["detail"]
    assert problem["loc"] == ["body", "forecasts", 0, "id"]
    assert "already belongs to source 'trenin-2022-01-21'" in problem["msg"]
    assert not client.app.state.settings.resolved_forecasts_dir().exists()


def test_the_api_drafts_candidates_from_a_text(client, seeded):
    headers = {"Authorization": f"Bearer {make_token(seeded.engine)}"}
    body = {"text": TEXT, "source": {"author": "Dmitri Trenin", "published": "2022-01-21"}}
    assert client.post("/api/sources/extract", json=body).status_code == 401
    draft = client.post("/api/sources/extract", json=body, headers=headers)
    assert draft.status_code == 200, draft.text
    answer = draft.json()
    assert answer["extractor"] and answer["text"] == TEXT
    assert answer["source"]["author"] == "Dmitri Trenin"
    madrid = next(c for c in answer["candidates"] if "summit in Madrid" in c["quote"])
    assert (madrid["estimate"], madrid["closes"]) == ("unlikely", "2022-12-31")
    assert " ".join(TEXT[madrid["start"] : madrid["end"]].split()) == madrid["quote"]

    empty = client.post("/api/sources/extract", json={"text": " "}, headers=headers)
    assert empty.status_code == 400 and "the text is empty" in empty.json()["detail"]
