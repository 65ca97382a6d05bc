"""Reads the REST API and the token page need beyond `selectors`: filtered, paginated lists and tokens."""

from __future__ import annotations

from execdesk.desk.models import ApiToken, ParentOrder, Proposal
from execdesk.desk.selectors.orders import readable_rows


def parent_order_page(*, status: str | None = None, symbol: str | None = None, limit: int = 50,
                      offset: int = 0) -> tuple[list[ParentOrder], int]:
    """Newest first, with the total count of the filtered list."""
    qs = ParentOrder.objects.select_related("created_by").order_by("-created_at", "-pk")
    if status:
        qs = qs.filter(status=status)
    if symbol:
        qs = qs.filter(symbol=symbol)
    return readable_rows(qs, limit=limit, offset=offset), qs.count()  # an unreadable row is marked, not a 500


def proposal_page(*, parent_id: int | None = None, status: str | None = None, limit: int = 50,
                  offset: int = 0) -> tuple[list[Proposal], int]:
    """Pending ones soonest-expiring first (they need a decision); others newest first."""
    qs = Proposal.objects.select_related("decided_by")
    if parent_id is not None:
        qs = qs.filter(parent_id=parent_id)
    if status:
        qs = qs.filter(status=status)
    qs = qs.order_by("expires_at", "pk") if status == "pending" else qs.order_by("-created_at", "-pk")
    return list(qs[offset:offset + limit]), qs.count()


def api_token_list(*, user) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user).order_by("-created_at", "-pk"))
