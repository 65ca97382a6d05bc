"""Closed-form discrete optimal execution of Almgren & Chriss (2000).

R. Almgren and N. Chriss, "Optimal Execution of Portfolio Transactions", Journal of Risk 3 (2000).
Everything here is in the paper's units: quantities in shares (or base units), prices in currency per
share, time in whatever unit ``sigma`` and ``eta`` are quoted in (the paper uses days).

Notation (paper, section 1):

* ``X`` units are to be liquidated over ``[0, T]`` in ``N`` intervals of length ``tau = T/N``;
  ``t_k = k tau``.
* ``x_k`` is the holding *after* the k-th trade (``x_0 = X``, ``x_N = 0``); ``n_k = x_{k-1} - x_k``
  is the k-th trade.
* Linear impact (section 1.5) in the trading rate ``v = n_k / tau``: permanent ``g(v) = gamma v``,
  temporary ``h(v) = epsilon sgn(v) + eta v``.

The paper treats a sell program; a buy program is its mirror image with the same schedule, so
``total_quantity`` is an unsigned size here and the caller attaches the side.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# Below this kappa*T the optimal trajectory differs from the straight line by O((kappa T)^2) relative,
# i.e. by less than one rounding error: the linear formula is then both exact and cheaper.
LINEAR_KAPPA_T = 1e-8

# Above this kappa_tilde*tau the expression 1 + kappa_tilde^2 tau^2 / 2 would lose all meaning or
# overflow; acosh(1 + u) is then log(2u) to within 1/u, which is computed in log space.
_LOG_SPACE_KT = 1e150


@dataclass(frozen=True)
class ACPlan:
    """An optimal (or linear) Almgren-Chriss trajectory and its cost statistics.

    ``holdings`` has ``N + 1`` values ``x_0 = X, ..., x_N = 0``; ``trades`` has ``N`` values
    ``n_1 .. n_N`` (all non-negative: the optimal liquidation never buys back).
    """

    holdings: tuple[float, ...]
    trades: tuple[float, ...]
    kappa: float
    expected_cost: float
    variance: float
    tau: float
    eta_tilde: float
    risk_aversion: float

    @property
    def utility(self) -> float:
        """The objective the plan minimises: ``E + lambda V`` (paper, section 3.1)."""
        return self.expected_cost + self.risk_aversion * self.variance

    @property
    def half_life(self) -> float:
        """``theta = 1 / kappa`` in time units; infinite for the linear trajectory (section 2.3)."""
        return half_life(self.kappa)

    @property
    def times(self) -> tuple[float, ...]:
        """``t_k = k tau`` for ``k = 0 .. N``, aligned with ``holdings``."""
        return tuple(k * self.tau for k in range(len(self.holdings)))


@dataclass(frozen=True)
class FrontierPoint:
    risk_aversion: float
    expected_cost: float
    variance: float
    kappa: float


def half_life(kappa: float) -> float:
    """The half-life ``theta = 1 / kappa`` of a trade (paper, section 2.3); ``inf`` when ``kappa == 0``."""
    if not math.isfinite(kappa) or kappa < 0:
        raise ValueError(f"kappa must be finite and >= 0, got {kappa!r}")
    return math.inf if kappa == 0 else 1.0 / kappa


def plan(
    total_quantity: float,
    horizon: float,
    n_slices: int,
    sigma: float,
    eta: float,
    gamma: float,
    epsilon: float,
    risk_aversion: float,
) -> ACPlan:
    """The optimal discrete trajectory for risk aversion ``lambda = risk_aversion`` (paper, section 2.2).

    * ``eta_tilde = eta - gamma tau / 2`` must be positive, else the problem is ill-posed (section 1.5).
    * ``kappa_tilde^2 = lambda sigma^2 / eta_tilde`` and ``kappa`` solves
      ``(2 / tau^2) (cosh(kappa tau) - 1) = kappa_tilde^2``, i.e.
      ``kappa = acosh(1 + kappa_tilde^2 tau^2 / 2) / tau`` (section 2.2). It is evaluated as
      ``log1p(u + sqrt(u (u + 2))) / tau`` with ``u = kappa_tilde^2 tau^2 / 2`` -- the same function,
      but exact for tiny ``u`` where ``1 + u`` rounds to 1.
    * ``x_k = X sinh(kappa (T - t_k)) / sinh(kappa T)`` for ``k = 0 .. N`` (section 2.2), evaluated as
      ``exp(a - b) expm1(-2a) / expm1(-2b)`` with ``a = kappa (T - t_k)``, ``b = kappa T``: no overflow
      for ``kappa T`` in the hundreds and full relative precision for small ``kappa T``. When
      ``lambda = 0``, ``sigma = 0`` or ``kappa T < LINEAR_KAPPA_T`` the trajectory is the straight
      line ``x_k = X (1 - k / N)``, its ``lambda -> 0`` limit.
    * Expected cost (section 1.5, linear impact):
      ``E = gamma X^2 / 2 + epsilon sum_{k=1..N} |n_k| + (eta_tilde / tau) sum_{k=1..N} n_k^2``.
    * Variance (section 1.4): ``V = sigma^2 tau sum_{k=1..N} x_k^2``. The sum runs over the holdings
      *after* each trade, ``x_1 .. x_N``, never ``x_0 = X``: in the paper the k-th trade executes at
      a price built on ``S_{k-1}``, so the random move ``sigma tau^{1/2} xi_k`` over interval k acts
      on what is left after it, ``x_k``. Since ``x_N = 0`` only ``N - 1`` terms contribute, and a
      single slice (``N = 1``) carries no timing risk.
    """
    _require_finite(
        total_quantity=total_quantity,
        horizon=horizon,
        sigma=sigma,
        eta=eta,
        gamma=gamma,
        epsilon=epsilon,
        risk_aversion=risk_aversion,
    )
    if total_quantity <= 0:
        raise ValueError(f"total_quantity must be > 0, got {total_quantity!r}")
    if horizon <= 0:
        raise ValueError(f"horizon must be > 0, got {horizon!r}")
    if isinstance(n_slices, bool) or not isinstance(n_slices, int) or n_slices < 1:
        raise ValueError(f"n_slices must be an integer >= 1, got {n_slices!r}")
    if sigma < 0:
        raise ValueError(f"sigma must be >= 0, got {sigma!r}")
    if eta <= 0:
        raise ValueError(f"eta must be > 0, got {eta!r}")
    if gamma < 0:
        raise ValueError(f"gamma must be >= 0, got {gamma!r}")
    if epsilon < 0:
        raise ValueError(f"epsilon must be >= 0, got {epsilon!r}")
    if risk_aversion < 0:
        raise ValueError(f"risk_aversion must be >= 0, got {risk_aversion!r}")

    x_total = float(total_quantity)
    n = n_slices
    tau = horizon / n
    eta_tilde = eta - 0.5 * gamma * tau
    if not eta_tilde > 0:
        raise ValueError(
            f"ill-posed model: eta_tilde = eta - gamma*tau/2 = {eta_tilde!r} <= 0 "
            f"(eta={eta!r}, gamma={gamma!r}, tau={tau!r}); use more slices or check the impact coefficients"
        )

    kappa = _kappa(sigma=sigma, eta_tilde=eta_tilde, tau=tau, risk_aversion=risk_aversion)
    if kappa * horizon < LINEAR_KAPPA_T:
        holdings = [x_total * (n - k) / n for k in range(n + 1)]
    else:
        b = kappa * tau * n
        denominator = math.expm1(-2.0 * b)
        holdings = []
        for k in range(n + 1):
            a = kappa * tau * (n - k)
            holdings.append(x_total * math.exp(a - b) * (math.expm1(-2.0 * a) / denominator))
    # the boundary values are exact by construction; pin them against the last rounding error
    holdings[0] = x_total
    holdings[n] = 0.0

    trades = [holdings[k - 1] - holdings[k] for k in range(1, n + 1)]
    expected_cost = (
        0.5 * gamma * x_total * x_total
        + epsilon * math.fsum(abs(q) for q in trades)
        + (eta_tilde / tau) * math.fsum(q * q for q in trades)
    )
    variance = sigma * sigma * tau * math.fsum(x * x for x in holdings[1:])
    return ACPlan(
        holdings=tuple(holdings),
        trades=tuple(trades),
        kappa=kappa,
        expected_cost=expected_cost,
        variance=variance,
        tau=tau,
        eta_tilde=eta_tilde,
        risk_aversion=float(risk_aversion),
    )


def efficient_frontier(
    total_quantity: float,
    horizon: float,
    n_slices: int,
    sigma: float,
    eta: float,
    gamma: float,
    epsilon: float,
    risk_aversions: Sequence[float],
) -> list[FrontierPoint]:
    """``(lambda, E, V, kappa)`` of the optimal plan for each risk aversion, in the order given (section 2.4)."""
    points = []
    for lam in risk_aversions:
        p = plan(total_quantity, horizon, n_slices, sigma, eta, gamma, epsilon, lam)
        points.append(
            FrontierPoint(
                risk_aversion=p.risk_aversion,
                expected_cost=p.expected_cost,
                variance=p.variance,
                kappa=p.kappa,
            )
        )
    return points


def default_risk_aversions(
    horizon: float,
    n_slices: int,
    sigma: float,
    eta: float,
    gamma: float,
    count: int = 25,
    min_kappa_t: float = 0.01,
    max_kappa_t: float = 20.0,
) -> list[float]:
    """``count`` geometrically spaced risk aversions spanning the interesting part of the frontier.

    The ends are the ``lambda`` whose plans have ``kappa T = min_kappa_t`` (practically the straight
    line) and ``kappa T = max_kappa_t`` (almost everything in the first slices); inverting the
    definition of ``kappa`` gives ``lambda = 2 (cosh(kappa tau) - 1) eta_tilde / (tau^2 sigma^2)``.
    The total quantity does not enter: ``kappa`` does not depend on it.
    """
    _require_finite(
        horizon=horizon, sigma=sigma, eta=eta, gamma=gamma, min_kappa_t=min_kappa_t, max_kappa_t=max_kappa_t
    )
    if horizon <= 0:
        raise ValueError(f"horizon must be > 0, got {horizon!r}")
    if isinstance(n_slices, bool) or not isinstance(n_slices, int) or n_slices < 1:
        raise ValueError(f"n_slices must be an integer >= 1, got {n_slices!r}")
    if sigma <= 0:
        raise ValueError(f"sigma must be > 0 for risk aversion to matter, got {sigma!r}")
    if eta <= 0:
        raise ValueError(f"eta must be > 0, got {eta!r}")
    if gamma < 0:
        raise ValueError(f"gamma must be >= 0, got {gamma!r}")
    if isinstance(count, bool) or not isinstance(count, int) or count < 2:
        raise ValueError(f"count must be an integer >= 2, got {count!r}")
    if not 0 < min_kappa_t < max_kappa_t <= 500:
        raise ValueError(
            f"need 0 < min_kappa_t < max_kappa_t <= 500, got min_kappa_t={min_kappa_t!r}, "
            f"max_kappa_t={max_kappa_t!r}"
        )
    tau = horizon / n_slices
    eta_tilde = eta - 0.5 * gamma * tau
    if not eta_tilde > 0:
        raise ValueError(
            f"ill-posed model: eta_tilde = eta - gamma*tau/2 = {eta_tilde!r} <= 0 "
            f"(eta={eta!r}, gamma={gamma!r}, tau={tau!r})"
        )

    def lam_for(kappa_t: float) -> float:
        # 2 (cosh y - 1) = 4 sinh(y/2)^2, which keeps precision for small y
        half = 0.5 * kappa_t / n_slices
        return 4.0 * math.sinh(half) ** 2 * eta_tilde / (tau * tau * sigma * sigma)

    lo, hi = math.log(lam_for(min_kappa_t)), math.log(lam_for(max_kappa_t))
    return [math.exp(lo + (hi - lo) * i / (count - 1)) for i in range(count)]


def _kappa(*, sigma: float, eta_tilde: float, tau: float, risk_aversion: float) -> float:
    if risk_aversion == 0 or sigma == 0:
        return 0.0
    kt_tau = math.sqrt(risk_aversion / eta_tilde) * sigma * tau  # kappa_tilde * tau
    if math.isfinite(kt_tau) and kt_tau < _LOG_SPACE_KT:
        u = 0.5 * kt_tau * kt_tau
        return math.log1p(u + math.sqrt(u) * math.sqrt(u + 2.0)) / tau
    # acosh(1 + u) = log(2u) + O(1/u) with u = (kappa_tilde tau)^2 / 2, so log(kappa_tilde^2 tau^2)
    log_kt_tau = 0.5 * (math.log(risk_aversion) - math.log(eta_tilde)) + math.log(sigma) + math.log(tau)
    return 2.0 * log_kt_tau / tau


def _require_finite(**values: float) -> None:
    for name, value in values.items():
        if not math.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value!r}")
