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
from typing import Any

_EXTRA = str.maketrans({"`": "&#96;", "\\": "&#92;", "$": "&#36;", "{": "&#123;", "}": "&#125;"})


def escape_text(value: Any) -> str:
    """Escape ``value`` (any object; None gives "") for HTML and JS template strings.

    >>> escape_text("<img src=x onerror=alert(1)> ${alert(1)} ` \\\\")
    '&lt;img src=x onerror=alert(1)&gt; &#36;&#123;alert(1)&#125; &#96; &#92;'
    """
    if value is None:
        return ""
    return html.escape(str(value), quote=True).translate(_EXTRA)
