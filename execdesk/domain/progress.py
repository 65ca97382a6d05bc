"""Where a parent order stands: the inputs every strategy, advisor and risk check read."""

from __future__ import annotations

from dataclasses import dataclass

from execdesk.domain.orders import Side


@dataclass(frozen=True)
class OrderProgress:
    symbol: str
    side: Side
    quantity: float
    executed: float
    decision_price: float
    started_at: float
    deadline: float
    now: float
    avg_price: float | None = None
    last_order_at: float | None = None  # when the last child order was sent
    orders_last_minute: int = 0
    limit_price: float | None = None  # the parent's "don't buy above / sell below" (domain.limit_price)

    @property
    def remaining(self) -> float:
        return max(self.quantity - self.executed, 0.0)

    @property
    def horizon(self) -> float:
        return max(self.deadline - self.started_at, 1e-9)

    @property
    def elapsed_fraction(self) -> float:
        return min(max((self.now - self.started_at) / self.horizon, 0.0), 1.0)

    @property
    def executed_fraction(self) -> float:
        return self.executed / self.quantity if self.quantity else 1.0

    @property
    def time_left(self) -> float:
        return max(self.deadline - self.now, 0.0)
