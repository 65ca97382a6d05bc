from execdesk.desk.access.roles import SUPERVISOR, can_trade, can_use_admin, role_of


def venue_banner() -> dict:
    """What the banner on every page says: the live venue and its environment when Bybit is configured
    (mainnet in red), else the paper venue on the simulated market."""
    from execdesk.bybit.config import BybitConfigError
    from execdesk.desk.bybit.link import bybit_config, bybit_status

    ok, text = bybit_status()
    if ok:
        return {"desk_venue": "bybit", "desk_env": bybit_config().environment,
                "desk_banner": f"{text} · paper venue also available"}
    try:
        bybit_config()
    except BybitConfigError as exc:
        return {"desk_venue": "paper", "desk_env": "misconfigured",
                "desk_banner": f"PAPER VENUE · SIMULATED MARKET · Bybit refused: {exc}"}
    return {"desk_venue": "paper", "desk_env": "simulated", "desk_banner": "PAPER VENUE · SIMULATED MARKET"}


def desk_context(request):
    user = getattr(request, "user", None)
    context = {"desk_role": role_of(user), "desk_can_trade": can_trade(user),
               "desk_is_supervisor": role_of(user) == SUPERVISOR, "desk_can_use_admin": can_use_admin(user),
               **venue_banner()}
    if user is not None and user.is_authenticated:
        from execdesk.desk.services.desk_state import desk_state

        context["desk_state"] = desk_state()
        context["trading_states"] = ["ACTIVE", "REDUCING", "HALTED"]
    return context
