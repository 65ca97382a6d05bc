"""The simulator's parameters: :class:`SimParams` (validated on construction), the per-symbol presets and
the checks of the other values ``SimMarket.create`` takes."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

from execdesk.domain.instrument import SIM_INSTRUMENTS

CHUNK_S = 3600  # seconds generated at once; also the longest rolling window (1 h)


@dataclass(frozen=True)
class SimParams:
    """Defaults model Bybit BTCUSDT linear: a deep 0.1-tick book, ~1 % hourly volatility, ~540 BTC an hour
    of public prints. ``tick_size`` and ``qty_step`` default to the instrument's."""

    tick_size: float | None = None
    qty_step: float | None = None
    levels: int = 50
    vol_per_hour: float = 0.01  # std-dev of the 1-h log return of the fair price
    spread_ticks_median: float = 2.0  # touch spread in ticks, before regimes
    spread_noise: float = 0.35  # log std-dev of the spread around its median (slow: see half-life)
    spread_half_life_s: float = 60.0
    spread_ticks_min: int = 1
    spread_max_bps: float = 50.0  # no spread wider than this, whatever the regime
    touch_qty: float = 1.5  # mean base quantity at the touch
    depth_growth: float = 0.05  # each level deeper holds 5 % more than the touch
    depth_noise: float = 0.35  # log-normal sigma of individual level sizes
    depth_noise_period_s: int = 60  # level sizes drift from one random profile to the next over this
    depth_vol: float = 0.2  # log std-dev of the whole book's size (slow: see half-life)
    depth_half_life_s: float = 300.0
    trade_rate_per_s: float = 1.5  # Poisson arrival of public prints (aggressor orders)
    trade_size_mean: float = 0.1
    trade_size_sigma: float = 1.0  # log-normal sigma of print sizes
    flow_momentum: float = 0.1  # how much the aggressor side leans with the second's price move
    resilience_half_life_s: float = 5.0  # visible levels we depleted refill with this half-life
    # Our footprint beyond the visible book (docs/tca.md, "The simulator's market model"): a latent
    # liquidity whose density grows linearly away from the price, so the transient displacement is
    # impact_y * sigma_daily * sqrt(E / ADV) of the impact volume E (our signed quantity, forgotten with
    # impact_half_life_s) -- the square-root law; and a small permanent move per unit (Kyle's lambda).
    impact_y: float = 1.0  # Y of the square-root law, "of order one" (Toth et al. 2011; Bitcoin: Donier & Bonart 2015)
    impact_half_life_s: float = 600.0  # the impact volume E halves every 10 minutes when we stop
    permanent_impact_per_unit: float = 5e-6  # 0.05 bps per BTC: real BTCUSDT tapes' Kyle lambda, 0.04-0.08
    funding_mean: float = 0.0001  # per 8 h
    funding_reversion_per_s: float = 1 / 3600
    funding_vol_per_s: float = 1.2e-6  # stationary std-dev ~0.005 % around the mean
    funding_limit: float = 0.00375
    open_interest_start: float = 50_000.0
    open_interest_vol_per_hour: float = 0.01
    max_steps_per_call: int = 900  # seconds of prints one advance_to returns at most (long gaps)

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None and f.name in ("tick_size", "qty_step"):
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError(f"SimParams.{f.name} must be a finite number, got {value!r}")
        positive = ("tick_size", "qty_step", "vol_per_hour", "spread_ticks_median", "spread_half_life_s",
                    "spread_max_bps", "touch_qty", "depth_half_life_s", "trade_rate_per_s", "trade_size_mean",
                    "resilience_half_life_s", "impact_half_life_s", "funding_reversion_per_s",
                    "funding_limit", "open_interest_start")
        for name in positive:
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"SimParams.{name} must be positive, got {value!r}")
        non_negative = ("spread_noise", "depth_growth", "depth_noise", "depth_vol", "trade_size_sigma",
                        "permanent_impact_per_unit", "impact_y", "funding_vol_per_s",
                        "open_interest_vol_per_hour")
        for name in non_negative:
            if getattr(self, name) < 0:
                raise ValueError(f"SimParams.{name} must be non-negative, got {getattr(self, name)!r}")
        for name in ("levels", "spread_ticks_min", "depth_noise_period_s", "max_steps_per_call"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"SimParams.{name} must be a positive whole number, got {value!r}")
        if CHUNK_S % self.depth_noise_period_s:
            raise ValueError(f"SimParams.depth_noise_period_s must divide {CHUNK_S}, "
                             f"got {self.depth_noise_period_s!r}")
        if not 0 <= self.flow_momentum <= 0.5:
            raise ValueError(f"SimParams.flow_momentum must be within [0, 0.5], got {self.flow_momentum!r}")
        if abs(self.funding_mean) >= self.funding_limit:
            raise ValueError(f"SimParams.funding_mean ({self.funding_mean!r}) must lie within ±funding_limit "
                             f"({self.funding_limit!r})")


# Start price and microstructure per simulated symbol, sized like Bybit's linear contracts: ETH trades
# in larger units at a twentieth of BTC's price, so its prints are bigger and each unit moves it less
# (the same permanent move per notional; the square-root term scales itself by the symbol's volume).
SIM_PRESETS: dict[str, tuple[float, SimParams]] = {
    "BTCUSDT": (65_000.0, SimParams()),
    "ETHUSDT": (3_400.0, SimParams(touch_qty=25.0, trade_size_mean=1.6, permanent_impact_per_unit=2.6e-7,
                                   open_interest_start=900_000.0)),
}


def _resolve_params(symbol: str, params: SimParams | None) -> SimParams:
    """The params a market of ``symbol`` runs on: the symbol's preset when none are given, with the tick
    and the quantity step the caller left out taken from the instrument."""
    if params is None:
        params = SIM_PRESETS[symbol][1] if symbol in SIM_PRESETS else SimParams()
    if not isinstance(params, SimParams):
        raise ValueError(f"params must be SimParams, got {params!r}")
    if params.tick_size is not None and params.qty_step is not None:
        return params
    instrument = SIM_INSTRUMENTS.get(symbol)
    if instrument is None:
        raise ValueError(f"unknown simulated symbol {symbol!r}: pass tick_size and qty_step in SimParams")
    return replace(
        params,
        tick_size=params.tick_size or float(instrument.tick_size),
        qty_step=params.qty_step or float(instrument.qty_step),
    )


def _finite(name: str, value: object) -> float:
    """``value`` as a float; a bool, a non-number, NaN or an infinity is refused naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)
