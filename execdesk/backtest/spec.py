"""What a backtest runs: the parent order, the grid of strategies × scenarios × seeds, the market source."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from execdesk.domain.catchup import DEFAULT_MAX_CATCHUP, max_catchup_input
from execdesk.domain.end_policy import DEFAULT_END_POLICY, EndPolicy, end_policy_input
from execdesk.domain.limit_price import limit_price_input
from execdesk.domain.orders import Side
from execdesk.domain.risk import RiskLimits
from execdesk.domain.strategies.is_urgency import check_risk_aversion, urgency_level
from execdesk.domain.strategies.pov import POVTerms, check_participation_bounds
from execdesk.domain.strategies.registry import STRATEGY_NAMES

# Monday 2026-01-05 13:30 UTC: the standard one-hour order runs into the US open, where the intraday volume
# curve rises (SESSION_VOLUME: 1.35x at 13h, 1.6x at 14h), so VWAP's curve matters in the seasonality scenario.
DEFAULT_START_TS = 1_767_619_800.0

# "llm": Claude (execdesk.advisors.anthropic) deciding each step over TWAP's schedule, which is its baseline
# and what it falls back to; it needs ANTHROPIC_API_KEY (see execdesk.backtest.llm).
LLM_STRATEGY = "llm"

# How long an order or a cancel takes to reach the venue: the desk's measured Bybit round trip, p50 of
# "approve → order acknowledged" in docs/benchmarks.md ("Bybit round trip", bench/bybit_roundtrip.py, 50.2 ms
# on loopback: the desk's own work and 9 REST calls, no network distance to Bybit, so a floor for a real one).
BYBIT_ROUND_TRIP_S = 0.0502
BACKTEST_STRATEGIES: tuple[str, ...] = (*STRATEGY_NAMES, LLM_STRATEGY)


@dataclass(frozen=True)
class OrderSpec:
    """The parent order every strategy of a suite executes."""

    symbol: str = "BTCUSDT"
    side: Side = Side.BUY
    quantity: float = 10.0
    horizon_s: float = 3600.0
    interval_s: float = 15.0
    start_ts: float = DEFAULT_START_TS
    # what the order does at its deadline (execdesk.domain.end_policy): finish, expire or continue
    end_policy: EndPolicy = DEFAULT_END_POLICY
    # the largest slice as a multiple of the scheduled slice (execdesk.domain.catchup)
    max_catchup: float = DEFAULT_MAX_CATCHUP
    limit_price: float | None = None  # don't buy above / sell below (execdesk.domain.limit_price)
    randomise: float = 0.0  # TWAP/adaptive slice size and timing jitter, as on the desk's order form
    latency_s: float = BYBIT_ROUND_TRIP_S  # an order's (and a cancel's) travel time to the venue
    warmup_s: float | None = None  # on a tape: history before the order (None: up to an hour, see markets)
    # POV's participation rate; None sets it so that POV is expected to finish at the horizon (like for like)
    pov_rate: float | None = None
    # POV's participation bounds (fractions of the volume); a rate set to finish at the horizon is brought
    # within them, a fixed rate must lie within them
    min_participation: float | None = None
    max_participation: float | None = None
    # IS's urgency (low / medium / high) or its Almgren-Chriss lambda (1 / quote) directly; neither: medium
    urgency: str | None = None
    risk_aversion: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "side", Side(self.side))
        if self.urgency is not None:
            object.__setattr__(self, "urgency", urgency_level(self.urgency))
        if self.risk_aversion is not None:
            object.__setattr__(self, "risk_aversion", check_risk_aversion(self.risk_aversion))
            if self.urgency is not None:
                raise ValueError("give either urgency or risk_aversion, not both")
        object.__setattr__(self, "end_policy", end_policy_input(self.end_policy))
        object.__setattr__(self, "max_catchup", max_catchup_input(self.max_catchup))
        object.__setattr__(self, "limit_price", limit_price_input(self.limit_price))
        for name in ("quantity", "horizon_s", "interval_s"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be positive and finite, got {value!r}")
        if not (math.isfinite(self.latency_s) and 0 <= self.latency_s <= 60):
            raise ValueError(f"latency_s must be between 0 and 60 seconds, got {self.latency_s!r}")
        if self.warmup_s is not None and not (math.isfinite(self.warmup_s) and self.warmup_s >= 60):
            raise ValueError(f"warmup_s must be at least 60 seconds, got {self.warmup_s!r}")
        if self.pov_rate is not None and not (math.isfinite(self.pov_rate) and 0 < self.pov_rate <= 1):
            raise ValueError(f"pov_rate must be within (0, 1], got {self.pov_rate!r}")
        check_participation_bounds(self.min_participation, self.max_participation)
        if self.pov_rate is not None:
            self.pov_terms(self.pov_rate)  # a fixed rate within its bounds
        if self.interval_s > self.horizon_s:
            raise ValueError(f"interval_s ({self.interval_s:g}) must not exceed horizon_s ({self.horizon_s:g})")

    def pov_terms(self, rate: float) -> POVTerms:
        """POV's terms at `rate` with this order's bounds (ValueError naming the problem)."""
        return POVTerms(rate, self.min_participation, self.max_participation)


@dataclass(frozen=True)
class RunSpec:
    strategy: str
    scenario: str  # a simulator scenario name, or "tape" for a replay
    seed: int
    order: OrderSpec = field(default_factory=OrderSpec)
    limits: RiskLimits = field(default_factory=RiskLimits)
    tape: str | None = None  # path of a Bybit trade archive CSV when scenario == "tape"
    tape_offset_s: float = 0.0  # where in the tape the order starts (seeds spread orders over the tape)
    llm_cache: str | None = None  # the "llm" strategy's response cache directory (else EXECDESK_LLM_CACHE_DIR)


def parse_strategies(spec: str) -> list[str]:
    names = [s.strip().lower() for s in spec.split(",") if s.strip()]
    if not names:
        raise ValueError("no strategy given: use a comma list of " + ", ".join(BACKTEST_STRATEGIES))
    unknown = [n for n in names if n not in BACKTEST_STRATEGIES]
    if unknown:
        raise ValueError(f"unknown strateg{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)}; "
                         f"valid: {', '.join(BACKTEST_STRATEGIES)}")
    return list(dict.fromkeys(names))


SIDES: tuple[Side, ...] = (Side.BUY, Side.SELL)


def parse_sides(spec: str) -> tuple[Side, ...]:
    """`buy`, `sell` or `both` (buy then sell: the same order mirrored on the same market paths)."""
    value = spec.strip().lower()
    if value == "both":
        return SIDES
    try:
        return (Side(value),)
    except ValueError:
        raise ValueError(f"unknown side {spec!r}; valid: buy, sell, both") from None
