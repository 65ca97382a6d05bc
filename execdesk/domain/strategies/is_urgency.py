"""IS urgency: a trader's low / medium / high mapped to Almgren–Chriss risk aversion, and the efficient
frontier shown when the order is created.

Almgren & Chriss (2000) minimise ``E + lambda V`` with ``lambda`` in 1 / quote currency (the paper's units:
E in USDT, V in USDT^2). A lambda in those units means a different thing for a 0.1 BTC and a 100 BTC order,
so urgency is set in the order's own terms: cost and risk in bps of its notional ``X S0``. A trader who
minimises ``E_bps + lambda_bps Var_bps`` (``lambda_bps`` in 1/bps) has the paper's

    lambda = lambda_bps * 1e4 / (X S0)

(``E_bps = E 1e4 / (X S0)`` and ``Var_bps = V (1e4 / (X S0))^2``). The plan then follows the paper:
``kappa_tilde^2 = lambda sigma^2 / eta_tilde``, ``eta_tilde = eta - gamma tau / 2``,
``x_j = X sinh(kappa (T - t_j)) / sinh(kappa T)``; in bps terms ``kappa_tilde^2 = lambda_bps sigma_bps^2 /
eta_bps`` with ``sigma_bps`` the volatility in bps per sqrt(second) and ``eta_bps = eta_tilde 1e4 X / S0``: the
shape depends on the market's volatility and on the impact of this order, not on its notional alone.

The three levels are round values of ``lambda_bps`` chosen on the standard order (buy 10 BTCUSDT over an hour,
a decision every 15 s, the simulator's calm market: 1.11 % hourly volatility and the square-root prior's
6.3 bps of temporary impact; docs/strategies.md), where they give

* low     1e-4 / bps: kappa T = 0.44, first slice 1.06 x the even slice -- practically TWAP;
* medium  2e-3 / bps: kappa T = 1.98, first slice 2.05 x -- half-life of a trade about half the horizon;
* high    2e-2 / bps: kappa T = 6.26, first slice 6.2 x -- most of the order in the first quarter hour.

A more volatile market or a smaller order (less impact per unit) makes the same urgency trade faster.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from execdesk.domain.almgren_chriss import ACPlan, default_risk_aversions, plan
from execdesk.domain.strategies.is_strategy import ISConfig

BPS = 1e4
URGENCY_LEVELS: tuple[str, ...] = ("low", "medium", "high")
DEFAULT_URGENCY = "medium"
RISK_AVERSION_PER_BPS: dict[str, float] = {"low": 1e-4, "medium": 2e-3, "high": 2e-2}
FRONTIER_POINTS = 25


def urgency_level(urgency: str) -> str:
    """``urgency`` checked: one of URGENCY_LEVELS, else a ValueError naming them."""
    level = urgency.strip().lower() if isinstance(urgency, str) else urgency
    if level not in RISK_AVERSION_PER_BPS:
        raise ValueError(f"urgency must be one of {', '.join(URGENCY_LEVELS)}, got {urgency!r}")
    return level


def urgency_risk_aversion(urgency: str, notional: float) -> float:
    """The paper's lambda (1 / quote currency) for ``urgency`` on an order of ``notional`` (X S0, quote)."""
    level = urgency_level(urgency)
    if not (math.isfinite(notional) and notional > 0):
        raise ValueError(f"notional must be positive and finite, got {notional!r}")
    return RISK_AVERSION_PER_BPS[level] * BPS / notional


def risk_aversion_per_bps(risk_aversion: float, notional: float) -> float:
    """The paper's lambda expressed per bps of the order's notional (the inverse of urgency_risk_aversion)."""
    if not (math.isfinite(notional) and notional > 0):
        raise ValueError(f"notional must be positive and finite, got {notional!r}")
    return risk_aversion * notional / BPS


def check_risk_aversion(value: float) -> float:
    """A risk aversion given directly: finite and >= 0 (0 is TWAP's straight line)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ValueError(f"risk_aversion must be a finite number >= 0 (1/quote currency), got {value!r}")
    return float(value)


@dataclass(frozen=True)
class ISInputs:
    """One IS order in the paper's units (seconds): what the frontier and the plan are computed from."""

    quantity: float
    mid: float
    horizon_s: float
    interval_s: float
    sigma: float
    eta: float
    gamma: float
    epsilon: float = 0.0

    def __post_init__(self) -> None:
        for name in ("quantity", "mid"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be positive and finite, got {value!r}")
        self.config(0.0)  # horizon, interval, sigma, eta, gamma, epsilon and eta_tilde > 0 checked there

    @property
    def notional(self) -> float:
        return self.quantity * self.mid

    def config(self, risk_aversion: float) -> ISConfig:
        return ISConfig(self.horizon_s, self.interval_s, sigma=self.sigma, eta=self.eta, gamma=self.gamma,
                        epsilon=self.epsilon, risk_aversion=risk_aversion)

    def plan(self, risk_aversion: float) -> ACPlan:
        c = self.config(risk_aversion)
        return plan(self.quantity, self.horizon_s, c.n_slices, self.sigma, self.eta, self.gamma, self.epsilon,
                    risk_aversion)


def resolve_risk_aversion(notional: float, *, urgency: str | None, risk_aversion: float | None) -> tuple[str, float]:
    """``(label, lambda)`` for an order of ``notional``: lambda given directly is used as is (label "custom");
    else the urgency's, medium by default."""
    if risk_aversion is not None:
        if urgency:
            raise ValueError("give either urgency or risk_aversion, not both")
        return "custom", check_risk_aversion(risk_aversion)
    level = urgency_level(urgency or DEFAULT_URGENCY)
    return level, urgency_risk_aversion(level, notional)


def frontier_point(inputs: ISInputs, risk_aversion: float, label: str = "") -> dict[str, Any]:
    """The plan for ``risk_aversion``: its lambda (both units), kappa T, expected cost and standard deviation
    in bps of the notional and in quote currency."""
    p = inputs.plan(risk_aversion)
    scale = BPS / inputs.notional
    point: dict[str, Any] = {
        "risk_aversion": p.risk_aversion,
        "risk_aversion_per_bps": risk_aversion_per_bps(p.risk_aversion, inputs.notional),
        "kappa_t": p.kappa * inputs.horizon_s,
        "expected_cost": p.expected_cost,
        "expected_cost_bps": p.expected_cost * scale,
        "sd": math.sqrt(p.variance),
        "sd_bps": math.sqrt(p.variance) * scale,
    }
    if label:
        point["label"] = label
    return point


def is_pretrade(inputs: ISInputs, *, urgency: str | None = None, risk_aversion: float | None = None,
                points: int = FRONTIER_POINTS) -> dict[str, Any]:
    """What the desk shows when an IS order is created: the efficient frontier (expected cost against its
    standard deviation over ``points`` risk aversions from practically TWAP, kappa T = 0.01, to kappa T = 20,
    plus the three urgency levels), the chosen point, and the slices that follow from it."""
    label, lam = resolve_risk_aversion(inputs.notional, urgency=urgency, risk_aversion=risk_aversion)
    c = inputs.config(lam)
    frontier = [frontier_point(inputs, x) for x in
                default_risk_aversions(inputs.horizon_s, c.n_slices, inputs.sigma, inputs.eta, inputs.gamma,
                                       count=points)] if inputs.sigma > 0 else []
    levels = {level: frontier_point(inputs, urgency_risk_aversion(level, inputs.notional), level)
              for level in URGENCY_LEVELS}
    frontier = sorted([*frontier, *levels.values()], key=lambda p: p["risk_aversion"])
    chosen = frontier_point(inputs, lam, label)
    chosen_plan = inputs.plan(lam)
    even = inputs.quantity / c.n_slices
    schedule = [{"offset_s": round((k - 1) * chosen_plan.tau, 6), "qty": q, "x_even": q / even}
                for k, q in enumerate(chosen_plan.trades, start=1)]
    return {
        "urgency": label,
        "risk_aversion": lam,
        "risk_aversion_per_bps": chosen["risk_aversion_per_bps"],
        "kappa_t": chosen["kappa_t"],
        "half_life_s": None if math.isinf(chosen_plan.half_life) else chosen_plan.half_life,
        "n_slices": c.n_slices,
        "inputs": {"sigma": inputs.sigma, "eta": inputs.eta, "gamma": inputs.gamma, "epsilon": inputs.epsilon,
                   "eta_tilde": c.eta_tilde, "mid": inputs.mid, "quantity": inputs.quantity},
        "chosen": chosen,
        "twap": frontier_point(inputs, 0.0, "twap"),
        "levels": levels,
        "frontier": frontier,
        "schedule": schedule,
    }
