"""Validators for GitHub's published response schemas (tests/vendor_schemas), by endpoint.

The file holds GitHub's OpenAPI response schemas under `endpoints/<METHOD path>/responses/<code>/
schema`. Each validator is a `$ref` into the whole file (registered as one resource), so any
`$ref` inside the file resolves against the file itself. `date-time` and `uri` formats are
checked too (jsonschema checks them only with optional packages, so they are added here).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SCHEMA_FILE = Path(__file__).parents[2] / "vendor_schemas" / "github-actions-schemas.json"
_URI = "urn:vendor:github-actions-schemas"

LIST_RUNS = "GET /repos/{owner}/{repo}/actions/runs"
LIST_JOBS = "GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs"
JOB_LOGS = "GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs"
# The file has no schema of its own for a single run or for 404s: a single run is the list's
# "Workflow Run" item, and a 404 is GitHub's "Basic Error" (published with the status endpoint).
_RUN_ITEM = "/properties/workflow_runs/items"
_BASIC_ERROR_ENDPOINT = "GET /repos/{owner}/{repo}/commits/{ref}/status"

_RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def _format_checker() -> FormatChecker:
    checker = FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value: object) -> bool:
        if not isinstance(value, str):
            return True
        if not _RFC3339.match(value):
            raise ValueError(f"{value!r} is not RFC 3339")
        datetime.fromisoformat(value)
        return True

    @checker.checks("uri")
    def _uri(value: object) -> bool:
        if not isinstance(value, str):
            return True
        parts = urlsplit(value)
        return bool(parts.scheme and parts.netloc)

    return checker


@cache
def document() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SCHEMA_FILE.read_text())
    return data


@cache
def _registry() -> Registry[Any]:
    resource = Resource.from_contents(document(), default_specification=DRAFT202012)
    return Registry().with_resource(_URI, resource)


def pointer(endpoint: str, status: str = "200", suffix: str = "") -> str:
    escaped = endpoint.replace("~", "~0").replace("/", "~1")
    return f"/endpoints/{escaped}/responses/{status}/schema{suffix}"


@cache
def validator(endpoint: str, status: str = "200", suffix: str = "") -> Draft202012Validator:
    ref = _URI + "#" + quote(pointer(endpoint, status, suffix), safe="/~")
    return Draft202012Validator(
        {"$ref": ref}, registry=_registry(), format_checker=_format_checker()
    )


def problems(body: Any, endpoint: str, status: str = "200", suffix: str = "") -> list[str]:
    """Every schema violation of `body`, as `path: message` lines (empty: valid)."""
    errors = validator(endpoint, status, suffix).iter_errors(body)
    return sorted(f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors)


def runs_list_problems(body: Any) -> list[str]:
    return problems(body, LIST_RUNS)


def run_problems(body: Any) -> list[str]:
    return problems(body, LIST_RUNS, suffix=_RUN_ITEM)


def jobs_list_problems(body: Any) -> list[str]:
    return problems(body, LIST_JOBS)


def error_problems(body: Any) -> list[str]:
    return problems(body, _BASIC_ERROR_ENDPOINT, status="404")


def documented_headers(endpoint: str, status: str) -> set[str]:
    """The response headers GitHub documents for an endpoint and status (e.g. Link, Location)."""
    response = document()["endpoints"][endpoint]["responses"][status]
    return {name.lower() for name in response.get("headers", {})}
