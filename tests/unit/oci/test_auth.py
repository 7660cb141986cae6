"""Registry auth: the Bearer challenge flow (Docker Hub, GHCR, Harbor), Basic, and refusals."""

from __future__ import annotations

import base64

import httpx
import pytest

from cockpit.clock import FakeClock
from cockpit.errors import ErrorKind, SourceError
from cockpit.sources.oci import parse_challenges
from tests.unit.oci.fakes import FakeRegistry, image_manifest, make_adapter, manifest_response

MANIFEST = image_manifest()
TAG_PATH = "/v2/acme/checkout/manifests/v2.14.0"
REALM = "https://auth.example.com/token"
CHALLENGE = (
    f'Bearer realm="{REALM}",service="registry.example.com",scope="repository:acme/checkout:pull"'
)


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_parse_bearer_challenge_with_quoted_commas_and_several_schemes() -> None:
    header = (
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
        'scope="repository:samalba/my-app:pull,push",error="insufficient_scope", '
        'Basic realm="basic-realm"'
    )
    bearer, basic_challenge = parse_challenges(header)
    assert bearer.scheme == "bearer"
    assert bearer.realm == "https://auth.docker.io/token"
    assert bearer.service == "registry.docker.io"
    assert bearer.scope == "repository:samalba/my-app:pull,push"
    assert bearer.error == "insufficient_scope"
    assert (basic_challenge.scheme, basic_challenge.realm) == ("basic", "basic-realm")


def test_parse_tolerates_unquoted_values_and_garbage() -> None:
    [challenge] = parse_challenges("bearer realm=https://r.example/t, service=reg")
    assert (challenge.realm, challenge.service) == ("https://r.example/t", "reg")
    assert parse_challenges("") == []


class TokenRegistry(FakeRegistry):
    """A registry behind a token realm that issues `tok-<n>` to the right credentials."""

    def __init__(self, *, credentials: str | None, expires_in: int = 300) -> None:
        super().__init__()
        self.issued = 0
        self.expires_in = expires_in
        self.credentials = credentials

        def manifest(request: httpx.Request) -> httpx.Response:
            if request.headers.get("authorization", "").startswith("Bearer tok-"):
                return manifest_response(MANIFEST)
            return httpx.Response(
                401,
                headers={"WWW-Authenticate": CHALLENGE},
                json={"errors": [{"code": "UNAUTHORIZED"}]},
            )

        def token(request: httpx.Request) -> httpx.Response:
            if self.credentials is not None and (
                request.headers.get("authorization") != self.credentials
            ):
                return httpx.Response(401, json={"details": "incorrect username or password"})
            self.issued += 1
            return httpx.Response(
                200, json={"token": f"tok-{self.issued}", "expires_in": self.expires_in}
            )

        self.add(TAG_PATH, manifest)
        self.add("auth.example.com/token", token)

    def token_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.host == "auth.example.com"]


async def test_bearer_flow_fetches_a_token_with_basic_credentials_and_retries() -> None:
    registry = TokenRegistry(credentials=basic("ci-bot", "s3cret"))
    adapter = make_adapter(registry, token="s3cret", user="ci-bot")
    [status] = (await adapter.poll()).artifacts
    assert status.present is True
    [token_request] = registry.token_requests()
    assert token_request.url.params["service"] == "registry.example.com"
    assert token_request.url.params["scope"] == "repository:acme/checkout:pull"
    assert token_request.headers["authorization"] == basic("ci-bot", "s3cret")
    manifest_requests = [r for r in registry.requests if r.url.path == TAG_PATH]
    assert "authorization" not in manifest_requests[0].headers
    assert manifest_requests[1].headers["authorization"] == "Bearer tok-1"


async def test_token_is_cached_per_scope_until_it_expires() -> None:
    clock = FakeClock()
    registry = TokenRegistry(credentials=None, expires_in=120)
    adapter = make_adapter(registry, clock=clock)
    await adapter.poll()
    await adapter.poll()
    assert registry.issued == 1  # the second poll sent the cached token up front
    second_poll = [r for r in registry.requests if r.url.path == TAG_PATH][2]
    assert second_poll.headers["authorization"] == "Bearer tok-1"
    await clock.advance(115)  # inside the refresh margin: a new token is fetched
    await adapter.poll()
    assert registry.issued == 2


async def test_anonymous_token_when_no_credentials_are_configured() -> None:
    registry = TokenRegistry(credentials=None)
    adapter = make_adapter(registry)
    [status] = (await adapter.poll()).artifacts
    assert status.present is True
    [token_request] = registry.token_requests()
    assert "authorization" not in token_request.headers


async def test_realm_refusing_our_credentials_is_an_auth_error_naming_the_realm() -> None:
    registry = TokenRegistry(credentials=basic("ci-bot", "right"))
    adapter = make_adapter(registry, token="wrong", user="ci-bot")
    with pytest.raises(SourceError) as caught:
        await adapter.poll()
    error = caught.value
    assert error.kind is ErrorKind.AUTH
    assert error.source == "registry"
    assert error.message.startswith("registry: ")
    assert "auth.example.com" in error.message
    assert "refused the configured credentials" in error.message
    assert "token" in error.hint
    assert "wrong" not in str(error)


async def test_realm_refusing_an_anonymous_request_says_to_configure_a_token() -> None:
    registry = TokenRegistry(credentials=basic("someone", "x"))
    with pytest.raises(SourceError) as caught:
        await make_adapter(registry).poll()
    assert caught.value.kind is ErrorKind.AUTH
    assert "auth.example.com" in caught.value.message
    assert "anonymous" in caught.value.message
    assert "configure `token`" in caught.value.hint


async def test_registry_refusing_the_fresh_token_is_retried_only_once() -> None:
    registry = FakeRegistry()
    registry.add(
        TAG_PATH,
        httpx.Response(
            401, headers={"WWW-Authenticate": CHALLENGE + ',error="insufficient_scope"'}
        ),
    )
    registry.add("auth.example.com/token", httpx.Response(200, json={"access_token": "t"}))
    with pytest.raises(SourceError) as caught:
        await make_adapter(registry, token="pat").poll()
    assert caught.value.kind is ErrorKind.AUTH
    assert "insufficient_scope" in caught.value.message
    assert "registry.example.com refused access to acme/checkout" in caught.value.message
    assert [r.url.path for r in registry.requests] == [TAG_PATH, "/token", TAG_PATH]


async def test_token_only_config_is_sent_as_basic_password_to_the_realm() -> None:
    registry = TokenRegistry(credentials=None)
    await make_adapter(registry, token="ghp_abc").poll()
    [token_request] = registry.token_requests()
    sent = base64.b64decode(token_request.headers["authorization"].removeprefix("Basic "))
    assert sent.endswith(b":ghp_abc")


async def test_realm_answering_html_is_bad_response() -> None:
    registry = FakeRegistry()
    registry.add(TAG_PATH, httpx.Response(401, headers={"WWW-Authenticate": CHALLENGE}))
    registry.add(
        "auth.example.com/token",
        httpx.Response(200, headers={"Content-Type": "text/html"}, content=b"<html>login</html>"),
    )
    with pytest.raises(SourceError) as caught:
        await make_adapter(registry).poll()
    assert caught.value.kind is ErrorKind.BAD_RESPONSE
    assert "auth.example.com answered without a token" in caught.value.message


async def test_credentials_are_never_sent_to_a_plain_http_realm_of_an_https_registry() -> None:
    registry = FakeRegistry()
    registry.add(
        TAG_PATH,
        httpx.Response(
            401,
            headers={
                "WWW-Authenticate": 'Bearer realm="http://auth.example.com/token",service="r"'
            },
        ),
    )
    with pytest.raises(SourceError) as caught:
        await make_adapter(registry, token="pat", user="me").poll()
    assert caught.value.kind is ErrorKind.AUTH
    assert "plain http" in caught.value.message
    assert all(r.url.host != "auth.example.com" for r in registry.requests)


async def test_basic_challenge_is_answered_with_credentials_and_then_sent_up_front() -> None:
    registry = FakeRegistry()

    def manifest(request: httpx.Request) -> httpx.Response:
        if request.headers.get("authorization") == basic("me", "pw"):
            return manifest_response(MANIFEST)
        return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="basic-realm"'})

    registry.add(TAG_PATH, manifest)
    adapter = make_adapter(registry, token="pw", user="me")
    [status] = (await adapter.poll()).artifacts
    assert status.present is True
    before = len(registry.requests)
    await adapter.poll()
    after = [r for r in registry.requests[before:] if r.url.path == TAG_PATH]
    assert len(after) == 1
    assert after[0].headers["authorization"] == basic("me", "pw")


async def test_basic_challenge_without_credentials_says_what_to_configure() -> None:
    registry = FakeRegistry()
    registry.add(TAG_PATH, httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="x"'}))
    with pytest.raises(SourceError) as caught:
        await make_adapter(registry).poll()
    assert caught.value.kind is ErrorKind.AUTH
    assert "asks for a username and password" in caught.value.message
    assert "configure `token`" in caught.value.hint


async def test_401_without_a_challenge_is_an_auth_error() -> None:
    registry = FakeRegistry()
    registry.add(TAG_PATH, httpx.Response(401))
    with pytest.raises(SourceError) as caught:
        await make_adapter(registry).poll()
    assert caught.value.kind is ErrorKind.AUTH
    assert caught.value.message.startswith("registry: ")
