"""The desk's REST API (django-ninja), mounted at /api/: the same services as the pages, with token or
session authentication and the desk's roles. OpenAPI at /api/openapi.json, docs at /api/docs (desk users
only). See docs/api.md."""

from __future__ import annotations

from django.urls import URLPattern, re_path
from ninja import NinjaAPI, Swagger
from ninja.errors import ValidationError

from execdesk.desk.api import audit, auth, desk, errors, orders, proposals


class DeskAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:
        # the view's own name (order_create, proposal_approve, …): unique, and what clients generate from
        return operation.view_func.__name__

    @property
    def urls(self) -> tuple[list, str, str]:
        patterns, app_name, namespace = super().urls
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                root = pattern.name == "api-root"  # ninja's answers an HTML 404
                pattern.callback = errors.no_such_endpoint if root else errors.json_method_not_allowed(pattern.callback)
        # anything else under /api/ is a JSON 404 too, not the desk's HTML page
        patterns.append(re_path(r"^.+$", errors.no_such_endpoint, name="no-such-endpoint"))
        return patterns, app_name, namespace

    def validation_error_from_error_contexts(self, error_contexts: list) -> ValidationError:
        # ninja drops the offending value; keep it (shortened in errors.py) so a 422 can say what it got
        found = []
        for context in error_contexts:
            model = context.model
            for e in context.pydantic_validation_error.errors(include_url=False, include_context=False):
                loc = (model.__ninja_param_source__,) + model.__ninja_flatten_map_reverse__.get(e["loc"], e["loc"])
                found.append({**e, "loc": loc})
        return ValidationError(found)


api = DeskAPI(
    title="ExecDesk API",
    version="1",
    description="Supervised execution of large crypto orders: parent orders, the advisor's proposals and the "
                "human decisions on them, TCA, the desk's trading state and the audit trail. Authenticate "
                "with `Authorization: Bearer <token>`; errors are `{\"detail\": \"…\"}`. See docs/api.md.",
    urls_namespace="api",
    auth=auth.READ,
    parser=errors.StrictJSONParser(),
    # ninja's bundled Swagger UI, served from its static files (offline) when "ninja" is an installed app
    docs=Swagger(settings={"persistAuthorization": False}),
    docs_decorator=auth.docs_access,
)
errors.install(api)
api.add_router("/", orders.router)
api.add_router("/", proposals.router)
api.add_router("/", desk.router)
api.add_router("/", audit.router)
