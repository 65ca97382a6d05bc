"""Every end-time policy brings the step engine's order to its terminal state on time, on the simulator and on
a replayed tape, with or without a latency, and also when the decision grid does not meet the deadline (the
steps lag behind it): finish crosses the remainder in its last interval (the risk gate caps each cross) and
ends EXPIRED one interval past the deadline with what the gate held back; expire stops at the deadline and
sends nothing from it; continue works on past it at the last rate until an unattended run stops it."""

from __future__ import annotations

from pathlib import Path

import pytest

from execdesk.domain.end_policy import EndPolicy, continue_slice
from execdesk.domain.instrument import SIM_INSTRUMENTS
from execdesk.domain.market import MarketSnapshot, Trade
from execdesk.domain.orders import OrderReport, OrderRequest, Side
from execdesk.domain.risk import RiskLimits
from execdesk.domain.states import ParentStatus
from execdesk.domain.strategies.registry import StrategyInputs, build_strategy
from execdesk.engine.clock import SimClock
from execdesk.engine.decide import Decision, decide, schedule_proposer
from execdesk.engine.loop import OrderPlan, StepEngine
from execdesk.market.replay import ReplayMarket, TradeTape
from execdesk.market.sim import SimMarket
from execdesk.venues.gateway import PaperGateway
from tests.market.synthetic_tape import T0 as TAPE_T0
from tests.market.synthetic_tape import kyle_rows, write_rows

SIM_T0 = 1_767_619_800.0


class Record:
    def __init__(self) -> None:
        self.sent: list[tuple[float, OrderRequest, float]] = []  # (when, request, the market's mid)
        self.decisions: list[tuple[float, Decision]] = []

    def decided(self, now: float, market: MarketSnapshot, decision: Decision) -> None:
        self.decisions.append((now, decision))

    def sending(self, request: OrderRequest, market: MarketSnapshot, now: float) -> None:
        self.sent.append((now, request, market.mid))

    def reported(self, report: OrderReport) -> None: ...

    def printed(self, trades: list[Trade]) -> None: ...


def _market(kind: str, tmp_path: Path):
    if kind == "sim":
        market = SimMarket.create("BTCUSDT", seed=11, start_ts=SIM_T0)
        return market, SIM_INSTRUMENTS["BTCUSDT"]
    tape = TradeTape.load(write_rows(tmp_path / "tape.csv", kyle_rows(lam=2e-6, seconds=900.0, rate=6.0)))
    market = ReplayMarket(tape, start_ts=TAPE_T0 + 60)
    return market, market.instrument


def run(kind: str, tmp_path: Path, policy: EndPolicy, *, quantity: float, horizon: float, interval: float,
        limits: RiskLimits | None = None, latency_s: float = 0.0) -> tuple[StepEngine, Record, float]:
    market, instrument = _market(kind, tmp_path)
    gateway = PaperGateway(market, instrument, latency_s=latency_s)
    twap = build_strategy("twap", StrategyInputs(horizon_s=horizon, interval_s=interval))
    propose = schedule_proposer("twap")
    record = Record()
    start = market.ts
    engine = StepEngine(gateway=gateway, clock=SimClock(start), instrument=instrument,
                        plan=OrderPlan(symbol="BTCUSDT", side=Side.BUY, quantity=quantity, horizon_s=horizon,
                                       interval_s=interval, end_policy=policy),
                        limits=limits or RiskLimits(), decide=lambda ctx: decide(twap, ctx, propose=propose),
                        listener=record, link_prefix="E")
    engine.run(market.snapshot().mid)
    return engine, record, start


MARKETS = ["sim", "replay"]
CAPPED = RiskLimits(max_order_notional=3_000.0)  # about 0.045 BTC a child order: the gate holds slices back


@pytest.mark.parametrize("kind", MARKETS)
def test_finish_crosses_in_its_last_interval_and_ends_one_interval_past_the_deadline(kind, tmp_path):
    engine, record, start = run(kind, tmp_path, EndPolicy.FINISH, quantity=1.0, horizon=120.0, interval=15.0,
                                limits=CAPPED)
    assert engine.end_state is ParentStatus.EXPIRED
    assert engine.ended_at == pytest.approx(start + 120.0 + 15.0)
    assert 0 < engine.executed < 1.0, "the capped order could neither finish nor trade nothing"
    assert all(float(req.qty) * mid <= CAPPED.max_order_notional * (1 + 1e-9) for _, req, mid in record.sent)
    final = [d for t, d in record.decisions if t >= start + 120.0 - 15.0]
    assert final and all("end policy finish" in d.baseline.reason or d.baseline.quantity == 0 for d in final)
    assert max(t for t, _, _ in record.sent) < start + 135.0


@pytest.mark.parametrize("kind", MARKETS)
def test_finish_completes_an_order_the_gate_lets_through(kind, tmp_path):
    engine, _, start = run(kind, tmp_path, EndPolicy.FINISH, quantity=0.05, horizon=120.0, interval=15.0)
    assert engine.end_state is ParentStatus.COMPLETE
    assert engine.ended_at <= start + 120.0 + 15.0


@pytest.mark.parametrize("kind", MARKETS)
@pytest.mark.parametrize("latency_s", [0.0, 0.05])
def test_expire_stops_at_the_deadline_and_sends_nothing_from_it(kind, latency_s, tmp_path):
    engine, record, start = run(kind, tmp_path, EndPolicy.EXPIRE, quantity=1.0, horizon=120.0, interval=15.0,
                                limits=CAPPED, latency_s=latency_s)
    assert engine.end_state is ParentStatus.EXPIRED
    assert engine.ended_at == pytest.approx(start + 120.0)
    assert record.sent and max(t for t, _, _ in record.sent) < start + 120.0
    assert engine.executed < 1.0 and not engine.resting


@pytest.mark.parametrize("kind", MARKETS)
def test_continue_works_on_at_the_last_rate_until_the_unattended_run_stops_it(kind, tmp_path):
    engine, record, start = run(kind, tmp_path, EndPolicy.CONTINUE, quantity=1.0, horizon=120.0, interval=15.0,
                                limits=CAPPED)
    late = [(t, req) for t, req, _ in record.sent if t >= start + 120.0]
    assert late, "nothing was sent past the deadline under continue"
    rate = continue_slice(build_strategy("twap", StrategyInputs(horizon_s=120.0, interval_s=15.0)).schedule(1.0, start),
                          quantity=1.0, horizon_s=120.0, interval_s=15.0)
    assert all(float(req.qty) <= rate + 1e-12 for _, req in late)
    gaps = [b - a for (a, _), (b, _) in zip(late, late[1:], strict=False)]
    assert all(g >= 15.0 - 1e-9 for g in gaps), "more than one slice per interval past the deadline"
    if engine.end_state is ParentStatus.COMPLETE:
        assert engine.ended_at <= start + 240.0
    else:
        assert engine.end_state is ParentStatus.CANCELLED
        assert engine.ended_at == pytest.approx(start + 240.0)


@pytest.mark.parametrize("policy, end", [(EndPolicy.EXPIRE, 100.0), (EndPolicy.FINISH, 130.0)])
def test_the_order_ends_on_time_when_the_decision_grid_misses_the_deadline(policy, end, tmp_path):
    """Steps at 0, 30, 60, 90 s: the next would be at 120 s, past a 100 s deadline; the order still ends at its
    policy's end to the second."""
    engine, record, start = run("sim", tmp_path, policy, quantity=1.0, horizon=100.0, interval=30.0, limits=CAPPED)
    assert engine.end_state is ParentStatus.EXPIRED
    assert engine.ended_at == pytest.approx(start + end)
    assert all(t < start + end for t, _ in record.decisions)



def test_finish_crosses_what_remains_whatever_a_timid_advisor_proposes(tmp_path):
    """An advisor that only ever proposes the instrument's minimum (Claude sizing its own slices) is
    overruled in finish's last interval: the order crosses what remains and completes."""
    market, instrument = _market("sim", tmp_path)
    twap = build_strategy("twap", StrategyInputs(horizon_s=120.0, interval_s=15.0))
    scheduled = schedule_proposer("twap")

    def timid(ctx, baseline):
        draft = scheduled(ctx, baseline)
        if draft.order_type is None:
            return draft
        return draft.with_order(quantity=float(instrument.min_qty), order_type=draft.order_type,
                                limit_price=draft.limit_price, tif=draft.tif)

    record, start = Record(), market.ts
    engine = StepEngine(gateway=PaperGateway(market, instrument), clock=SimClock(start), instrument=instrument,
                        plan=OrderPlan(symbol="BTCUSDT", side=Side.BUY, quantity=0.1, horizon_s=120.0,
                                       interval_s=15.0, end_policy=EndPolicy.FINISH),
                        limits=RiskLimits(), decide=lambda ctx: decide(twap, ctx, propose=timid),
                        listener=record, link_prefix="T")
    engine.run(market.snapshot().mid)
    assert engine.end_state is ParentStatus.COMPLETE
    last = [d.draft for t, d in record.decisions if t >= start + 105.0 and d.draft.quantity > 0]
    assert last and "end policy finish crosses what remains" in last[0].reasoning

