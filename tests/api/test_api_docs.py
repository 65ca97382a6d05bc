"""The OpenAPI schema and the Swagger UI docs: for desk users only, every operation documented with its
errors, and the docs page served offline from ninja's bundled files."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.api.conftest import Api

pytestmark = pytest.mark.django_db


def test_the_schema_needs_a_desk_user_token_or_session(anonymous, as_charlie, charlie):
    refused = anonymous.get("/api/openapi.json")
    assert refused.status_code == 401 and "Bearer" in refused.json()["detail"]
    assert as_charlie.get("/api/openapi.json").status_code == 200
    session = Client()
    session.force_login(charlie)
    assert session.get("/api/openapi.json").status_code == 200
    assert Api("edk_wrong").get("/api/openapi.json").status_code == 401


def test_every_operation_has_a_summary_a_success_schema_and_documented_errors(as_alice):
    schema = as_alice.get("/api/openapi.json").json()
    assert schema["components"]["securitySchemes"]["ApiToken"]["scheme"] == "bearer"
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            name = f"{method.upper()} {path}"
            assert op.get("summary"), name
            success = [c for c in op["responses"] if c.startswith("2")]
            assert success and all("content" in op["responses"][c] for c in success), name
            assert {"401", "403", "422"} <= set(op["responses"]), name
            for code in ("401", "403", "422"):
                ref = op["responses"][code]["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorOut"), name
            if "{" in path:
                assert "404" in op["responses"], name
            if method == "post":
                assert "409" in op["responses"], name


def test_the_docs_page_sends_anonymous_visitors_to_log_in(anonymous):
    r = anonymous.client.get("/api/docs")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/?next=/api/docs")


def test_the_docs_page_loads_swagger_ui_from_the_desk_not_a_cdn(charlie):
    client = Client()
    client.force_login(charlie)
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "cdn" not in html.lower(), "ninja renders its CDN template unless 'ninja' is in INSTALLED_APPS"
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "/api/openapi.json" in html
    bundle = client.get("/static/ninja/swagger-ui-bundle.js")
    assert bundle.status_code == 200
