"""The HTTP API against its own OpenAPI document: for requests generated from the schema (valid ones
and ones that break it), every answer must be documented, in its documented shape, and never a
server error. A CMS generates its client from that document. The examples are the same on every
run, so that a failure in CI is one anyone can replay; for a wider search, raise max_examples and
drop derandomize."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from linkdesk.web import create_app

from .conftest import build_demo_archive, pg_schema


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def api_schema(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
               pg_server: str | None) -> Iterator[Any]:
    """The demo archive's API, on a SQLite file and then on a PostgreSQL schema (whose driver hands
    back its own types); a copy of the archive of its own, as the requests the schema allows may
    write (a decline, say)."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            db = str(tmp_path_factory.mktemp("contract") / "demo.db")
        else:
            db = stack.enter_context(pg_schema(pg_server))
        build_demo_archive(db)
        yield schemathesis.openapi.from_asgi("/openapi.json", create_app(db))


def test_the_schema_documents_every_route(api_schema: Any) -> None:
    routes = {(op.method.upper(), op.path) for op in _operations(api_schema)}
    assert routes == {("GET", "/health"), ("POST", "/suggest"), ("POST", "/apply"), ("POST", "/apply/reviewed"),
                      ("POST", "/lint"),
                      ("GET", "/stats"), ("GET", "/article"), ("GET", "/orphans"), ("GET", "/inbound"),
                      ("GET", "/related"), ("POST", "/articles"),
                      ("POST", "/withdraw"), ("POST", "/restore"), ("GET", "/withdrawn"),
                      ("POST", "/decline"), ("POST", "/decline/forget"), ("GET", "/declined"),
                      ("POST", "/sources/remove"), ("POST", "/sources/remove/forget"), ("GET", "/sources/removed")}


@pytest.mark.slow
@pytest.mark.parametrize("mode", [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE])
def test_every_answer_is_documented_and_never_a_server_error(api_schema: Any, mode: Any) -> None:
    for operation in _operations(api_schema):
        if mode is schemathesis.GenerationMode.NEGATIVE and not (len(operation.query) or len(operation.body)):
            continue  # nothing in the request to get wrong
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None,
                  derandomize=True)
        def answers(case: Any) -> None:
            # a request the schema allows may still be refused for what it says (a date that is not
            # one, an article not in the archive): such answers must be documented, which is checked
            case.call_and_validate(excluded_checks=[positive_data_acceptance])

        answers()


def _operations(schema: Any) -> list[Any]:
    return [result.ok() for result in schema.get_all_operations()]
