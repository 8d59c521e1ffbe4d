"""Property-based fuzzing of the HTTP API from its own /openapi.json (Schemathesis).

Every operation gets generated requests, valid and invalid, against a real server
process; none may answer with a 5xx. Writes are fuzzed with the token, on an index of
their own. Examples per operation are capped so the whole run takes seconds.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from conftest import ARTICLES
from serving import Server, year_articles
from vnsearch import Index
from vnsearch.server import ServerSettings, create_app

TOKEN = "fuzz-token"


@pytest.fixture(scope="module")
def fuzzed_server(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "index"
    Index.create(path).add(ARTICLES + year_articles(8))
    server = Server(path, "--token", TOKEN, "--max-body", 50_000)
    yield server
    server.stop()


# The description the server publishes, made by the same code in this process (the
# test below checks that the server serves exactly this), so tests can be made from it
# before any server runs.
SPEC = create_app(ServerSettings(index_path="unused")).openapi()
schema = schemathesis.openapi.from_dict(SPEC)


@schemathesis.serializer("application/x-ndjson")
def json_lines(context, value):
    """JSON Lines bodies are text: send the generated string as it is."""
    return value.encode("utf-8", "surrogatepass") if isinstance(value, str) else None


def test_the_server_publishes_this_description(fuzzed_server):
    assert fuzzed_server.client.get("/openapi.json").json() == SPEC


@schema.parametrize()
@settings(max_examples=40, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_no_request_makes_the_server_fail(case, fuzzed_server):
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {TOKEN}"}
    response = case.call(base_url=fuzzed_server.url, timeout=30)
    assert response.status_code < 500, (case.method, case.path, response.text[:300])
    case.validate_response(response, checks=[not_a_server_error])
    if response.status_code >= 400:  # every error is JSON with a message for people
        body = response.json()
        assert body["status"] == response.status_code and body["message"]
