"""`manage.py execute` run for real (paper venue, simulated market, ~30 s each) with IS's urgency and POV's
participation bounds: the terms reach the order, its frozen strategy and the JSON export."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from execdesk.desk.models import ParentOrder
from execdesk.domain.strategies.is_urgency import ISInputs, urgency_risk_aversion

pytestmark = pytest.mark.django_db(transaction=True)

COMMON = ("--symbol", "BTCUSDT", "--side", "buy", "--horizon", "30", "--interval", "5", "--venue", "paper",
          "--market", "sim", "--advisor", "none", "--approve", "auto", "--grace", "5")


@pytest.fixture(scope="module")
def runs(django_db_setup, django_db_blocker, tmp_path_factory):
    out = tmp_path_factory.mktemp("execute-terms")
    results = {}
    with django_db_blocker.unblock():
        for name, args in (("is", ("--qty", "0.5", "--strategy", "is", "--urgency", "high")),
                           ("pov", ("--qty", "0.01", "--strategy", "pov", "--pov-rate", "0.05",
                                    "--min-participation", "0.02", "--max-participation", "0.1"))):
            path = out / f"{name}.json"
            try:
                call_command("execute", *COMMON, *args, "--json", str(path), stdout=StringIO())
            except CommandError:  # POV may not finish in 30 s of a quiet market: the JSON is written anyway
                pass
            data = json.loads(path.read_text())
            parent = ParentOrder.objects.get(pk=data["parent"]["id"])
            results[name] = {"data": data, "parent": parent, "params": parent.strategy_params,
                             "reasons": list(parent.proposals.order_by("seq").values_list("reasoning", "quantity"))}
        yield results
        call_command("flush", interactive=False, verbosity=0)


def test_is_runs_at_high_urgency_on_the_closed_form_plan(runs):
    run = runs["is"]
    parent, params = run["parent"], run["params"]
    assert parent.urgency == "high" and parent.status == "COMPLETE"
    terms = run["data"]["parent"]["strategy_terms"]
    assert terms["urgency"] == "high" and terms["kappa_t"] == pytest.approx(params["kappa_t"])
    mid = float(parent.decision_price)
    assert terms["risk_aversion"] == pytest.approx(urgency_risk_aversion("high", 0.5 * mid), rel=1e-3)
    plan = ISInputs(quantity=0.5, mid=mid, horizon_s=30, interval_s=5, sigma=params["sigma"], eta=params["eta"],
                    gamma=params["gamma"], epsilon=params["epsilon"]).plan(terms["risk_aversion"])
    first_reason, first_qty = run["reasons"][0]
    assert float(first_qty) == pytest.approx(plan.trades[0], abs=0.001)  # on the instrument's 0.001 step
    assert "Almgren-Chriss trajectory" in first_reason


def test_pov_runs_within_its_bounds(runs):
    run = runs["pov"]
    parent = run["parent"]
    assert (parent.pov_rate, parent.min_participation, parent.max_participation) == (0.05, 0.02, 0.1)
    terms = run["data"]["parent"]["strategy_terms"]
    assert (terms["pov_rate"], terms["min_participation"], terms["max_participation"]) == (0.05, 0.02, 0.1)
    assert any("bounds 2–10 %" in reason for reason, _ in run["reasons"])
