from execdesk.desk.roles import SUPERVISOR, can_trade, role_of


def desk_context(request):
    user = getattr(request, "user", None)
    context = {"desk_role": role_of(user), "desk_can_trade": can_trade(user), "desk_venue": "paper",
               "desk_env": "simulated", "desk_is_supervisor": role_of(user) == SUPERVISOR}
    if user is not None and user.is_authenticated:
        from execdesk.desk.services.desk_state import desk_state

        context["desk_state"] = desk_state()
        context["trading_states"] = ["ACTIVE", "REDUCING", "HALTED"]
    return context
