"""OAuth through the binding, against a loopback server that checks every request on its own:
OAuth 1.0a signatures are verified with oauthlib (an independent implementation of RFC 5849),
OAuth 2 bearer tokens by comparison. MediaWiki's OAuth extension is not in Debian's package,
so these servers stand in for it; they need no wiki."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import Any, Dict, Iterator, List
from urllib.parse import urlsplit

import pytest
from oauthlib.oauth1 import Client
from oauthlib.oauth1.rfc5849 import signature, utils

import mwauth
from conftest import loopback_server

KEYS = {
    "consumer_key": "mwauth-consumer",
    "consumer_secret": "consumer sécret+&|",
    "access_token": "mwauth-access-token",
    "access_secret": "access/secret=+",
}
BEARER = "bearer-token-0123456789"
# Values that trip naive signers: non-ASCII, MediaWiki's | separator, &, +, =, spaces, %.
TRICKY = {"titles": "Ünïcode|A&B+C", "summary": "a b=c%20d", "text": "1+1=2 & ünd"}


class Verifier(BaseHTTPRequestHandler):
    seen: List[Dict[str, Any]] = []

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _answer(self, status: int, body: Dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _check(self, body: str) -> None:
        authorization = self.headers.get("Authorization", "")  # case-insensitive look-ups
        record: Dict[str, Any] = {"method": self.command, "path": self.path, "body": body,
                                  "authorization": authorization, "cookie": self.headers.get("Cookie")}
        if authorization.startswith("Bearer "):
            record["valid"] = authorization == f"Bearer {BEARER}"
        else:
            host = self.headers["Host"]
            uri = f"http://{host}{self.path}"
            query = urlsplit(uri).query
            params = signature.collect_parameters(
                uri_query=query, body=body, headers={"Authorization": authorization},
                exclude_oauth_signature=True, with_realm=False)
            # Header values are percent-encoded (RFC 5849 §3.5.1).
            oauth = {k: utils.unescape(v) for k, v in utils.parse_authorization_header(authorization)}
            base = signature.signature_base_string(
                self.command, signature.base_string_uri(uri), signature.normalize_parameters(params))
            client = Client(KEYS["consumer_key"], client_secret=KEYS["consumer_secret"],
                            resource_owner_secret=KEYS["access_secret"])
            expected = signature.sign_hmac_sha1_with_client(base, client)
            record["valid"] = (oauth.get("oauth_signature") == expected
                               and oauth.get("oauth_consumer_key") == KEYS["consumer_key"]
                               and oauth.get("oauth_token") == KEYS["access_token"]
                               and oauth.get("oauth_signature_method") == "HMAC-SHA1")
            record["nonce"] = oauth.get("oauth_nonce")
        Verifier.seen.append(record)
        if record["valid"]:
            self._answer(200, {"batchcomplete": True, "query": {"verified": True}})
        else:
            self._answer(401, {"error": {"code": "mwoauth-invalid-authorization", "info": "bad signature"}})

    def do_GET(self) -> None:
        self._check("")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self._check(self.rfile.read(length).decode())


@pytest.fixture
def server() -> Iterator[str]:
    Verifier.seen = []
    with loopback_server(Verifier, "/w/api.php") as url:
        yield url


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_oauth1_signatures_verify_with_oauthlib(server: str, method: str) -> None:
    with mwauth.Session(server, oauth1=KEYS) as s:
        assert s.info["auth"] == "oauth1"
        params = {"action": "query", "prop": ["info", "revisions"], **TRICKY}
        if method == "POST":
            params = {"action": "edit", "title": "Ünï|code", **TRICKY}
        for _ in range(2):
            assert s.request(params, method=method)["query"]["verified"] is True
    assert len(Verifier.seen) == 2
    assert all(r["valid"] and r["method"] == method for r in Verifier.seen), Verifier.seen
    assert Verifier.seen[0]["nonce"] != Verifier.seen[1]["nonce"]
    assert all(KEYS["consumer_secret"] not in json.dumps(r) for r in Verifier.seen)


def test_a_wrong_secret_is_refused_by_the_verifier(server: str) -> None:
    keys = dict(KEYS, access_secret="not the secret")
    with mwauth.Session(server, oauth1=keys) as s:
        with pytest.raises(mwauth.ApiError) as failure:
            s.request({"action": "query", "meta": "userinfo"})
    assert failure.value.code == "mwoauth-invalid-authorization"
    assert Verifier.seen[0]["valid"] is False


def test_oauth2_sends_the_bearer_token_and_no_login(server: str) -> None:
    with mwauth.Session(server, oauth2_token=BEARER) as s:
        assert s.info["auth"] == "oauth2"
        assert s.request({"action": "query", "meta": "userinfo"}, method="POST")["query"]["verified"]
        with pytest.raises(mwauth.StateError) as failure:
            s.logout()
        assert failure.value.code == "oauth_session"
        with pytest.raises(mwauth.StateError):
            s.login("User@app", "0123456789abcdefghijklmnopqrstuv")
    assert [r["valid"] for r in Verifier.seen] == [True]
    assert Verifier.seen[0]["cookie"] is None
    assert BEARER not in Verifier.seen[0]["path"] + Verifier.seen[0]["body"]


def test_oauth2_token_never_goes_over_plain_http_to_another_host() -> None:
    with pytest.raises(mwauth.ArgumentError) as failure:
        mwauth.Session("http://wiki.invalid/w/api.php", oauth2_token=BEARER)
    assert failure.value.code == "insecure_http"
    assert BEARER not in str(failure.value)
