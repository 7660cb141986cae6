"""Registry authentication: anonymous, Basic, and the Bearer token challenge flow.

Docker Hub, GHCR, Harbor, Quay and distribution with token auth all answer an unauthenticated
request with `401` and `WWW-Authenticate: Bearer realm="...",service="...",scope="..."`. The
client then GETs `realm?service=...&scope=...` (with Basic credentials when it has them,
anonymously otherwise), receives `{"token": ..., "expires_in": ...}` (or `access_token`), and
retries with `Authorization: Bearer <token>`. Tokens are cached per realm, service and scope
until shortly before they expire; the spec's default lifetime is 60 s when `expires_in` is absent.

Credentials are sent only where the registry's challenge points, never over plain http when the
registry itself is https, and never appear in a message.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from cockpit.engine.http import SourceHttp, describe_body
from cockpit.errors import ErrorKind, SourceError
from cockpit.sources.oci.manifest import parse_json
from cockpit.text import sanitize

# The token spec: "When omitted, this defaults to 60 seconds."
DEFAULT_TOKEN_LIFETIME_S = 60.0
# Refresh this long before expiry so a request never carries a token that dies in flight.
TOKEN_REFRESH_MARGIN_S = 10.0
# Username sent with a token when no `user` is configured (GHCR ignores it; Docker Hub and
# Harbor robot accounts need the real name, so configure `user` there).
TOKEN_ONLY_USER = "cockpit"

_SEPARATORS = re.compile(r"[\s,]*")
_PARAM = re.compile(r'([A-Za-z0-9_.-]+)[ \t]*=[ \t]*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))')
_SCHEME = re.compile(r"([A-Za-z0-9!#$%&'*+.^_`|~-]+)")


@dataclass(frozen=True, slots=True)
class Challenge:
    """One challenge of a `WWW-Authenticate` header: a scheme and its parameters."""

    scheme: str  # lower-case: "bearer", "basic", ...
    params: dict[str, str] = field(default_factory=dict)

    @property
    def realm(self) -> str:
        return self.params.get("realm", "")

    @property
    def service(self) -> str:
        return self.params.get("service", "")

    @property
    def scope(self) -> str:
        return self.params.get("scope", "")

    @property
    def error(self) -> str:
        return self.params.get("error", "")


def parse_challenges(header: str) -> list[Challenge]:
    """Parse `WWW-Authenticate` (RFC 9110 section 11.6.1), e.g. `Bearer realm="...",scope="..."`.

    Quoted values may contain commas (`scope="repository:a/b:pull,push"`); several challenges
    may share one header (`Bearer realm="x", Basic realm="y"`).
    """
    parsed: list[tuple[str, dict[str, str]]] = []
    pos = 0
    while True:
        separator = _SEPARATORS.match(header, pos)
        pos = separator.end() if separator else pos
        if pos >= len(header):
            break
        param = _PARAM.match(header, pos)
        if param is not None and parsed:
            key, quoted, bare = param.groups()
            value = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare
            parsed[-1][1][key.lower()] = value
            pos = param.end()
            continue
        scheme = _SCHEME.match(header, pos)
        if scheme is None:
            break
        parsed.append((scheme.group(1).lower(), {}))
        pos = scheme.end()
    return [Challenge(scheme, params) for scheme, params in parsed]


@dataclass(slots=True)
class _Token:
    value: str
    expires_at: float  # on the clock's monotonic timeline


class RegistryAuth:
    """Answers a registry's challenges for one source and caches bearer tokens per scope.

    Args:
        http: The source's HTTP face (its client, clock, timeout and request counters).
        user: Username for Basic credentials (optional).
        token: Password or token; with no `user` it is sent as the password of `TOKEN_ONLY_USER`.
    """

    def __init__(self, http: SourceHttp, *, user: str | None, token: str | None) -> None:
        self.http = http
        self.source = http.source
        self._user = user or (TOKEN_ONLY_USER if token else None)
        self._secret = token
        self._tokens: dict[tuple[str, str, str], _Token] = {}
        self._image_token: dict[str, tuple[str, str, str]] = {}
        self._basic_requested = False
        self.token_requests = 0

    @property
    def has_credentials(self) -> bool:
        return bool(self._user and self._secret)

    def _basic(self) -> str:
        pair = f"{self._user}:{self._secret}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")

    def headers_for(self, image: str) -> dict[str, str]:
        """The Authorization header to send up front for `image` (a cached token, or Basic)."""
        key = self._image_token.get(image)
        token = self._tokens.get(key) if key else None
        if token is not None and token.expires_at > self.http.clock.monotonic():
            return {"Authorization": f"Bearer {token.value}"}
        if self._basic_requested and self.has_credentials:
            return {"Authorization": self._basic()}
        return {}

    async def answer(self, response: httpx.Response, image: str) -> dict[str, str]:
        """Headers answering a 401's challenges; fetches a bearer token when one is asked for.

        Raises:
            SourceError: kind `auth` when we cannot answer (no credentials for Basic, a realm
                that refuses us, a challenge we do not understand).
        """
        challenges = parse_challenges(response.headers.get("www-authenticate", ""))
        registry = _host(str(response.request.url))
        bearer = next((c for c in challenges if c.scheme == "bearer" and c.realm), None)
        if bearer is not None:
            token = await self._fetch_token(bearer, image, str(response.request.url))
            return {"Authorization": f"Bearer {token}"}
        basic = next((c for c in challenges if c.scheme == "basic"), None)
        if basic is not None:
            if not self.has_credentials:
                raise SourceError(
                    ErrorKind.AUTH,
                    f"{self.source}: {registry} asks for a username and password "
                    f"(Basic realm {sanitize(basic.realm)[:80]!r}) to read {image}",
                    source=self.source,
                    hint="configure `token` (and `user`) for this source",
                )
            self._basic_requested = True
            return {"Authorization": self._basic()}
        shown = sanitize(response.headers.get("www-authenticate", ""))[:120] or "no challenge"
        raise SourceError(
            ErrorKind.AUTH,
            f"{self.source}: {registry} answered 401 for {image} with {shown!r}, "
            "a challenge the cockpit cannot answer",
            source=self.source,
            hint="the registry needs Basic or Bearer token auth; check the source's url",
        )

    def refused(self, response: httpx.Response, image: str) -> SourceError:
        """The error for a 401 that survived our one retry with credentials or a token."""
        registry = _host(str(response.request.url))
        challenges = parse_challenges(response.headers.get("www-authenticate", ""))
        error = next((c.error for c in challenges if c.error), "")
        reason = f", {sanitize(error)[:60]}" if error else ""
        hint = (
            "the repository is private or does not exist (Docker Hub answers 401 for both), "
            "or the token lacks pull access"
            if self.has_credentials
            else "the repository is private or does not exist: configure `token` (and `user`)"
        )
        return SourceError(
            ErrorKind.AUTH,
            f"{self.source}: {registry} refused access to {image} (HTTP 401{reason})",
            source=self.source,
            hint=hint,
        )

    async def _fetch_token(self, challenge: Challenge, image: str, registry_url: str) -> str:
        scope = challenge.scope or f"repository:{image}:pull"
        key = (challenge.realm, challenge.service, scope)
        realm = urlsplit(challenge.realm)
        realm_host = sanitize(realm.netloc)[:100] or "?"
        if realm.scheme not in ("http", "https") or not realm.netloc:
            raise SourceError(
                ErrorKind.BAD_RESPONSE,
                f"{self.source}: the registry's token realm {sanitize(challenge.realm)[:100]!r} "
                "is not an http(s) URL",
                source=self.source,
                hint="check the source's url points at the registry",
            )
        send_credentials = self.has_credentials
        if send_credentials and realm.scheme == "http" and registry_url.startswith("https://"):
            raise SourceError(
                ErrorKind.AUTH,
                f"{self.source}: the token service {realm_host} is plain http; "
                "the cockpit does not send credentials there",
                source=self.source,
                hint="the registry's auth realm must be https",
            )
        params = httpx.QueryParams([("scope", part) for part in scope.split()])
        if challenge.service:
            params = params.add("service", challenge.service)
        headers = {"Accept": "application/json"}
        if send_credentials:
            headers["Authorization"] = self._basic()
        request = self.http.client.build_request(
            "GET", challenge.realm, params=params, headers=headers, timeout=self.http.timeout
        )
        self.token_requests += 1
        # SourceHttp.send maps transport failures to typed errors and counts the request.
        response = await self.http.send(request)
        if response.status_code in (401, 403):
            who = "the configured credentials" if send_credentials else "an anonymous request"
            raise SourceError(
                ErrorKind.AUTH,
                f"{self.source}: the token service {realm_host} refused {who} "
                f"for {sanitize(scope)[:120]} (HTTP {response.status_code})",
                source=self.source,
                hint=(
                    "check the token (and user) references and that the token may pull this image"
                    if send_credentials
                    else "the image is private: configure `token` (and `user`) for this source"
                ),
            )
        self.http.raise_for_status(response)
        document = parse_json(response.content)
        value = ""
        if isinstance(document, dict):
            value = str(document.get("token") or document.get("access_token") or "")
        if not value:
            raise SourceError(
                ErrorKind.BAD_RESPONSE,
                f"{self.source}: the token service {realm_host} answered without a token "
                f"({describe_body(response)})",
                source=self.source,
                hint="check the source's url points at the registry, not a proxy or web page",
            )
        lifetime = DEFAULT_TOKEN_LIFETIME_S
        if isinstance(document, dict):
            expires_in = document.get("expires_in")
            if isinstance(expires_in, int | float) and expires_in > 0:
                lifetime = float(expires_in)
        margin = min(TOKEN_REFRESH_MARGIN_S, lifetime / 4)
        self._tokens[key] = _Token(value, self.http.clock.monotonic() + lifetime - margin)
        self._image_token[image] = key
        return value


def _host(url: str) -> str:
    return sanitize(urlsplit(url).netloc)[:100] or "?"
