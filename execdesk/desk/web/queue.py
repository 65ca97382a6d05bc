"""The approval queue's page and its state endpoint. Decisions go through the order page's endpoints
(views.proposal_action): one service per decision, audited as everywhere else."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from execdesk.desk.selectors.queue import queue_state
from execdesk.desk.web.views import desk_view


@require_GET
@desk_view
def queue(request: HttpRequest) -> HttpResponse:
    return render(request, "desk/queue.html", {"queue": queue_state(user=request.user)})


@require_GET
@desk_view
def queue_json(request: HttpRequest) -> HttpResponse:
    return JsonResponse(queue_state(user=request.user))
