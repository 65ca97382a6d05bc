"""/api/audit: the tamper-evident audit trail of one order and/or a time range, streamed as a JSON array or
CSV by the same export the audit review page uses (execdesk.desk.audit.export). Auditors and supervisors."""

from __future__ import annotations

from django.http import HttpRequest, StreamingHttpResponse
from ninja import Query, Router

from execdesk.desk.api import auth
from execdesk.desk.api.errors import READ
from execdesk.desk.api.schemas import AuditQuery, AuditRowOut
from execdesk.desk.audit.export import COLUMNS, audit_csv, audit_json, audit_rows

router = Router(tags=["audit"])

_CSV_DOC = {"responses": {200: {
    "description": "The events in chain order: a JSON array, or CSV with the columns "
                   f"{', '.join(COLUMNS)} (payload and market_ref as compact JSON)",
    "content": {"text/csv": {"schema": {"type": "string"}}},
}}}


@router.get("/audit", auth=auth.AUDIT, response={200: list[AuditRowOut], **READ}, openapi_extra=_CSV_DOC,
            summary="Export the audit trail (auditor, supervisor)",
            description="Give `order` and/or a time range [`since`, `until`) (ISO 8601; no offset means UTC). "
                        "Each row carries `prev_hash` and `hash`, so the chain can be verified outside the desk: "
                        "hash = sha256(prev_hash + canonical JSON of the event). Streamed, for any size.")
def audit_export(request: HttpRequest, query: Query[AuditQuery]):
    rows = audit_rows(parent_id=query.order, since=query.since, until=query.until)  # refuses a bad query at once
    if query.format == "csv":
        response = StreamingHttpResponse(audit_csv(rows), content_type="text/csv; charset=utf-8")
    else:
        response = StreamingHttpResponse(audit_json(rows), content_type="application/json")
    scope = f"order-{query.order}" if query.order else "range"
    response["Content-Disposition"] = f'attachment; filename="audit_{scope}.{query.format}"'
    response["Cache-Control"] = "no-store"
    return response
