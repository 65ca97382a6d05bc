from execdesk.desk.models.advisor_query import AdvisorQuery, QueryKind, QueryStatus
from execdesk.desk.models.api_token import ApiToken, token_digest
from execdesk.desk.models.audit import AuditEvent, AuditTamperError
from execdesk.desk.models.calendar import ScheduledEvent
from execdesk.desk.models.child import ChildOrder, Fill
from execdesk.desk.models.desk_state import DeskState
from execdesk.desk.models.impact import ImpactObservation
from execdesk.desk.models.market import MarketPrint, MarketState, PaperTake
from execdesk.desk.models.parent import ApprovalMode, ParentOrder, Strategy
from execdesk.desk.models.proposal import Proposal, ProposalStatus

__all__ = [
    "AdvisorQuery",
    "ApiToken",
    "token_digest",
    "QueryKind",
    "QueryStatus",
    "ApprovalMode",
    "AuditEvent",
    "AuditTamperError",
    "ChildOrder",
    "DeskState",
    "Fill",
    "ImpactObservation",
    "MarketPrint",
    "MarketState",
    "PaperTake",
    "ParentOrder",
    "Proposal",
    "ProposalStatus",
    "ScheduledEvent",
    "Strategy",
]
