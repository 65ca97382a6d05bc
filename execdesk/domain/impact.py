"""Market impact models: what trading a quantity over a duration is expected to cost, in bps of the mid.

Every model answers the same question through ``estimate(quantity, duration_s=..., market=...)``:
the expected cost, averaged over the order's quantity and quoted in basis points of the mid at the
start, split into

* **temporary** impact: the premium paid to trade at a given rate, which decays once we stop, and
* **permanent** impact: the lasting move of the mid our trading causes. The order itself pays half of
  the final move on average (it trades along the move as it builds up, the ``gamma X^2 / 2`` term of
  Almgren & Chriss 2000), so ``permanent_bps`` is that cost and ``permanent_move_bps`` the move.

What the models read from a :class:`MarketSnapshot` (crypto trades 24/7, so a day is 24 hours):

* ``sigma_daily = volatility_1h * sqrt(24)``: daily volatility of log returns, a fraction, assuming
  independent hourly returns;
* ``ADV = volume_1h * 24``: the day's volume in base units, extrapolated from the last hour;
* ``V_T = volume_1h * duration_s / 3600``: the market volume expected while we trade;
* ``trade_rate = q / V_T`` (our trading rate over the market's) and
  ``participation = q / (q + V_T)`` (our share of all volume, the POV convention of the risk gate).

None of the models includes the spread: the pre-trade estimate adds half of it separately.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from execdesk.domain.almgren_chriss import ACPlan, plan
from execdesk.domain.market import MarketSnapshot
from execdesk.domain.risk import RiskLimits

SECONDS_PER_HOUR = 3600.0
HOURS_PER_DAY = 24.0  # crypto markets never close
BPS = 1e4

LLM_MULTIPLIER_MIN = 0.5  # the seed's bounds on the advisor's adjustment factor
LLM_MULTIPLIER_MAX = 2.0


class ImpactInputError(ValueError):
    """An impact estimate was asked for with inputs that make it meaningless (no volume, bad quantity...)."""


@dataclass(frozen=True)
class MarketInputs:
    """The figures of a snapshot every impact model uses, validated once."""

    mid: float
    sigma_daily: float
    adv: float
    volume_per_s: float
    half_spread: float  # price units

    @classmethod
    def of(cls, market: MarketSnapshot) -> MarketInputs:
        mid, vol, volume = market.mid, market.volatility_1h, market.volume_1h
        if not (math.isfinite(mid) and mid > 0):
            raise ImpactInputError(f"market.mid must be a positive finite price, got {mid!r}")
        if not (math.isfinite(volume) and volume > 0):
            raise ImpactInputError(
                f"market.volume_1h must be > 0 and finite to scale impact by volume, got {volume!r} "
                f"(no volume in the last hour: participation and impact are undefined)"
            )
        if not (math.isfinite(vol) and vol >= 0):
            raise ImpactInputError(f"market.volatility_1h must be >= 0 and finite, got {vol!r}")
        spread = market.best_ask - market.best_bid
        if not (math.isfinite(spread) and spread >= 0):
            raise ImpactInputError(
                f"market spread must be >= 0 and finite, got best_bid={market.best_bid!r}, "
                f"best_ask={market.best_ask!r}"
            )
        return cls(
            mid=mid,
            sigma_daily=vol * math.sqrt(HOURS_PER_DAY),
            adv=volume * HOURS_PER_DAY,
            volume_per_s=volume / SECONDS_PER_HOUR,
            half_spread=spread / 2.0,
        )


@dataclass(frozen=True)
class LLMAdjustment:
    """The advisor's multiplier as it was proposed, as it was applied, and why."""

    raw: float
    applied: float
    reasoning: str

    @property
    def clamped(self) -> bool:
        return self.raw != self.applied

    def to_dict(self) -> dict[str, Any]:
        return {
            "raw": self.raw,
            "applied": self.applied,
            "clamped": self.clamped,
            "reasoning": self.reasoning,
        }


@dataclass(frozen=True)
class ImpactEstimate:
    """Expected impact cost of one order, in bps of the mid at the start, with the inputs it used."""

    model: str
    quantity: float
    duration_s: float
    temporary_bps: float
    permanent_bps: float  # cost to this order of its own permanent impact: half the lasting move
    permanent_move_bps: float  # lasting move of the mid once the order is done
    participation: float  # q / (q + V_T)
    trade_rate: float  # q / V_T
    size_adv: float  # q / ADV
    sigma_daily: float
    adv: float
    mid: float
    adjustment: LLMAdjustment | None = None

    @property
    def total_bps(self) -> float:
        return self.temporary_bps + self.permanent_bps

    def scaled(self, factor: float, adjustment: LLMAdjustment, model: str) -> ImpactEstimate:
        return ImpactEstimate(
            model=model,
            quantity=self.quantity,
            duration_s=self.duration_s,
            temporary_bps=self.temporary_bps * factor,
            permanent_bps=self.permanent_bps * factor,
            permanent_move_bps=self.permanent_move_bps * factor,
            participation=self.participation,
            trade_rate=self.trade_rate,
            size_adv=self.size_adv,
            sigma_daily=self.sigma_daily,
            adv=self.adv,
            mid=self.mid,
            adjustment=adjustment,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "quantity": self.quantity,
            "duration_s": round(self.duration_s, 3),
            "temporary_bps": round(self.temporary_bps, 4),
            "permanent_bps": round(self.permanent_bps, 4),
            "permanent_move_bps": round(self.permanent_move_bps, 4),
            "total_bps": round(self.total_bps, 4),
            "participation": round(self.participation, 6),
            "trade_rate": round(self.trade_rate, 6),
            "size_adv": round(self.size_adv, 8),
            "sigma_daily": round(self.sigma_daily, 8),
            "adv": self.adv,
            "mid": self.mid,
            "adjustment": self.adjustment.to_dict() if self.adjustment else None,
        }


@runtime_checkable
class ImpactModel(Protocol):
    @property
    def name(self) -> str: ...

    def describe(self) -> str:
        """The model's formula with its coefficients, for display."""
        ...

    def estimate(self, quantity: float, *, duration_s: float, market: MarketSnapshot) -> ImpactEstimate: ...


@dataclass(frozen=True)
class _Context:
    quantity: float
    duration_s: float
    inputs: MarketInputs

    @property
    def market_volume(self) -> float:
        return self.inputs.volume_per_s * self.duration_s

    @property
    def trade_rate(self) -> float:
        return self.quantity / self.market_volume

    @property
    def participation(self) -> float:
        return self.quantity / (self.quantity + self.market_volume)

    @property
    def size_adv(self) -> float:
        return self.quantity / self.inputs.adv

    def estimate(
        self,
        model: str,
        temporary_bps: float,
        permanent_move_bps: float,
        permanent_share_of_move: float = 0.5,
    ) -> ImpactEstimate:
        return ImpactEstimate(
            model=model,
            quantity=self.quantity,
            duration_s=self.duration_s,
            temporary_bps=temporary_bps,
            permanent_bps=permanent_move_bps * permanent_share_of_move,
            permanent_move_bps=permanent_move_bps,
            participation=self.participation,
            trade_rate=self.trade_rate,
            size_adv=self.size_adv,
            sigma_daily=self.inputs.sigma_daily,
            adv=self.inputs.adv,
            mid=self.inputs.mid,
        )


def _context(quantity: float, duration_s: float, market: MarketSnapshot) -> _Context:
    if not (math.isfinite(quantity) and quantity > 0):
        raise ImpactInputError(f"quantity must be > 0 and finite (an unsigned size), got {quantity!r}")
    if not (math.isfinite(duration_s) and duration_s > 0):
        raise ImpactInputError(f"duration_s must be > 0 and finite, got {duration_s!r}")
    return _Context(float(quantity), float(duration_s), MarketInputs.of(market))


def _require(
    name: str, value: float, *, low: float = 0.0, allow_low: bool = True, high: float = math.inf
) -> None:
    ok = math.isfinite(value) and (value >= low if allow_low else value > low) and value <= high
    if not ok:
        bound = f"{'>=' if allow_low else '>'} {low:g}" + (f" and <= {high:g}" if math.isfinite(high) else "")
        raise ValueError(f"{name} must be finite and {bound}, got {value!r}")


@dataclass(frozen=True)
class KyleImpact:
    """Kyle (1985): the price moves linearly in the signed quantity traded, ``dP = lambda * q``.

    ``lambda_bps`` is Kyle's lambda normalised so one coefficient serves every symbol: the lasting
    move, in bps of the mid, of trading one full ADV; in price per base unit
    ``lambda = lambda_bps * 1e-4 * mid / ADV`` (:meth:`kyle_lambda`). All of it is permanent:
    ``permanent_move_bps = lambda_bps * q / ADV``, of which the order pays half.

    ``eta_bps`` optionally adds linear temporary impact in the trading rate (Almgren & Chriss 2000,
    section 1.5): ``temporary_bps = eta_bps * q / V_T``. The pure Kyle model has none; the
    Almgren-Chriss planner needs some (``eta > 0``).
    """

    lambda_bps: float
    eta_bps: float = 0.0

    def __post_init__(self) -> None:
        _require("lambda_bps", self.lambda_bps)
        _require("eta_bps", self.eta_bps)

    @property
    def name(self) -> str:
        return "kyle"

    def describe(self) -> str:
        text = f"Kyle: lasting move = {self.lambda_bps:g} bps x q/ADV (the order pays half)"
        return text + (f"; temporary = {self.eta_bps:g} bps x q/V_T" if self.eta_bps else "")

    def kyle_lambda(self, market: MarketSnapshot) -> float:
        """Kyle's lambda in price per base unit for this market."""
        inputs = MarketInputs.of(market)
        return self.lambda_bps / BPS * inputs.mid / inputs.adv

    def estimate(self, quantity: float, *, duration_s: float, market: MarketSnapshot) -> ImpactEstimate:
        ctx = _context(quantity, duration_s, market)
        return ctx.estimate(self.name, self.eta_bps * ctx.trade_rate, self.lambda_bps * ctx.size_adv)


@dataclass(frozen=True)
class AlmgrenChrissImpact:
    """Square-root temporary and linear permanent impact, the seed's base model, scaled by volatility.

    * ``temporary_bps = eta * sigma_daily * sqrt(q / V_T) * 1e4`` -- the seed's
      ``eta * (order_size / ADV)^0.5 * sigma`` with the order's trading rate in place of ``q / ADV``
      (the seed's ``temporary_impact(trade_rate)``): the two agree for an order spread over one day,
      and a faster order pays more;
    * ``permanent_move_bps = gamma * sigma_daily * (q / ADV) * 1e4``, linear in size as in
      Almgren, Thum, Hauptmann & Li, "Direct Estimation of Equity Market Impact" (2005); the order
      pays half of it.

    ``eta`` and ``gamma`` are dimensionless. The defaults are that paper's fitted coefficients for US
    equities: ``eta = 0.142`` **with the exponent ``beta = 3/5``** it was fitted with, and
    ``gamma = 0.314``. An equity model, kept for comparison: the desk's prior for crypto is
    :class:`SquareRootImpact`.
    """

    eta: float = 0.142
    gamma: float = 0.314
    beta: float = 0.6

    def __post_init__(self) -> None:
        _require("eta", self.eta)
        _require("gamma", self.gamma)
        _require("beta", self.beta, low=0.0, allow_low=False, high=1.0)

    @property
    def name(self) -> str:
        return "almgren_chriss"

    def describe(self) -> str:
        return (
            f"Almgren-Chriss: temporary = {self.eta:g} x sigma_daily x (q/V_T)^{self.beta:g}; "
            f"lasting move = {self.gamma:g} x sigma_daily x q/ADV (the order pays half)"
        )

    def estimate(self, quantity: float, *, duration_s: float, market: MarketSnapshot) -> ImpactEstimate:
        ctx = _context(quantity, duration_s, market)
        sigma = ctx.inputs.sigma_daily
        return ctx.estimate(
            self.name,
            self.eta * sigma * ctx.trade_rate**self.beta * BPS,
            self.gamma * sigma * ctx.size_adv * BPS,
        )


# The crypto prior (docs/tca.md, "The market model"): the simulator's own model, calibrated on the literature.
CRYPTO_Y = 1.0  # square-root law prefactor, of order one (Toth et al. 2011; Bitcoin: Donier & Bonart 2015)
CRYPTO_HALF_LIFE_S = 600.0  # the latent book forgets our impact volume with this half-life
CRYPTO_GAMMA = 1.3  # permanent move gamma sigma_d q / ADV: 0.05 bps per BTC in the simulated BTCUSDT


def transient_factor(duration_s: float, half_life_s: float) -> float:
    """``f(U)``, ``U = T / tau``: an even schedule's mean displacement over ``[0, T]`` as a share of its
    steady state, i.e. the mean of ``sqrt(1 - exp(-t / tau))``:

    ``f(U) = 1 + 2 (ln(1 + W) - W) / U`` with ``W = sqrt(1 - exp(-U))`` (from
    ``int sqrt(1 - e^-u) du = 2 artanh(W) - 2 W`` and ``artanh(W) = ln(1 + W) + U / 2``).
    ``f -> 2/3 sqrt(U)`` when fast (no decay: ``2/3`` of the square-root law) and ``-> 1`` when slow.
    """
    tau = half_life_s / math.log(2.0)
    u = duration_s / tau
    if u < 1e-6:
        return 2.0 / 3.0 * math.sqrt(u)
    w = math.sqrt(-math.expm1(-u))
    return 1.0 + 2.0 * (math.log1p(w) - w) / u


@dataclass(frozen=True)
class SquareRootImpact:
    """The square-root law with transient (decaying) impact and a small permanent part: the market model of
    the simulator (``execdesk.market.sim_book``) and the desk's crypto prior.

    Our trading builds an *impact volume* ``E`` that decays with ``half_life_s``; it displaces the price
    by ``Y sigma_daily sqrt(E / ADV)`` (Alfonsi, Fruth & Schied 2010's limit order book with a density
    growing linearly from the price; Obizhaeva & Wang 2013's resilience). An even schedule of ``q`` over
    ``T`` (rate ``r = q / T``, ``tau = half_life_s / ln 2``) pays on average

    * ``temporary_bps = Y sigma_daily sqrt(q tau / (ADV T)) f(T / tau) 1e4`` (:func:`transient_factor`):
      ``2/3 Y sigma_daily sqrt(q / ADV)`` when fast, the square-root law of metaorders; the steady state
      ``Y sigma_daily sqrt(r tau / ADV)`` when slow, so a faster schedule pays more;
    * ``permanent_move_bps = gamma sigma_daily q / ADV 1e4``, of which it pays half.
    """

    y: float = CRYPTO_Y
    half_life_s: float = CRYPTO_HALF_LIFE_S
    gamma: float = CRYPTO_GAMMA

    def __post_init__(self) -> None:
        _require("y", self.y)
        _require("half_life_s", self.half_life_s, allow_low=False)
        _require("gamma", self.gamma)

    @property
    def name(self) -> str:
        return "square_root"

    @property
    def tau_s(self) -> float:
        return self.half_life_s / math.log(2.0)

    def describe(self) -> str:
        return (
            f"Square root, transient: displacement = {self.y:g} x sigma_daily x sqrt(E/ADV), E our volume "
            f"halving every {self.half_life_s:g} s; lasting move = {self.gamma:g} x sigma_daily x q/ADV "
            "(the order pays half)"
        )

    def estimate(self, quantity: float, *, duration_s: float, market: MarketSnapshot) -> ImpactEstimate:
        ctx = _context(quantity, duration_s, market)
        sigma, adv = ctx.inputs.sigma_daily, ctx.inputs.adv
        steady = math.sqrt(ctx.quantity * self.tau_s / (adv * ctx.duration_s))
        return ctx.estimate(
            self.name,
            self.y * sigma * steady * transient_factor(ctx.duration_s, self.half_life_s) * BPS,
            self.gamma * sigma * ctx.size_adv * BPS,
        )


@dataclass(frozen=True)
class PowerLawImpact:
    """The empirical metaorder law: ``cost_bps = coefficient * sigma_daily * (q / ADV)^beta * 1e4``.

    ``beta`` is typically 0.4-0.7 (0.5 is the "square-root law", where ``coefficient`` -- Y in
    Toth et al., "Anomalous price impact and the critical nature of liquidity", 2011 -- is of order 1).
    The cost does not depend on how fast the order is worked, only on its size against the day's
    volume. The law does not say how much of the cost is permanent: ``permanent_share`` of it is
    booked as permanent (a lasting move of twice that, as the order pays half of its own move) and the
    rest as temporary.
    """

    coefficient: float
    beta: float
    permanent_share: float = 0.0

    def __post_init__(self) -> None:
        _require("coefficient", self.coefficient)
        _require("beta", self.beta, low=0.0, allow_low=False, high=1.0)
        _require("permanent_share", self.permanent_share, high=1.0)

    @property
    def name(self) -> str:
        return "power_law"

    def describe(self) -> str:
        return (
            f"Power law: cost = {self.coefficient:g} x sigma_daily x (q/ADV)^{self.beta:g}, "
            f"{self.permanent_share:.0%} of it permanent"
        )

    def estimate(self, quantity: float, *, duration_s: float, market: MarketSnapshot) -> ImpactEstimate:
        ctx = _context(quantity, duration_s, market)
        cost = self.coefficient * ctx.inputs.sigma_daily * ctx.size_adv**self.beta * BPS
        permanent = cost * self.permanent_share
        return ctx.estimate(self.name, cost - permanent, 2.0 * permanent)


@dataclass(frozen=True)
class LLMAdjustedImpact:
    """The seed's LLM-enhanced estimate: ``impact_final = impact_base * adjustment_factor``.

    The advisor's ``multiplier`` is kept as proposed; the one applied to both the temporary and the
    permanent part is clamped to [0.5, 2.0] so a confused answer can at most halve or double the base
    model. A non-finite multiplier is refused outright: it is a broken answer, not an extreme view.
    """

    base: ImpactModel
    multiplier: float
    reasoning: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.multiplier, bool) or not isinstance(self.multiplier, int | float):
            raise ValueError(f"multiplier must be a number, got {self.multiplier!r}")
        if not math.isfinite(self.multiplier):
            raise ValueError(
                f"multiplier must be finite, got {self.multiplier!r}; the advisor's answer is unusable"
            )
        if not isinstance(self.base, ImpactModel):
            raise ValueError(f"base must be an impact model, got {self.base!r}")

    @property
    def applied_multiplier(self) -> float:
        return min(max(float(self.multiplier), LLM_MULTIPLIER_MIN), LLM_MULTIPLIER_MAX)

    @property
    def clamped(self) -> bool:
        return self.applied_multiplier != self.multiplier

    @property
    def adjustment(self) -> LLMAdjustment:
        return LLMAdjustment(
            raw=float(self.multiplier), applied=self.applied_multiplier, reasoning=self.reasoning
        )

    @property
    def name(self) -> str:
        return f"llm_adjusted({self.base.name})"

    def describe(self) -> str:
        raw = f" (proposed {self.multiplier:g}, clamped)" if self.clamped else ""
        return f"{self.base.describe()}; x {self.applied_multiplier:g}{raw} by the advisor"

    def estimate(self, quantity: float, *, duration_s: float, market: MarketSnapshot) -> ImpactEstimate:
        base = self.base.estimate(quantity, duration_s=duration_s, market=market)
        return base.scaled(self.applied_multiplier, self.adjustment, self.name)


@dataclass(frozen=True)
class ACInputs:
    """Almgren-Chriss parameters in the paper's units: price, base quantity, seconds.

    * ``sigma``: price volatility per sqrt(second), ``mid * volatility_1h / sqrt(3600)``;
    * ``eta``: temporary impact, price per (base unit per second): ``h(v) = epsilon + eta * v``;
    * ``gamma``: permanent impact, price per base unit: ``g(v) = gamma * v``;
    * ``epsilon``: fixed cost per unit, the half spread (plus the fee rate times the mid when given).

    ``reference_quantity`` over ``reference_duration_s`` is the operating point at which a non-linear
    model was linearised (see :func:`almgren_chriss_inputs`).
    """

    sigma: float
    eta: float
    gamma: float
    epsilon: float
    reference_quantity: float = 0.0
    reference_duration_s: float = 0.0
    model: str = ""

    def plan(self, total_quantity: float, horizon: float, n_slices: int, risk_aversion: float) -> ACPlan:
        return plan(
            total_quantity, horizon, n_slices, self.sigma, self.eta, self.gamma, self.epsilon, risk_aversion
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "sigma": self.sigma,
            "eta": self.eta,
            "gamma": self.gamma,
            "epsilon": self.epsilon,
            "reference_quantity": self.reference_quantity,
            "reference_duration_s": self.reference_duration_s,
            "model": self.model,
        }


def almgren_chriss_inputs(
    model: ImpactModel,
    market: MarketSnapshot,
    *,
    interval_s: float,
    quantity: float | None = None,
    horizon_s: float | None = None,
    fee_rate: float = 0.0,
    reference_participation: float | None = None,
) -> ACInputs:
    """Feed :func:`execdesk.domain.almgren_chriss.plan` from a live snapshot and any impact model.

    The bps models are mapped to the paper's linear model by matching costs at an operating point:
    trading ``X`` evenly over ``T`` costs ``eta X^2 / T`` in temporary impact and ``gamma X^2 / 2`` in
    permanent impact in the paper, and ``temporary_bps * 1e-4 * mid * X`` and
    ``permanent_bps * 1e-4 * mid * X`` by the model, so

    ``eta = temporary_bps * 1e-4 * mid * T / X`` and ``gamma = permanent_move_bps * 1e-4 * mid / X``.

    For a linear model (Kyle's lambda, Almgren-Chriss's permanent part) the result does not depend on
    the operating point; for the square-root and power laws it is the secant at the order's own average
    rate ``X / T`` when ``quantity`` and ``horizon_s`` are given, otherwise at one ``interval_s`` slice
    traded at ``reference_participation`` (default: the risk gate's participation cap), the fastest the
    desk ever trades -- there the secant is flattest, so the planner sees the smallest ``eta``.
    """
    _require("interval_s", interval_s, allow_low=False)
    _require("fee_rate", fee_rate)
    inputs = MarketInputs.of(market)
    if quantity is not None or horizon_s is not None:
        if quantity is None or horizon_s is None:
            raise ValueError("give both quantity and horizon_s for the operating point, or neither")
        _require("quantity", quantity, allow_low=False)
        _require("horizon_s", horizon_s, allow_low=False)
        ref_qty, ref_duration = float(quantity), float(horizon_s)
    else:
        cap = RiskLimits.max_participation if reference_participation is None else reference_participation
        _require("reference_participation", cap, allow_low=False, high=1.0)
        if cap >= 1.0:
            raise ValueError("reference_participation must be < 1: at 100 % the rate is unbounded")
        ref_duration = float(interval_s)
        ref_qty = cap / (1.0 - cap) * inputs.volume_per_s * ref_duration
    est = model.estimate(ref_qty, duration_s=ref_duration, market=market)
    eta = est.temporary_bps / BPS * inputs.mid * ref_duration / ref_qty
    gamma = est.permanent_move_bps / BPS * inputs.mid / ref_qty
    return ACInputs(
        sigma=inputs.mid * market.volatility_1h / math.sqrt(SECONDS_PER_HOUR),
        eta=eta,
        gamma=gamma,
        epsilon=inputs.half_spread + fee_rate * inputs.mid,
        reference_quantity=ref_qty,
        reference_duration_s=ref_duration,
        model=model.name,
    )
