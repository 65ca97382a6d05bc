"""The desk-wide trading state as a gate on new work: while the desk is HALTED no proposal is made and no
parent order is created or started; while it is REDUCING only a parent order that reduces the desk's net
position in its symbol may be created or started.

Imports only models (and the error types), so every service can call it without an import cycle
(desk_state → parent_orders → here; the risk gate → here). Each call reads the state afresh; a step reads it after
desk_state_share_lock(), so it cannot miss a halt that committed before it nor race one being made.
"""

from __future__ import annotations

from django.db.models import Case, DecimalField, F, Sum, When

from execdesk.desk.models import DeskState, ParentOrder
from execdesk.desk.services.errors import DeskError
from execdesk.domain.risk import TradingState


class TradingRefused(DeskError):
    """The desk's trading state refuses new work (a 409 on the API, naming who, when and why)."""


def desk_state_row() -> DeskState | None:
    return DeskState.objects.filter(pk=DeskState.SINGLETON).first()


def desk_state_share_lock() -> None:
    """Share-lock the desk state row, first thing in a transaction that may record new work (a step): a halt
    (which locks it FOR UPDATE) then waits for the work already being recorded and withdraws it, and the
    work that comes after the halt reads HALTED. Steps share the lock, so they never wait on each other."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return  # SQLite serialises writers: nothing can commit between this read and the write
    if not DeskState.objects.filter(pk=DeskState.SINGLETON).exists():  # a halt must find a row to lock
        DeskState.objects.bulk_create([DeskState(pk=DeskState.SINGLETON)], ignore_conflicts=True)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {DeskState._meta.db_table} WHERE id = %s FOR SHARE", [DeskState.SINGLETON])


def desk_state() -> DeskState:
    state = desk_state_row()
    return state if state is not None else DeskState(pk=DeskState.SINGLETON)


def desk_trading_state() -> TradingState:
    return desk_state().state


def desk_halted() -> DeskState | None:
    """The desk state row when the desk is HALTED, else None."""
    row = desk_state_row()
    return row if row is not None and row.state is TradingState.HALTED else None


def net_position(symbol: str) -> float:
    """The desk's signed executed quantity in the symbol over all parent orders (buys positive)."""
    signed = Case(When(side="buy", then=F("executed_qty")), default=-F("executed_qty"),
                  output_field=DecimalField(max_digits=30, decimal_places=12))
    total = ParentOrder.objects.filter(symbol=symbol).aggregate(net=Sum(signed))["net"]
    return float(total or 0)


def trading_gate_new_order(*, what: str, parent_id: int | None = None, symbol: str = "", side: str = "") -> None:
    """Refuse `what` ("creating a parent order", "starting order 7") while the desk's state forbids new orders.
    Give the order's id, or its symbol and side when it does not exist yet."""
    row = desk_state_row()
    if row is None or row.state is TradingState.ACTIVE:
        return
    if row.state is TradingState.HALTED:
        raise TradingRefused(f"{what} refused: the desk is HALTED{_by(row)}; no new orders until a supervisor "
                            "resumes the desk")
    if parent_id is not None:
        symbol, side = ParentOrder.objects.filter(pk=parent_id).values_list("symbol", "side").get()
    net = net_position(symbol)
    sign = 1 if side == "buy" else -1
    if net * sign >= 0:  # flat, or the order would add to the position
        raise TradingRefused(f"{what} refused: the desk is REDUCING{_by(row)}; only an order that reduces the "
                            f"desk's net position in {symbol} may start, and a {side} against a net position of "
                            f"{net:+g} would not reduce it")


def _by(row: DeskState) -> str:
    when = f" at {row.changed_at:%Y-%m-%d %H:%M:%S} UTC" if row.changed_at else ""
    who = f" by {row.changed_by}" if row.changed_by else ""
    return f"{who}{when}" + (f" ({row.reason})" if row.reason else "")
