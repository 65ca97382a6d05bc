"""The admin follows the desk's roles: supervisors and auditors read the audit trail there; a trader has no
admin unless a supervisor grants it, and then never the audit trail. `is_staff` plays no part."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.test import Client

from execdesk.desk.models import AuditEvent
from execdesk.desk.services.access import admin_access_set

pytestmark = pytest.mark.django_db

AUDIT_PAGE = "/admin/desk/auditevent/"
ORDERS_PAGE = "/admin/desk/parentorder/"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def trail(alice, make_order):
    make_order()
    assert AuditEvent.objects.exists()


def test_a_trader_cannot_read_the_audit_trail_in_the_admin(alice, trail):
    response = _client(alice).get(AUDIT_PAGE, follow=True)
    assert response.status_code == 403
    assert b"parent.created" not in response.content


def test_a_trader_has_no_admin_at_all_by_default(alice):
    response = _client(alice).get("/admin/", follow=True)
    assert response.status_code == 403


@pytest.mark.parametrize("who", ["bob", "charlie"])
def test_supervisors_and_auditors_read_the_audit_trail_in_the_admin(who, request, trail):
    user = request.getfixturevalue(who)
    assert not user.is_staff
    response = _client(user).get(AUDIT_PAGE)
    assert response.status_code == 200
    assert b"parent.created" in response.content


def test_a_trader_granted_admin_access_sees_orders_but_never_the_audit_trail(alice, bob, trail):
    admin_access_set(user=bob, username="alice", granted=True, reason="reconciling fills with ops")
    client = _client(alice)
    assert client.get(ORDERS_PAGE).status_code == 200
    assert client.get(AUDIT_PAGE).status_code == 403
    assert AuditEvent.objects.filter(action="user.admin_access_granted", object_id="alice").exists()
    admin_access_set(user=bob, username="alice", granted=False, reason="done")
    assert client.get(ORDERS_PAGE, follow=True).status_code == 403


def test_only_a_supervisor_grants_admin_access(alice, charlie):
    with pytest.raises(PermissionDenied):
        admin_access_set(user=alice, username="alice", granted=True, reason="me")
    with pytest.raises(PermissionDenied):
        admin_access_set(user=charlie, username="alice", granted=True, reason="me")


def test_the_trader_group_cannot_view_audit_events(alice):
    codenames = set(Group.objects.get(name="trader").permissions.values_list("codename", flat=True))
    assert "view_parentorder" in codenames
    assert "view_auditevent" not in codenames


def test_an_anonymous_admin_visit_goes_to_the_desk_login(client):
    response = client.get(AUDIT_PAGE, follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")


def test_the_demo_logins_are_not_staff_and_the_demo_trader_has_no_admin(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.EMBEDDED = True  # the command makes demo logins in embedded mode only; the database may be PostgreSQL
    call_command("desk_demo", stdout=open(tmp_path / "out.txt", "w"))
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(username__in=["trader", "supervisor", "auditor"])
    assert users.count() == 3 and not users.filter(is_staff=True).exists()
    trader = users.get(username="trader")
    assert _client(trader).get(AUDIT_PAGE, follow=True).status_code == 403
    assert _client(users.get(username="auditor")).get(AUDIT_PAGE).status_code == 200
