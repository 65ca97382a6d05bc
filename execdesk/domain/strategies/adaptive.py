"""Adaptive: a transparent rule-based policy over the market's signals, on top of a TWAP schedule.

The first rule that fires decides; every reason cites the figures it used, so a trader can check it.
In order:

1. Final interval (no more than one interval left): cross the spread with everything that remains.
2. Wide spread (above `wide_spread_bps`): post the slice due at the touch, or wait when none is due.
3. Funding against us (buying while funding > `funding_high`, longs paying shorts; selling while
   funding < `funding_low`, shorts paying longs): wait for the pullback / bounce after the funding
   snapshot, unless we are behind schedule.
4. Funding for us (buying while funding < `funding_low`; selling while funding > `funding_high`):
   accelerate ahead of the funding snapshot.
5. Open interest falling (by `oi_change` or more over 1 h) while the price moves (by `price_move_bps`
   or more since the decision): positions are closing, a reversal is possible: decelerate, unless behind.
6. Volatile market (1-h volatility at `high_volatility_1h` or more, or the last trades spanning
   `max_trade_range_bps` or more): decelerate, unless behind.
7. Open interest rising with the price moving our way (up for a buy, down for a sell): the trend is
   continuing, waiting costs: take the slice due now (aggressive, steady).
8. Behind schedule (more than `behind_fraction` of the order overdue, not counting the slice due
   now): accelerate.
9. Nothing due (on or ahead of the schedule): wait.
10. Depth leaning against us (the side we compete with is heavier, |imbalance| at `imbalance` or
    more): the price is likely to run away: take the slice now.
11. Otherwise post the slice due at the touch and earn the spread (also when the depth leans our way).

Quantities: the slice due is the TWAP backlog (schedule target − executed); ACCELERATE adds
`accelerate_slices` even slices but never takes the order more than `max_ahead_fraction` ahead of the
schedule; DECELERATE sends `decelerate_factor` of the slice due. Outside the final interval every
quantity is capped so our share of the volume expected over one interval (1-min volume / 60 ×
interval), ours / (ours + market's), stays within the risk gate's participation cap. Never more than
remains. Sells mirror buys.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from execdesk.domain.market import MarketSnapshot
from execdesk.domain.progress import OrderProgress
from execdesk.domain.proposals import Action
from execdesk.domain.strategies.base import Slice, StepInput, StrategyDecision, quantity_at_participation
from execdesk.domain.strategies.twap import TWAPConfig, TWAPStrategy


@dataclass(frozen=True)
class AdaptiveConfig:
    """The thresholds of the adaptive rules (fractions unless the name says bps).

    Funding thresholds are the seed's crypto signals (per 8 h funding: above 0.05 %, below −0.03 %);
    `wide_spread_bps` is the seed's execution config's spread limit (10 bps), half the risk gate's
    20 bps limit for crossing; `high_volatility_1h` warns at 3 % hourly, before the gate's 5 % stop.
    """

    wide_spread_bps: float = 10.0
    funding_high: float = 0.0005  # 0.05 % per 8 h
    funding_low: float = -0.0003  # −0.03 % per 8 h
    oi_change: float = 0.01  # 1 % open-interest change over 1 h counts as rising / falling
    price_move_bps: float = 10.0  # mid vs the decision price
    high_volatility_1h: float = 0.03
    max_trade_range_bps: float = 15.0  # high − low of the last trades, in bps of the mid
    imbalance: float = 0.3  # depth imbalance, (bid − ask) / (bid + ask)
    behind_fraction: float = 0.05  # of the order overdue (due before the slice due now, not done)
    max_ahead_fraction: float = 0.10  # of the order, ahead of the schedule an ACCELERATE may go
    accelerate_slices: float = 1.0  # even slices an ACCELERATE adds to the slice due
    decelerate_factor: float = 0.5  # share of the slice due a DECELERATE sends

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not math.isfinite(value):
                raise ValueError(f"{f.name} must be finite, got {value!r}")
        for name in ("wide_spread_bps", "funding_high", "oi_change", "price_move_bps", "high_volatility_1h",
                     "max_trade_range_bps", "accelerate_slices"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)!r}")
        if self.funding_low >= 0:
            raise ValueError(f"funding_low must be negative, got {self.funding_low!r}")
        for name in ("imbalance", "behind_fraction", "max_ahead_fraction"):
            if not 0 < getattr(self, name) <= 1:
                raise ValueError(f"{name} must be within (0, 1], got {getattr(self, name)!r}")
        if not 0 < self.decelerate_factor < 1:
            raise ValueError(f"decelerate_factor must be within (0, 1), got {self.decelerate_factor!r}")


@dataclass(frozen=True)
class _Signals:
    """The market read once per decision, signed so that the rules below read the same for buys and sells."""

    spread_bps: float
    funding: float
    oi_change: float
    move_bps: float  # mid vs decision price, positive = up
    our_way_bps: float  # the move in our trade's direction (up for a buy)
    volatility_1h: float
    trade_range_bps: float
    imbalance: float
    against_us: float  # the imbalance signed so that positive = the book pushes the price away from us
    expected_volume: float  # over one interval

    @classmethod
    def read(cls, market: MarketSnapshot, progress: OrderProgress, interval_s: float) -> _Signals:
        sign = progress.side.sign
        decision = progress.decision_price
        mid = market.mid
        move = (mid - decision) / decision * 1e4 if _positive(decision) and _positive(mid) else 0.0
        prices = [t.price for t in market.last_trades if math.isfinite(t.price)]
        trade_range = (max(prices) - min(prices)) / mid * 1e4 if len(prices) > 1 and _positive(mid) else 0.0
        volume = market.volume_1m if math.isfinite(market.volume_1m) and market.volume_1m > 0 else 0.0
        return cls(spread_bps=market.spread_bps, funding=market.funding_rate, oi_change=market.oi_change_1h,
                   move_bps=move, our_way_bps=move * sign, volatility_1h=market.volatility_1h,
                   trade_range_bps=trade_range, imbalance=market.imbalance, against_us=market.imbalance * sign,
                   expected_volume=volume / 60.0 * interval_s)


class AdaptiveStrategy:
    name = "adaptive"

    def __init__(self, schedule: TWAPConfig, config: AdaptiveConfig | None = None) -> None:
        self.schedule_config = schedule
        self.config = config or AdaptiveConfig()
        self._twap = TWAPStrategy(schedule)

    def schedule(self, total_quantity: float, started_at: float) -> list[Slice]:
        return self._twap.schedule(total_quantity, started_at)

    def target(self, progress: OrderProgress) -> float:
        return self._twap.target(progress)

    def previous_target(self, progress: OrderProgress) -> float:
        return self._twap.previous_target(progress)

    def decide(self, step: StepInput) -> StrategyDecision:
        return _Decision(self, step).make()


class _Decision:
    """One application of the rules: holds the figures every rule and reason share."""

    def __init__(self, strategy: AdaptiveStrategy, step: StepInput) -> None:
        self.c = strategy.config
        self.step = step
        p = self.p = step.progress
        self.buy = p.side.sign > 0
        self.target = strategy.target(p)
        self.remaining = p.remaining
        self.total = p.quantity
        self.baseline = min(max(self.target - p.executed, 0.0), self.remaining)
        # Late means short of what was due before the slice due now: at a slice's start the order is
        # "behind" the target by that very slice, which is the schedule working, not a delay.
        overdue = strategy.previous_target(p) - p.executed
        self.overdue = overdue / self.total if self.total > 0 and overdue > 0 else 0.0
        self.ahead = (p.executed - self.target) / self.total if self.total > 0 and p.executed > self.target else 0.0
        self.behind = self.overdue > self.c.behind_fraction
        self.even_slice = self.total / strategy.schedule_config.n_slices
        self.s = _Signals.read(step.market, p, step.interval_s)
        gap = (f"{self.overdue * 100:.1f} % of the order overdue" if self.overdue > 0
               else f"{self.ahead * 100:.1f} % of the order ahead" if self.ahead > 0 else "on schedule")
        self.schedule_text = (f"executed {p.executed:.6g} of {self.total:.6g} vs TWAP schedule "
                              f"{self.target:.6g} by now, {gap}")

    def make(self) -> StrategyDecision:
        c, s, p = self.c, self.s, self.p
        if self.remaining <= 0:
            return self._wait(f"The order is complete ({self.schedule_text}).")
        if p.now < p.started_at:
            return self._wait(f"The order starts in {p.started_at - p.now:.0f} s.")
        if p.time_left <= self.step.interval_s:
            return StrategyDecision(Action.AGGRESSIVE, self.remaining, self.target,
                                    f"Final interval: {p.time_left:.0f} s left with {self.remaining:.6g} to go: "
                                    f"crossing the spread ({s.spread_bps:.2f} bps) to finish; {self.schedule_text}.")
        side = "buying" if self.buy else "selling"
        funding = f"Funding {s.funding * 100:.4f} % per 8 h"
        if s.spread_bps > c.wide_spread_bps:
            text = f"Spread {s.spread_bps:.2f} bps is wider than {c.wide_spread_bps:g} bps"
            if self.baseline <= 0:
                return self._wait(f"{text} and nothing is due: waiting for it to narrow; {self.schedule_text}.")
            return self._send(Action.PASSIVE, self.baseline,
                              f"{text}: posting the slice due at the touch instead of crossing; {self.schedule_text}.")
        high, low = s.funding > c.funding_high, s.funding < c.funding_low
        if (high and self.buy) or (low and not self.buy):
            if not self.behind:
                why = (f"above {c.funding_high * 100:.2f} % while {side}: longs pay shorts and a post-funding "
                       "pullback is likely" if high else
                       f"below {c.funding_low * 100:.2f} % while {side}: shorts pay longs and a post-funding "
                       "bounce is likely")
                return self._wait(f"{funding} is {why}: waiting, as we are not behind ({self.schedule_text}).")
        if (low and self.buy) or (high and not self.buy):
            why = (f"below {c.funding_low * 100:.2f} % (shorts pay longs)" if low
                   else f"above {c.funding_high * 100:.2f} % (longs pay shorts, a long squeeze is possible)")
            decision = self._accelerate(f"{funding} is {why} while {side}: accelerating before the funding "
                                        "snapshot")
            if decision is not None:
                return decision
        moving = abs(s.move_bps) >= c.price_move_bps
        oi = f"{s.oi_change * 100:+.2f} % over 1 h"
        move = f"{s.move_bps:+.1f} bps since the decision"
        if s.oi_change <= -c.oi_change and moving and not self.behind:
            decision = self._decelerate(f"Open interest is falling ({oi}) while the price moves ({move}): "
                                        "positions are closing and a reversal is possible: reducing aggression")
            if decision is not None:
                return decision
        if (s.volatility_1h >= c.high_volatility_1h or s.trade_range_bps >= c.max_trade_range_bps) \
                and not self.behind:
            decision = self._decelerate(
                f"Volatile market (1-h volatility {s.volatility_1h * 100:.2f} % vs {c.high_volatility_1h * 100:g} %, "
                f"last trades span {s.trade_range_bps:.1f} bps vs {c.max_trade_range_bps:g} bps): reducing aggression")
            if decision is not None:
                return decision
        if s.oi_change >= c.oi_change and s.our_way_bps >= c.price_move_bps and self.baseline > 0:
            return self._send(Action.AGGRESSIVE, self.baseline,
                              f"Open interest is rising ({oi}) with the price moving our way ({move}, "
                              f"{'up as we buy' if self.buy else 'down as we sell'}): the trend is continuing, "
                              "executing steadily by taking the slice due now; "
                              f"{self.schedule_text}.")
        if self.behind:
            decision = self._accelerate(f"More than {c.behind_fraction * 100:g} % of the order is overdue and "
                                        f"the spread is {s.spread_bps:.2f} bps: catching up")
            if decision is not None:
                return decision
        if self.baseline <= 0:
            return self._wait(f"Nothing due now ({self.schedule_text}).")
        book = f"depth imbalance {s.imbalance:+.2f}"
        if s.against_us >= c.imbalance:
            return self._send(Action.AGGRESSIVE, self.baseline,
                              f"The book leans against us ({book}: the {'bid' if self.buy else 'ask'} side is "
                              f"heavier), so the price is likely to move away: taking the slice due now; "
                              f"{self.schedule_text}.")
        lean = (f"the book leans our way ({book}), so the price is likely to come to us"
                if s.against_us <= -c.imbalance else f"the book leans neither way beyond ±{c.imbalance:g} ({book})")
        return self._send(Action.PASSIVE, self.baseline,
                          f"Spread {s.spread_bps:.2f} bps and {lean}: posting the slice due at the touch to earn "
                          f"the spread; {self.schedule_text}.")

    def _accelerate(self, why: str) -> StrategyDecision | None:
        """The slice due plus extra even slices, no further ahead of the schedule than allowed; None when
        the order is already that far ahead (the next rule decides)."""
        room = self.target + self.c.max_ahead_fraction * self.total - self.p.executed
        qty = min(self.baseline + self.c.accelerate_slices * self.even_slice, room)
        if qty <= 0:
            return None
        return self._send(Action.ACCELERATE, qty, f"{why}; {self.schedule_text}.")

    def _decelerate(self, why: str) -> StrategyDecision | None:
        """A share of the slice due, posted; None when nothing is due (the next rule decides)."""
        qty = self.baseline * self.c.decelerate_factor
        if qty <= 0:
            return None
        return self._send(Action.DECELERATE, qty,
                          f"{why}: sending {self.c.decelerate_factor:g} of the slice due; {self.schedule_text}.")

    def _send(self, action: Action, wanted: float, reason: str) -> StrategyDecision:
        cap_rate = self.step.max_participation
        expected = self.s.expected_volume
        # an overflowing volume forecast (absurd 1-min volume) caps nothing rather than raising
        cap = quantity_at_participation(cap_rate, expected) if math.isfinite(expected) else math.inf
        qty = min(wanted, cap, self.remaining)
        # q / (q + volume) can round a bit above the rate below the cap too: nudge until the gate agrees
        while qty > 0 and qty / (qty + expected) > cap_rate:
            qty = math.nextafter(qty, 0.0)
        limit = (f"the {cap_rate * 100:g} % participation cap on the {expected:.6g} market volume expected "
                 f"over the next {self.step.interval_s:g} s")
        if qty <= 0:
            return self._wait(f"{reason} But {limit} allows nothing now: waiting.")
        if qty < wanted and qty < self.remaining:
            reason = f"{reason} Sending {qty:.6g} of the {wanted:.6g} wanted: {limit}."
        return StrategyDecision(action, qty, self.target, reason)

    def _wait(self, reason: str) -> StrategyDecision:
        return StrategyDecision(Action.WAIT, 0.0, self.target, reason)


def _positive(value: float) -> bool:
    return math.isfinite(value) and value > 0
