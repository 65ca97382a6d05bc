from execdesk.desk.roles import can_trade, role_of


def desk_context(request):
    user = getattr(request, "user", None)
    return {"desk_role": role_of(user), "desk_can_trade": can_trade(user), "desk_venue": "paper", "desk_env": "simulated"}
