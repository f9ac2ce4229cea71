"""Where the service is reached: the only sources of the host, scheme and path prefix that
absolute links are built from.

A request's ``Host`` and ``X-Forwarded-*`` headers are written by whoever sends it. They
decide ``request.url_root`` (and every ``url_for(..., _external=True)``), so a forged
value could end up in a link, or in a cached page served to everyone. :class:`TrustedOrigin`
rewrites the WSGI environ before Flask sees it:

* with ``PUBLIC_URL`` configured (``https://maps.example.org/clustermap``), the scheme,
  host and prefix are that URL's, whatever the request says;
* else with ``PROXY_COUNT`` trusted proxies (whose ``X-Forwarded-*`` headers
  :class:`werkzeug.middleware.proxy_fix.ProxyFix` applied first), the forwarded values are
  used when they are well formed: a host name or IP address with an optional port, the
  scheme ``http`` or ``https``, a prefix made of clean path segments. A malformed value is
  replaced by the server's own and the request answered ``400``;
* else the server's own address (``SERVER_NAME`` and ``SERVER_PORT``, set by the WSGI
  server, never by the client) replaces the ``Host`` header.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from geo.errors import ClustermapError, quote

__all__ = [
    "BAD_ORIGIN_KEY",
    "ConfigError",
    "PublicUrl",
    "TrustedOrigin",
    "parse_public_url",
    "valid_host",
    "valid_prefix",
]

BAD_ORIGIN_KEY = "clustermap.bad_origin"

_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_PORT = re.compile(r"^[0-9]{1,5}$")
_SEGMENT = re.compile(r"^[A-Za-z0-9_~-][A-Za-z0-9._~-]*$")

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]


class ConfigError(ClustermapError, ValueError):
    """A configuration value the app cannot start with."""


def _valid_name(name: str) -> bool:
    if name.startswith("[") and name.endswith("]"):
        try:
            return ipaddress.ip_address(name[1:-1]).version == 6
        except ValueError:
            return False
    labels = name.rstrip(".").split(".") if len(name) <= 253 else []
    return bool(labels) and all(_LABEL.match(label) for label in labels)


def valid_host(host: str) -> bool:
    """Whether ``host`` is ``name[:port]``: a DNS name, IPv4 address or bracketed IPv6
    address, and a port from 1 to 65535."""
    name, port = host, None
    if host.count(":") == 1 or (host.startswith("[") and "]:" in host):
        name, _, port = host.rpartition(":")
    if port is not None and not (_PORT.match(port) and 1 <= int(port) <= 65535):
        return False
    return _valid_name(name)


def valid_prefix(prefix: str) -> bool:
    """Whether ``prefix`` is empty or ``/segment/segment`` of unreserved characters, with
    no ``.`` or ``..`` segment and no trailing slash."""
    if prefix == "":
        return True
    if not prefix.startswith("/"):
        return False
    segments = prefix[1:].split("/")
    return all(_SEGMENT.match(s) and s not in (".", "..") for s in segments)


@dataclass(frozen=True)
class PublicUrl:
    """The configured public root of the service."""

    scheme: str
    host: str
    prefix: str


def parse_public_url(text: str) -> PublicUrl:
    """Parse and check ``PUBLIC_URL``.

    Raises
    ------
    ConfigError
        Unless ``text`` is ``http(s)://host[:port][/prefix]`` with no query, fragment or
        user information.
    """
    parts = urlsplit(text.strip())
    prefix = parts.path.rstrip("/")
    if (
        parts.scheme not in ("http", "https")
        or "@" in parts.netloc
        or not valid_host(parts.netloc)
        or not valid_prefix(prefix)
        or parts.query
        or parts.fragment
    ):
        raise ConfigError(
            f"PUBLIC_URL {quote(text)} is not http(s)://host[:port][/prefix] "
            "(no query, fragment or user)"
        )
    return PublicUrl(parts.scheme, parts.netloc.lower(), prefix)


def _server_host(environ: Environ) -> str:
    name = str(environ.get("SERVER_NAME") or "localhost")
    if ":" in name and not name.startswith("["):
        name = f"[{name}]"
    port = str(environ.get("SERVER_PORT") or "")
    default = "443" if environ.get("wsgi.url_scheme") == "https" else "80"
    return name if port in ("", default) else f"{name}:{port}"


class TrustedOrigin:
    """WSGI middleware: the host, scheme and prefix Flask sees come from trusted sources.

    Parameters
    ----------
    app
        The WSGI app to call (Flask's, or :class:`ProxyFix` around it).
    public_url
        The configured public root, or None.
    forwarded
        Whether a trusted proxy's forwarded values (already applied to the environ by
        ProxyFix) are used.
    """

    def __init__(self, app: WsgiApp, *, public_url: PublicUrl | None, forwarded: bool) -> None:
        self.app = app
        self.public_url = public_url
        self.forwarded = forwarded

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        """Rewrite ``environ`` and call the app."""
        if self.public_url is not None:
            environ["wsgi.url_scheme"] = self.public_url.scheme
            environ["HTTP_HOST"] = self.public_url.host
            environ["SCRIPT_NAME"] = self.public_url.prefix
        elif self.forwarded:
            self._check_forwarded(environ)
        else:
            environ["HTTP_HOST"] = _server_host(environ)
        return self.app(environ, start_response)

    @staticmethod
    def _check_forwarded(environ: Environ) -> None:
        problems = []
        original = environ.get("werkzeug.proxy_fix.orig", environ)
        if environ.get("wsgi.url_scheme") not in ("http", "https"):
            problems.append("scheme")
            environ["wsgi.url_scheme"] = "http"
        if not valid_host(str(environ.get("HTTP_HOST", ""))):
            problems.append("host")
            environ["HTTP_HOST"] = _server_host(original)
        if not valid_prefix(str(environ.get("SCRIPT_NAME", ""))):
            problems.append("prefix")
            script_name = str(original.get("SCRIPT_NAME", ""))
            environ["SCRIPT_NAME"] = script_name if valid_prefix(script_name) else ""
        if problems:
            environ[BAD_ORIGIN_KEY] = ", ".join(problems)
