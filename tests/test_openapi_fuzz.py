"""Schemathesis fuzzes every documented operation of the live server: no 5xx, responses match the
OpenAPI document, and every error is the documented envelope."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from tests.conftest import make_tenant

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
async def fuzz_key(runtime) -> str:
    return (await make_tenant(runtime)).key


def _operations(live_server: str):
    schema = schemathesis.openapi.from_url(f"{live_server}/openapi.json")
    # NUL is refused at the boundary (tests/test_api_conventions.py); PostgreSQL cannot store it.
    schema.config.generation.update(allow_x00=False)
    return [result.ok() for result in schema.get_all_operations()]


def test_documented_operations_hold_their_contract(live_server, fuzz_key):
    operations = _operations(live_server)
    assert len(operations) >= 15
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def fuzz(case) -> None:  # type: ignore[no-untyped-def]
            response = case.call(headers={"X-API-Key": fuzz_key}, timeout=10)
            # Rules beyond the schema (a provider's credential formats, a date range's order) refuse
            # some schema-valid bodies with a precise 400; that is not a contract breach.
            case.validate_response(response, excluded_checks=[positive_data_acceptance])
            if response.status_code >= 400:
                body = response.json()
                assert body["success"] is False and {"code", "message", "details"} <= set(body["error"]), body

        try:
            fuzz()
        except Exception as exc:  # collect all operations' failures, then report them together
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
