from django.urls import path, register_converter

from execdesk.desk.web import queue, review, tokens, views


class _Choice:
    choices: tuple[str, ...] = ()

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class OrderActionConverter(_Choice):
    regex = "start|pause|resume|cancel"


class ProposalActionConverter(_Choice):
    regex = "approve|reject|override"


register_converter(OrderActionConverter, "order_action")
register_converter(ProposalActionConverter, "proposal_action")

app_name = "desk"

urlpatterns = [
    path("", views.home, name="home"),
    path("orders/new/", views.order_create, name="order_create"),
    path("trading-state/", views.trading_state_set, name="trading_state"),
    path("orders/<int:order_id>/", views.order_detail, name="order"),
    path("orders/<int:order_id>/state.json", views.order_state, name="order_state"),
    path("orders/<int:order_id>/<order_action:action>/", views.order_action, name="order_action"),
    path("orders/<int:order_id>/approve/", views.order_approve, name="order_approve"),
    path("orders/<int:order_id>/mode/", views.order_mode, name="order_mode"),
    path("orders/<int:order_id>/amend/", views.order_amend, name="order_amend"),
    path("proposals/<int:proposal_id>/<proposal_action:action>/", views.proposal_action, name="proposal_action"),
    path("queue/", queue.queue, name="queue"),
    path("queue/state.json", queue.queue_json, name="queue_state"),
    path("tokens/", tokens.tokens, name="tokens"),
    path("tokens/<int:token_id>/revoke/", tokens.token_revoke, name="token_revoke"),
    path("review/", review.review_list, name="review"),
    path("review/orders/<int:order_id>/", review.review_order, name="review_order"),
    path("review/export.<str:fmt>", review.review_export, name="review_export"),  # csv or json
]
