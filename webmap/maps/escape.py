"""The one escaping helper for every string that reaches a map.

Folium writes popup and tooltip text as raw HTML inside JavaScript template strings
(```...```), and GeoJSON popups go through ``innerHTML``. A registry or user string must
therefore be neutral in three languages at once: HTML (``<``, ``>``, ``&``, quotes),
JavaScript template literals (backtick, ``${``) and JavaScript escapes (backslash).
:func:`escape_text` turns all of them into HTML character references, which the template
literal keeps as plain characters and the browser then shows as text.
"""

from __future__ import annotations

import html
import re
from typing import Any

#: A web address in free text: http(s) only, up to a space, quote, bracket or separator.
_URL = re.compile(r"https?://[^\s<>\"'()\[\]{};|,]+")
_EXTRA = str.maketrans({"`": "&#96;", "\\": "&#92;", "$": "&#36;", "{": "&#123;", "}": "&#125;"})


def escape_text(value: Any) -> str:
    """Escape ``value`` (any object; None gives "") for HTML and JS template strings.

    >>> escape_text("<img src=x onerror=alert(1)> ${alert(1)} ` \\\\")
    '&lt;img src=x onerror=alert(1)&gt; &#36;&#123;alert(1)&#125; &#96; &#92;'
    """
    if value is None:
        return ""
    return html.escape(str(value), quote=True).translate(_EXTRA)


def linked_text(value: Any) -> str:
    """``value`` escaped by :func:`escape_text`, each ``http(s)://`` address in it made a
    link (opened without referrer); any other text, ``javascript:`` included, stays text.

    >>> linked_text("see https://example.org/?a=1&b=2. <b>")
    'see <a href="https://example.org/?a=1&amp;b=2" rel="noopener noreferrer nofollow">\
https://example.org/?a=1&amp;b=2</a>. &lt;b&gt;'
    """
    text = "" if value is None else str(value)
    parts, last = [], 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".:")
        parts.append(escape_text(text[last : match.start()]))
        href = escape_text(url)
        parts.append(f'<a href="{href}" rel="noopener noreferrer nofollow">{href}</a>')
        last = match.start() + len(url)
    parts.append(escape_text(text[last:]))
    return "".join(parts)
