"""The advisor protocol: market state and order progress in, the next proposal out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from execdesk.domain.catchup import DEFAULT_MAX_CATCHUP
from execdesk.domain.end_policy import DEFAULT_END_POLICY, EndPolicy
from execdesk.domain.instrument import Instrument
from execdesk.domain.market import MarketSnapshot
from execdesk.domain.progress import OrderProgress
from execdesk.domain.proposals import ProposalDraft
from execdesk.domain.risk import RiskLimits
from execdesk.domain.strategies.base import StrategyDecision


@dataclass(frozen=True)
class PastDecision:
    action: str
    quantity: float
    outcome: str  # approved / rejected / overridden / expired
    reason: str = ""


@dataclass(frozen=True)
class AdvisorContext:
    progress: OrderProgress
    market: MarketSnapshot
    instrument: Instrument
    limits: RiskLimits
    strategy: str
    interval_s: float
    baseline_qty: float  # what the strategy alone would send now
    schedule_target: float  # quantity the strategy's schedule wants done by now
    notes: str = ""
    history: tuple[PastDecision, ...] = field(default_factory=tuple)
    market_volume_since_last: float = 0.0  # base qty the market printed since our last child order
    decision: StrategyDecision | None = None  # the parent's strategy's own decision now (the baseline)
    rate: float = 1.0  # the execution rate as a multiple of the schedule (set by an approved ACCELERATE/DECELERATE)
    venue: str = "paper"  # where the child orders go (shown to the advisor)
    end_policy: EndPolicy = DEFAULT_END_POLICY  # what the order does at its deadline (domain.end_policy)
    max_catchup: float = DEFAULT_MAX_CATCHUP  # the largest slice as a multiple of the scheduled one (domain.catchup)
    max_slice: float | None = None  # that cap as a quantity now (None: it does not apply now)


class Advisor(Protocol):
    name: str

    def propose(self, ctx: AdvisorContext) -> ProposalDraft: ...
