"""Keyset cursors: a cursor reads back as the sort key it was made from, and anything else is
refused in one line naming ``cursor``."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tracker.errors import InvalidInputError
from tracker.paging import decode_cursor, encode_cursor

KINDS = (int, datetime, int, str, date, float)


def test_a_cursor_reads_back_as_its_sort_key() -> None:
    key = (2, datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), 5, None, date(2022, 1, 21), 0.25)
    token = encode_cursor(key)
    assert token.isascii() and "=" not in token and "/" not in token and "+" not in token
    assert decode_cursor(token, KINDS) == key


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not base64!",
        encode_cursor((1, 2)),  # too few values
        encode_cursor(("x", "2026-01-02T00:00:00+00:00", 5, None, "2022-01-21", 1.0)),
        encode_cursor((1, "yesterday", 5, None, "2022-01-21", 1.0)),
        encode_cursor((True, "2026-01-02T00:00:00+00:00", 5, None, "2022-01-21", 1.0)),
        "A" * 5_000,
    ],
)
def test_a_cursor_this_list_did_not_make_is_refused_in_one_line(token: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        decode_cursor(token, KINDS)
    assert caught.value.field == "cursor"
    assert "\n" not in str(caught.value)
