"""The offline rules advisor: a transparent policy over spread, depth, volatility and schedule.

Every proposal's reasoning cites the figures it used, so a trader can check the rule that fired.
"""

from __future__ import annotations

from execdesk.advisors.base import AdvisorContext
from execdesk.domain.orders import OrderType, TimeInForce
from execdesk.domain.proposals import Action, ProposalDraft


class RulesAdvisor:
    name = "rules"

    def propose(self, ctx: AdvisorContext) -> ProposalDraft:
        p, m, lim = ctx.progress, ctx.market, ctx.limits
        facts = (
            f"mid {m.mid:,.1f}, spread {m.spread_bps:.2f} bps, 5-level depth bid {m.bid_depth:.3f} / "
            f"ask {m.ask_depth:.3f} (imbalance {m.imbalance:+.2f}), 1-min volume {m.volume_1m:.3f}, "
            f"1-h vol {m.volatility_1h * 100:.2f} %"
        )
        behind = ctx.schedule_target - p.executed
        sched = f"executed {p.executed:g} of {p.quantity:g} vs schedule {ctx.schedule_target:.4g}"
        min_qty = float(ctx.instrument.min_qty)

        if m.volatility_1h > lim.max_volatility_1h:
            return self._wait(f"1-h volatility {m.volatility_1h * 100:.2f} % is above the "
                              f"{lim.max_volatility_1h * 100:.0f} % stop; {facts}.", 0.8, ctx)
        if ctx.baseline_qty < min_qty:
            return self._wait(f"On schedule ({sched}); nothing due before the next slice. {facts}.", 0.7, ctx)

        qty = ctx.baseline_qty
        urgent = p.time_left <= ctx.interval_s * 1.5
        far_behind = behind > 2 * max(p.quantity / max(p.horizon / ctx.interval_s, 1.0), min_qty)
        if m.spread_bps > lim.max_spread_bps and not urgent:
            return self._passive(ctx, qty, f"Spread {m.spread_bps:.2f} bps is wider than the "
                                 f"{lim.max_spread_bps:.0f} bps we may cross; posting at the touch. {facts}; {sched}.",
                                 0.55)
        if urgent:
            return self._aggressive(ctx, Action.AGGRESSIVE, qty,
                                    f"Only {p.time_left:.0f} s left and {p.remaining:g} remaining: crossing the "
                                    f"spread to finish on time. {facts}; {sched}.", 0.75)
        if far_behind and m.spread_bps <= lim.max_spread_bps / 2:
            return self._aggressive(ctx, Action.ACCELERATE, qty,
                                    f"Behind schedule by {behind:.4g} with a tight spread: taking liquidity to "
                                    f"catch up. {facts}; {sched}.", 0.7)
        pressure = m.imbalance if p.side == "buy" else -m.imbalance
        if pressure < -0.3:
            # the book leans against us: the price is likely to come to our passive order
            return self._passive(ctx, qty, f"Depth leans our way for passive fills (imbalance {m.imbalance:+.2f}); "
                                 f"posting at the touch to capture the spread. {facts}; {sched}.", 0.65)
        return self._passive(ctx, qty, f"Spread {m.spread_bps:.2f} bps is narrow and we are close to schedule: "
                             f"posting a limit at the touch to capture the spread. {facts}; {sched}.", 0.72)

    def _wait(self, reasoning: str, confidence: float, ctx: AdvisorContext) -> ProposalDraft:
        return ProposalDraft(advisor=self.name, action=Action.WAIT, quantity=0.0, order_type=None,
                             limit_price=None, reasoning=reasoning, confidence=confidence,
                             risk_assessment="No order: no market risk taken now; schedule risk grows.",
                             wait_seconds=ctx.interval_s)

    def _passive(self, ctx: AdvisorContext, qty: float, reasoning: str, confidence: float) -> ProposalDraft:
        m, side = ctx.market, ctx.progress.side
        touch = m.best_bid if side == "buy" else m.best_ask
        price = float(ctx.instrument.passive_price(touch, side))
        return ProposalDraft(advisor=self.name, action=Action.PASSIVE, quantity=qty, order_type=OrderType.LIMIT,
                             limit_price=price, reasoning=reasoning, confidence=confidence, tif=TimeInForce.GTC,
                             risk_assessment="May not fill if the market moves away; unfilled size returns to "
                                             "the schedule at the next interval.")

    def _aggressive(self, ctx: AdvisorContext, action: Action, qty: float, reasoning: str,
                    confidence: float) -> ProposalDraft:
        return ProposalDraft(advisor=self.name, action=action, quantity=qty, order_type=OrderType.MARKET,
                             limit_price=None, reasoning=reasoning, confidence=confidence, tif=TimeInForce.IOC,
                             risk_assessment=f"Pays the spread ({ctx.market.spread_bps:.2f} bps) plus impact "
                                             "from walking the book.")
