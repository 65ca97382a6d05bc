"""Paths and methods the API does not have are answered in its JSON error shape, not with the desk's HTML."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("method,path", [
    ("get", "/api/"), ("get", "/api/nothing"), ("get", "/api/orders/"), ("post", "/api/orders/1/explode"),
])
def test_an_unknown_path_is_a_json_404_pointing_to_the_docs(method, path):
    r = getattr(Client(enforce_csrf_checks=True), method)(path)
    assert r.status_code == 404
    assert r.json()["detail"] == (f"no endpoint {method.upper()} {path}; the API is described at /api/docs and "
                                  "/api/openapi.json")


def test_a_method_the_path_does_not_have_is_a_json_405_listing_the_allowed_ones(as_alice):
    r = as_alice.client.put("/api/orders", headers=as_alice.headers)
    assert r.status_code == 405
    assert r.json()["detail"].startswith("PUT is not allowed on /api/orders; allowed:")
    assert set(r["Allow"].split(", ")) == {"GET", "POST"}
