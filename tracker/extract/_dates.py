"""When a forecast closes: the time expressions of its sentence, read from the article's date.

Relative expressions ("this year", "by summer", "in the coming months", "over the next twelve
months", "before 2026", "by the end of June") are read by the rules below, each giving a date and
a reason; explicit calendar dates ("by 15 March", "on June 1, 2023") go to dateparser, which
knows their many orders, ordinal suffixes and separators and reads them from the article's date
(``RELATIVE_BASE``, future dates preferred).  Without any, the forecast closes a stated default
horizon (:data:`DEFAULT_HORIZON_MONTHS`) after the article's date.

Seasons are the northern meteorological ones (summer = June to August); "by summer" is the
season's first day, "this summer"/"in the summer" its last.  A vague span is given a length:
"the coming days" 14 days, "weeks" 6 weeks, "months" 6 months, "years" 3 years, "soon" and
"the near future" 6 months.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tracker.extract._odds import number_value

#: the horizon of a forecast whose sentence names no time, in months after the article's date
DEFAULT_HORIZON_MONTHS = 12

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}  # first month
VAGUE_SPANS = {"days": (0, 14), "weeks": (0, 42), "months": (6, 0), "years": (36, 0)}
UNITS = {"day": (0, 1), "week": (0, 7), "month": (1, 0), "year": (12, 0), "decade": (120, 0)}
_FEW = {"few": 3, "couple of": 2, "several": 4, "a": 1, "an": 1}
_MONTH = r"(?:" + "|".join(sorted((m for m in MONTHS if len(m) > 3), key=len, reverse=True))
_MONTH += r"|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\.?"
_NUMBER = r"(?:\d+|[a-z]+(?:-[a-z]+)?)"
_UNIT = r"(?P<unit>days?|weeks?|months?|years?|decades?)\b"


@dataclass(frozen=True)
class Closes:
    """A close date, why, and the words it came from (None for the default horizon)."""

    day: date
    reason: str
    words: str | None = None


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _next_month_on_or_after(base: date, month: int) -> int:
    """The year in which ``month`` next ends on or after ``base``."""
    return base.year if month >= base.month else base.year + 1


# --- the rules: each takes the match and the article's date, gives a date ------------------


def _this_next(m: re.Match[str], base: date) -> date:
    unit, which = m["unit"].lower(), m["which"].lower()
    step = 0 if which == "this" else 1
    if unit == "year":
        return date(base.year + step, 12, 31)
    if unit == "decade":
        return date(base.year // 10 * 10 + 9 + 10 * step, 12, 31)
    if unit == "month":
        later = add_months(base, step)
        return month_end(later.year, later.month)
    if unit == "quarter":
        quarter_end = add_months(date(base.year, (base.month - 1) // 3 * 3 + 1, 1), 3 * step + 2)
        return month_end(quarter_end.year, quarter_end.month)
    return base + timedelta(days=6 - base.weekday() + 7 * step)  # week: its Sunday


def _season(m: re.Match[str], base: date) -> date | None:
    if not (m["prep"] or m["year"] or m["end"]):
        return None  # "summer offensive", "prices will fall"
    first = SEASONS[m["season"].lower()]
    year = int(m["year"]) if m["year"] else base.year
    start = date(year, first, 1)
    end = add_months(start, 3) - timedelta(days=1)
    by = (m["prep"] or "").lower() in ("by", "before") and not m["end"]
    if not m["year"] and (start if by else end) < base:
        start, end = add_months(start, 12), add_months(end + timedelta(days=1), 12) - timedelta(1)
    return start if by else end


def _span(m: re.Match[str], base: date) -> date:
    unit = m["unit"].lower().rstrip("s")
    count = _count(m["count"]) if m["count"] else None
    if count is None:
        months, days = VAGUE_SPANS.get(m["unit"].lower(), UNITS[unit])
        return add_months(base, months) + timedelta(days=days)
    months, days = UNITS[unit]
    return add_months(base, int(months * count)) + timedelta(days=int(days * count))


def _count(text: str) -> float | None:
    word = text.lower().strip()
    return float(_FEW[word]) if word in _FEW else number_value(word)


def _year(m: re.Match[str], base: date) -> date:
    year = int(m["year"])
    return date(year - 1, 12, 31) if m["prep"].lower() == "before" else date(year, 12, 31)


def _month(m: re.Match[str], base: date) -> date | None:
    if not _capitalised_months(m["month"]):
        return None
    month = MONTHS[m["month"].lower().rstrip(".")]
    year = int(m["year"]) if m["year"] else _next_month_on_or_after(base, month)
    part, prep = (m["part"] or "").lower(), (m["prep"] or "").lower()
    if prep == "before":
        return date(year, month, 1) - timedelta(days=1)
    return {"early": date(year, month, 10), "mid": date(year, month, 15)}.get(
        part, month_end(year, month)
    )


def _soon(m: re.Match[str], base: date) -> date:
    return add_months(base, 6)


def _end_of_year(m: re.Match[str], base: date) -> date:
    return date(base.year, 12, 31)


def _capitalised_months(text: str) -> bool:
    """A month is written with a capital ("may" and "march" are verbs)."""
    return all(word[0].isupper() for word in re.findall(r"[A-Za-z]+", text) if word != "of")


def _calendar_date(m: re.Match[str], base: date) -> date | None:
    import dateparser  # only loaded when a text names a calendar date

    if not _capitalised_months(m["when"]):
        return None
    settings = {
        "RELATIVE_BASE": datetime(base.year, base.month, base.day),
        "PREFER_DATES_FROM": "future",
        "REQUIRE_PARTS": ["day", "month"],
    }
    found = dateparser.parse(m["when"], languages=["en"], settings=settings)
    return found.date() if found else None


Rule = tuple[re.Pattern[str], Callable[[re.Match[str], date], date | None], str]


def _rule(pattern: str, read: Callable[[re.Match[str], date], date | None], why: str) -> Rule:
    return re.compile(pattern, re.IGNORECASE), read, why


RULES: tuple[Rule, ...] = (
    _rule(
        rf"\b(?:by|before|on|until)?\s*(?P<when>(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?"
        rf"(?:,?\s+\d{{4}})?)|(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?:,?\s+\d{{4}})?)"
        r"|\d{4}-\d{2}-\d{2})\b",
        _calendar_date,
        "a calendar date",
    ),
    _rule(
        rf"\b(?P<prep>by|before|in|until|through|at)?\s*(?:the\s+)?(?:end\s+of\s+)?"
        rf"(?P<part>early|mid|late)?[\s-]*(?P<month>{_MONTH})(?:\s+(?P<year>\d{{4}}))?\b",
        _month,
        "a month",
    ),
    _rule(
        r"\b(?P<prep>by|before|in|during|through|over|this|next)?\s*(?:the\s+)?(?P<end>end\s+of\s+)?"
        r"(?:the\s+)?(?P<season>spring|summer|autumn|fall|winter)(?:\s+(?:of\s+)?(?P<year>\d{4}))?\b",
        _season,
        "a season",
    ),
    _rule(
        r"\b(?:in|over|during|within|for)\s+the\s+(?:next|coming|following)\s+"
        rf"(?P<count>few|couple of|several|{_NUMBER})?\s*{_UNIT}",
        _span,
        "a span from the article's date",
    ),
    _rule(
        rf"\b(?:within|in)\s+(?P<count>a|an|few|couple of|several|{_NUMBER})\s+" + _UNIT,
        _span,
        "a span from the article's date",
    ),
    _rule(
        r"\b(?:(?:by|before|until|at)\s+)?(?:the\s+)?end\s+of\s+the\s+year\b|\byear[\s-]end\b",
        _end_of_year,
        "the end of the year",
    ),
    _rule(
        r"\b(?P<which>this|next)\s+(?P<unit>year|decade|month|week|quarter)\b",
        _this_next,
        "a calendar period",
    ),
    _rule(
        r"\b(?P<prep>by|before|in|until|through|during|by\s+the\s+end\s+of|at\s+the\s+end\s+of)"
        r"\s+(?P<year>(?:19|20)\d{2})\b",
        _year,
        "a year",
    ),
    _rule(r"\b(?:soon|shortly|in\s+the\s+near\s+future|any\s+time\s+soon)\b", _soon, "'soon'"),
)


def mentions_time(text: str) -> bool:
    """Whether ``text`` has a time expression the rules read (whatever date it gives)."""
    if not _ANY_TIME.search(text):
        return False
    reference = date(2000, 1, 1)
    return any(
        m[0].strip() and read(m, reference) is not None
        for pattern, read, _ in RULES
        for m in pattern.finditer(text)
    )


def closes_from(texts: list[str], base: date) -> Closes:
    """The close date from the first time expression in ``texts`` (the clause first, then the
    whole sentence), else the default horizon after ``base``."""
    for text in texts:
        found = _first_expression(text, base)
        if found is not None:
            return found
    day = add_months(base, DEFAULT_HORIZON_MONTHS)
    reason = f"no time stated: default horizon of {DEFAULT_HORIZON_MONTHS} months after {base}"
    return Closes(day, reason)


#: a word without which no rule can match (a quick test before the rules)
_ANY_TIME = re.compile(
    r"\d|this|next|coming|following|within|end|soon|shortly|near|summer|spring|autumn|fall|"
    r"winter|" + _MONTH,
    re.IGNORECASE,
)


def _first_expression(text: str, base: date) -> Closes | None:
    if not _ANY_TIME.search(text):
        return None
    found: list[tuple[int, Closes]] = []
    for pattern, read, why in RULES:
        for m in pattern.finditer(text):
            if not m[0].strip():
                continue
            day = read(m, base)
            if day is not None and day > base:
                words = " ".join(m[0].split())
                found.append((m.start(), Closes(day, f"'{words}' in the sentence: {why}", words)))
                break
    return min(found, key=lambda item: item[0])[1] if found else None
