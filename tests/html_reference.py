"""The reference that :func:`tracker.ingest._parse.html_text` is tested against: libxml2's HTML
parser (lxml), a space before every block tag, script-like elements stripped, whitespace
collapsed.  Test code only: the parser uses ``html_text``."""

from __future__ import annotations

import re

from lxml import etree

from tracker.ingest._parse import _BLOCK_TAGS, _CONTROL, _SKIP_TAGS

# A space goes in front of every block tag (opening or closing) before parsing, so
# "<p>a</p><p>b</p>" reads "a b"; inserting a space cannot create markup.  The tag name ends at
# whitespace, "/" or ">", and only ASCII letters match either case, as the HTML tokenizer reads it.
_BEFORE_BLOCK_TAG = re.compile(
    rf"<(?=/?(?:{'|'.join(_BLOCK_TAGS)})[\t\n\f\r />])", re.IGNORECASE | re.ASCII
)
_PARSER = etree.HTMLParser(  # type: ignore[call-arg]  # lxml-stubs lag lxml
    remove_comments=True, remove_pis=True, no_network=True, default_doctype=False
)


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment as libxml2 reads it."""
    if "<" not in html and "&" not in html and not _CONTROL.search(html):
        return " ".join(html.split())
    try:
        root = etree.HTML(_BEFORE_BLOCK_TAG.sub(" <", html), _PARSER)
    except (etree.ParserError, ValueError):
        return ""
    if root is None:
        return ""
    etree.strip_elements(root, *_SKIP_TAGS, with_tail=False)
    return " ".join(etree.tostring(root, method="text", encoding=str).split())
