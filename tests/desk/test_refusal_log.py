"""An expected refusal (a role or an owner check) logs one WARNING line naming who, what and why, without a
traceback; an unexpected error keeps its traceback."""

from __future__ import annotations

import logging
import sys

import pytest
from django.test import RequestFactory
from django.urls import reverse

from tests.api.conftest import Api, token_for

pytestmark = pytest.mark.django_db

ORDER = {"symbol": "BTCUSDT", "side": "buy", "quantity": "0.5", "horizon_seconds": 600, "interval_seconds": 10,
         "strategy": "twap", "approval_mode": "manual"}


def _request_log(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "django.request"]


def test_a_page_refusal_is_one_warning_line_without_a_traceback(client, charlie, caplog):
    client.force_login(charlie)
    with caplog.at_level(logging.INFO):
        response = client.post(reverse("desk:order_create"), ORDER)
    assert response.status_code == 403
    [record] = _request_log(caplog)
    assert record.levelno == logging.WARNING and record.exc_info is None and record.exc_text is None
    line = record.getMessage()
    assert line == ("Forbidden: POST /orders/new/ by charlie (auditor): creating a parent order needs the trader or "
                    "supervisor role (you are auditor)"), line
    assert "Traceback" not in caplog.text


def test_a_fetch_refusal_names_who_and_why(client, charlie, make_order, caplog):
    parent = make_order()
    client.force_login(charlie)
    with caplog.at_level(logging.INFO):
        response = client.post(reverse("desk:order_action", args=[parent.pk, "pause"]),
                               HTTP_ACCEPT="application/json")
    assert response.status_code == 403
    [record] = _request_log(caplog)
    assert record.exc_info is None
    assert record.getMessage().startswith(f"Forbidden: POST /orders/{parent.pk}/pause/ by charlie (auditor): ")
    assert "trader or supervisor" in record.getMessage()


def test_an_api_refusal_names_who_and_why(alice, make_order, caplog):
    make_order()
    with caplog.at_level(logging.INFO):
        response = Api(token_for(alice)).get("/api/audit")
    assert response.status_code == 403
    [record] = _request_log(caplog)
    assert record.exc_info is None
    assert record.getMessage() == ("Forbidden: GET /api/audit by alice (trader): GET /api/audit needs the auditor "
                                   "or supervisor role (you are trader)")


def test_an_unexpected_error_keeps_its_traceback(caplog):
    request = RequestFactory().get("/orders/1/")
    try:
        raise ValueError("a bug")
    except ValueError:
        exc_info = sys.exc_info()
    with caplog.at_level(logging.INFO):
        logging.getLogger("django.request").error("Internal Server Error: %s", request.path, exc_info=exc_info,
                                                  extra={"status_code": 500, "request": request})
    [record] = _request_log(caplog)
    assert record.exc_info == exc_info and record.getMessage() == "Internal Server Error: /orders/1/"
    assert "Traceback" in caplog.text and "ValueError: a bug" in caplog.text
