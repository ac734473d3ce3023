"""The "New source" page, for signed-in analysts: from an article to imported forecasts.

Three steps, each a server-rendered form (the core flow needs no JavaScript):

1. ``GET /sources/new``: paste the text or give a URL, with what is known of the source;
2. ``POST /sources/new``: the extractor's candidates beside the article, each one's sentence
   marked in it; the analyst accepts, edits or drops each;
3. ``POST /sources``: the accepted forecasts saved as a forecast file and imported in one step,
   then the forecasts list of the new source.  Refused, the page comes back with every problem
   listed and the analyst's edits as they were.

The article is untrusted text: it is escaped piece by piece and only our own ``<mark>`` tags go
between the pieces (:func:`marked_text`), never markup from the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup, escape
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session
from starlette.datastructures import FormData

from tracker import service
from tracker.domain.scale import EstimativeScale
from tracker.errors import (
    ConflictError,
    ForecastFileError,
    ForecastImportError,
    InvalidInputError,
)
from tracker.extract import Candidate, Draft, SourceMeta
from tracker.settings import Settings
from tracker.web.deps import AnalystDep, ScorecardsDep, SessionDep, SettingsDep
from tracker.web.schemas import PRINTABLE
from tracker.web.source_schemas import MAX_REQUEST_TEXT, locate
from tracker.web.templating import render

router = APIRouter(include_in_schema=False)

#: the most candidates one page shows (the most confident first)
MAX_CANDIDATES = 100
#: what these two forms may carry: the article's text in one field (a 10 MB paste must reach the
#: extractor, which refuses it with its own message, rather than the form parser's 1 MB default
#: refusing it with an error page), and about twenty fields a candidate
MAX_FORM_FIELD_BYTES = 16 * 1024 * 1024
MAX_FORM_FIELDS = 25 * MAX_CANDIDATES + 50
#: what a refused extract or save is shown for: the input's fault, said in the message
INPUT_ERRORS = (InvalidInputError, ConflictError)


class ArticleForm(BaseModel):
    """Step 1: the article and what is known of it (kept as typed, to show it again)."""

    model_config = ConfigDict(extra="ignore")  # the form also carries csrf_token

    text: str = Field(default="", max_length=MAX_REQUEST_TEXT)
    url: str = Field(default="", max_length=2000, pattern=PRINTABLE)
    title: str = Field(default="", max_length=2000, pattern=PRINTABLE)
    author: str = Field(default="", max_length=2000, pattern=PRINTABLE)
    publisher: str = Field(default="", max_length=2000, pattern=PRINTABLE)
    published: str = Field(default="", max_length=40, pattern=PRINTABLE)

    def clean_text(self) -> str:
        """The text as pasted; browsers send a textarea's line ends as CR LF."""
        return self.text.replace("\r\n", "\n")

    def meta(self) -> SourceMeta:
        return SourceMeta(
            title=self.title.strip() or None,
            author=self.author.strip() or None,
            publisher=self.publisher.strip() or None,
            url=self.url.strip() or None,
            published=_date("published", self.published) if self.published.strip() else None,
        )

    @classmethod
    def of(cls, meta: SourceMeta, text: str = "") -> ArticleForm:
        published = meta.published.isoformat() if meta.published else ""
        return cls(
            text=text,
            url=meta.url or "",
            title=meta.title or "",
            author=meta.author or "",
            publisher=meta.publisher or "",
            published=published,
        )


def _date(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInputError(
            name, f"{value.strip()!r} is not a date; write it as 2022-01-21"
        ) from None


@dataclass
class CandidateFields:
    """One candidate as its form shows it: every field a string as typed, so that a page sent
    back with problems shows the analyst's edits unchanged."""

    accept: bool = False
    id: str = ""
    question: str = ""
    quote: str = ""
    estimate: str = ""
    probability: str = ""
    closes: str = ""
    tags: str = ""
    yes_all: str = ""
    yes_any: str = ""
    yes_none: str = ""
    no_all: str = ""
    no_any: str = ""
    no_none: str = ""
    default_at_close: str = "none"
    # what the extractor said, shown and carried along
    confidence: str = ""
    reason: str = ""
    closes_reason: str = ""
    condition: str = ""
    vague: bool = False
    #: what is wrong with it, shown beside it (not a form field)
    problems: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, candidate: Candidate) -> CandidateFields:
        yes, no = candidate.yes_when or {}, candidate.no_when or {}
        return cls(
            id=candidate.id,
            question=candidate.question,
            quote=candidate.quote,
            estimate=candidate.estimate,
            probability=f"{candidate.probability:g}",
            closes=candidate.closes.isoformat(),
            tags=", ".join(candidate.tags),
            yes_all=_lines(yes.get("all")),
            yes_any=_lines(yes.get("any")),
            yes_none=_lines(yes.get("none")),
            no_all=_lines(no.get("all")),
            no_any=_lines(no.get("any")),
            no_none=_lines(no.get("none")),
            default_at_close=candidate.default_at_close,
            confidence=f"{candidate.confidence:.2f}",
            reason=candidate.reason,
            closes_reason=candidate.closes_reason,
            condition=candidate.condition or "",
            vague=candidate.vague,
        )

    @classmethod
    def from_form(cls, form: FormData, index: int) -> CandidateFields:
        values: dict[str, Any] = {}
        for spec in fields(cls):
            if spec.name == "problems":
                continue
            value = form.get(f"c{index}-{spec.name}")
            if spec.type in ("bool", bool):
                values[spec.name] = value is not None
            else:
                text = value.replace("\r\n", "\n") if isinstance(value, str) else ""
                values[spec.name] = text[:MAX_FIELD]
        return cls(**values)

    def rules_summary(self) -> str:
        """How it resolves, in a few words (the rules' fields are folded away)."""
        counts = [
            sum(len(_phrases(getattr(self, f"{side}_{role}"))) for role in ("all", "any", "none"))
            for side in ("yes", "no")
        ]
        yes, no = (f"{n} phrase{'' if n == 1 else 's'}" if n else "none" for n in counts)
        return f"{yes} for yes, {no} for no; without evidence: {self.default_at_close}"

    def candidate(self, text: str) -> Candidate | None:
        """The forecast the analyst means, or None with what is wrong in :attr:`problems`."""
        where = f"forecast {self.id.strip() or '(no id)'!r}"
        found: dict[str, Any] = {}
        for name, convert in (("probability", _probability), ("closes", _closes)):
            try:
                found[name] = convert(getattr(self, name))
            except ValueError as exc:
                self.problems.append(f"{where}, field {name!r}: {exc}")
        if self.problems:
            return None
        start, end = locate(text, self.quote)
        return Candidate(
            id=self.id.strip(),
            quote=self.quote.strip(),
            start=start,
            end=end,
            estimate=self.estimate.strip(),
            probability=found["probability"],
            vague=self.vague,
            closes=found["closes"],
            closes_reason=self.closes_reason,
            question=" ".join(self.question.split()),
            tags=_phrases(self.tags),
            yes_when=_rules(self.yes_all, self.yes_any, self.yes_none),
            no_when=_rules(self.no_all, self.no_any, self.no_none),
            confidence=float(self.confidence) if _is_number(self.confidence) else 0.5,
            reason=self.reason,
            condition=self.condition.strip() or None,
            default_at_close=self.default_at_close.strip(),
        )


#: the longest value one candidate's field may have (a quote is a sentence or a paragraph)
MAX_FIELD = 10_000


def _lines(phrases: list[str] | None) -> str:
    return "\n".join(phrases or [])


def _phrases(value: str) -> list[str]:
    """Phrases written one per line or separated by commas."""
    return [p.strip() for p in re.split(r"[,\n]", value) if p.strip()]


def _rules(all_of: str, any_of: str, none_of: str) -> dict[str, list[str]] | None:
    rules = {"all": _phrases(all_of), "any": _phrases(any_of), "none": _phrases(none_of)}
    return rules if any(rules.values()) else None


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _probability(value: str) -> float:
    text = value.strip().removesuffix("%").strip()
    if not _is_number(text):
        raise ValueError(f"{value.strip()!r} is not a probability; write it as 0.3 or 30%")
    number = float(text) / (100 if value.strip().endswith("%") else 1)
    if not 0 <= number <= 1:
        raise ValueError(f"{value.strip()!r} is not between 0 and 1")
    return number


def _closes(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{value.strip()!r} is not a date; write it as 2022-12-31") from None


def marked_text(text: str, candidates: list[CandidateFields]) -> Markup:
    """The article, escaped, with each candidate's quote in ``<mark id="quote-N">`` (N its
    number on the page); a quote that overlaps an earlier one, or is no longer in the text
    word for word, is not marked."""
    spans = []
    for number, fields_ in enumerate(candidates, start=1):
        start, end = locate(text, fields_.quote)
        if start >= 0:
            spans.append((start, end, number))
    parts: list[str] = []
    position = 0
    for start, end, number in sorted(spans):
        if start < position:
            continue
        parts += [
            escape(text[position:start]),
            Markup(
                '<mark id="quote-{0}" data-candidate="{0}"><a class="quote-number" '
                'href="#candidate-{0}">{0}</a>'
            ).format(number),
            escape(text[start:end]),
            Markup("</mark>"),
        ]
        position = end
    parts.append(escape(text[position:]))
    return Markup("").join(parts)


@dataclass
class Step2:
    """What the candidates page shows."""

    article: ArticleForm
    candidates: list[CandidateFields]
    extractor: str = ""
    found: int = 0
    problems: list[str] = field(default_factory=list)


def _step1(
    request: Request, form: ArticleForm | None = None, error: str | None = None, status: int = 200
) -> Response:
    context = {"form": form or ArticleForm(), "error": error}
    return render(request, "sources/new.html", context, status_code=status)


def _step2(request: Request, step: Step2, status: int = 200) -> Response:
    text = step.article.clean_text()
    context = {"step": step, "text": text, "marked": marked_text(text, step.candidates)}
    return render(request, "sources/candidates.html", context, status_code=status)


@router.get("/sources/new", name="source_new")
def new_source_page(request: Request, _analyst: AnalystDep) -> Response:
    return _step1(request)


@router.post(
    "/sources/new",
    name="source_extract",
    form_limits={"max_part_size": MAX_FORM_FIELD_BYTES, "max_fields": MAX_FORM_FIELDS},
)
def extract_candidates(
    request: Request,
    form: Annotated[ArticleForm, Form()],
    session: SessionDep,
    settings: SettingsDep,
    scorecards: ScorecardsDep,
    _analyst: AnalystDep,
) -> Response:
    try:
        draft = service.draft_source(
            session,
            settings,
            scorecards.scale,
            text=form.clean_text(),
            url=form.url.strip() or None,
            meta=form.meta(),
        )
    except INPUT_ERRORS as exc:
        return _step1(request, form, str(exc), status=400)
    return _step2(request, _shown(draft))


def _shown(draft: Draft) -> Step2:
    ranked = sorted(draft.candidates, key=lambda c: -c.confidence)[:MAX_CANDIDATES]
    kept = sorted(ranked, key=lambda c: c.start)  # in the article's order
    return Step2(
        article=ArticleForm.of(draft.meta, draft.text),
        candidates=[CandidateFields.of(c) for c in kept],
        extractor=draft.extractor,
        found=len(draft.candidates),
    )


async def _form_data(request: Request) -> FormData:
    """The posted form as it came (parsed once per request): the candidates' fields are
    numbered, ``c1-question``, ``c2-question``..."""
    return await request.form()


@router.post(
    "/sources",
    name="source_save",
    form_limits={"max_part_size": MAX_FORM_FIELD_BYTES, "max_fields": MAX_FORM_FIELDS},
)
def save_source(
    request: Request,
    article: Annotated[ArticleForm, Form()],
    form: Annotated[FormData, Depends(_form_data)],
    session: SessionDep,
    settings: SettingsDep,
    scorecards: ScorecardsDep,
    analyst: AnalystDep,
) -> Response:
    step = _posted(article, form)
    drop = form.get("drop")
    if isinstance(drop, str) and drop.isdigit():
        del step.candidates[int(drop) - 1 : int(drop)]
        return _step2(request, step)
    try:
        return _save(request, step, session, settings, scorecards.scale, analyst.name)
    except ForecastImportError as exc:
        _note_problems(step, exc.problems)
    except INPUT_ERRORS as exc:
        step.problems.append(str(exc))
    return _step2(request, step, status=400)


def _save(
    request: Request,
    step: Step2,
    session: Session,
    settings: Settings,
    scale: EstimativeScale,
    actor: str,
) -> Response:
    """Saves what the analyst accepted and goes to the new source's forecasts; what cannot be
    read from the form is noted in ``step`` (and nothing saved)."""
    text = step.article.clean_text()
    meta = step.article.meta()
    accepted = [c for c in step.candidates if c.accept]
    forecasts = [c.candidate(text) for c in accepted]
    step.problems += [problem for c in accepted for problem in c.problems]
    if step.problems:
        return _step2(request, step, status=400)
    saved = service.save_source(
        session,
        settings,
        scale,
        meta=meta,
        text=text,
        forecasts=[f for f in forecasts if f is not None],
        actor=actor,
    )
    path = request.app.url_path_for("forecasts")
    return RedirectResponse(f"{path}?{urlencode({'source': saved.key})}", status_code=303)


def _note_problems(step: Step2, problems: list[ForecastFileError]) -> None:
    """Every problem at the top of the page, and each forecast's beside its candidate."""
    by_id = {c.id.strip(): c for c in step.candidates if c.accept}
    for problem in problems:
        step.problems.append(_problem(problem))
        if problem.forecast_id in by_id:
            by_id[problem.forecast_id].problems.append(_problem(problem))


def _posted(article: ArticleForm, form: FormData) -> Step2:
    count = sum(1 for key in form if re.fullmatch(r"c\d+-id", key))
    candidates = [
        CandidateFields.from_form(form, i) for i in range(1, min(count, MAX_CANDIDATES) + 1)
    ]
    extractor = form.get("extractor")
    return Step2(article, candidates, extractor if isinstance(extractor, str) else "")


def _problem(problem: ForecastFileError) -> str:
    """A problem of the file that was not written, named by forecast and field (its path and
    line would point at nothing the analyst can open)."""
    where = [f"forecast {problem.forecast_id!r}"] if problem.forecast_id else []
    where += [f"field {problem.field!r}"] if problem.field else []
    return ", ".join(where) + f": {problem.message}" if where else problem.message
