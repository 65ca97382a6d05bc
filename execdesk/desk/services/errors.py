"""Errors a service raises for a person to read: each message names the problem."""


class DeskError(Exception):
    """A request the desk refuses; nothing was changed."""


class InvalidInput(DeskError):
    pass


class ProposalNotPending(DeskError):
    pass


class RiskBlocked(DeskError):
    def __init__(self, message: str, checks: list[dict] | None = None) -> None:
        super().__init__(message)
        self.checks = checks or []


class FourEyesRequired(DeskError):
    """The decision needs a second person: a supervisor, and never the author of the override."""
