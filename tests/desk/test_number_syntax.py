"""One number syntax for the form, the API and the CLI (services/inputs.py): plain decimal digits with an
optional sign and point, whitespace around them stripped. " 0.5" and "0.5\\n" are 0.5 everywhere; an exponent
("1e1", which would be 10) is refused everywhere."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from execdesk.desk.models import ParentOrder
from tests.api.conftest import ORDER, Api, token_for
from tests.desk.test_bad_input_matrix import FORM

pytestmark = pytest.mark.django_db

SPACED = [" 0.5", "0.5\n", "\t0.5 "]


def _form(client, quantity: str):
    return client.post("/orders/new/", {**FORM, "quantity": quantity})


def _api(alice, quantity: str):
    return Api(token_for(alice)).post("/api/orders", {**ORDER, "quantity": quantity})


def _cli(quantity: str) -> None:
    call_command("execute", "--symbol", "BTCUSDT", "--side", "buy", "--qty", quantity, "--horizon", "60",
                 "--interval", "10", "--approve", "auto", "--user", "alice", "--grace", "0", stdout=StringIO())


@pytest.mark.parametrize("quantity", SPACED, ids=repr)
def test_whitespace_around_a_number_is_stripped_by_the_form_and_the_api(client, alice, quantity):
    client.force_login(alice)
    assert _form(client, quantity).status_code == 302
    assert _api(alice, quantity).status_code == 201
    assert list(ParentOrder.objects.values_list("quantity", flat=True)) == [Decimal("0.5")] * 2


@pytest.mark.parametrize("quantity", ["1e1", "1E+1", "5e-1"])
def test_an_exponent_is_refused_by_the_form_the_api_and_the_cli(client, alice, quantity):
    client.force_login(alice)
    r = _form(client, quantity)
    assert r.status_code == 400 and "is not a plain decimal" in r.content.decode()
    r = _api(alice, quantity)
    assert r.status_code == 422 and "decimal string" in r.json()["detail"], r.json()
    with pytest.raises(CommandError, match="is not a plain decimal"):
        _cli(quantity)
    assert not ParentOrder.objects.exists()
