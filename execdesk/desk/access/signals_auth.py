"""What happens around a login: logins, failed logins, lockouts and logouts go to the audit trail (never a
password), and the user's open websockets re-check their login as soon as it may have ended."""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from axes.signals import user_locked_out
from channels.layers import get_channel_layer
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from execdesk.desk.access.roles import Actor, role_of
from execdesk.desk.realtime.consumers import user_group
from execdesk.desk.services.audit import audit_record_now

log = logging.getLogger(__name__)
User = get_user_model()


def _client(request) -> dict[str, str]:
    if request is None:
        return {}
    return {"ip": request.META.get("REMOTE_ADDR", ""), "user_agent": request.headers.get("User-Agent", "")[:200],
            "path": request.path[:200]}


def _who(user) -> Actor:
    return Actor(label=user.get_username(), role=role_of(user), user=user)


@receiver(user_logged_in, dispatch_uid="execdesk-audit-login")
def audit_login(sender, request, user, **kwargs) -> None:
    audit_record_now(actor=_who(user), action="auth.login", object_type="user", object_id=user.get_username(),
                     payload=_client(request))


@receiver(user_login_failed, dispatch_uid="execdesk-audit-login-failed")
def audit_login_failed(sender, credentials, request=None, **kwargs) -> None:
    # Django has already masked the password in `credentials`; only the username is kept
    username = str(credentials.get("username", ""))[:150]
    audit_record_now(actor=Actor(label=username or "?", role="anonymous"), action="auth.login_failed",
                     object_type="user", object_id=username, payload={"username": username, **_client(request)})


@receiver(user_locked_out, dispatch_uid="execdesk-audit-locked-out")
def audit_locked_out(sender, request, username, ip_address, **kwargs) -> None:
    audit_record_now(actor=Actor(label=str(username or "?")[:150], role="anonymous"), action="auth.locked_out",
                     object_type="user", object_id=str(username or "")[:150],
                     payload={"username": str(username or "")[:150], **_client(request), "ip": ip_address or ""})


@receiver(user_logged_out, dispatch_uid="execdesk-audit-logout")
def audit_logout(sender, request, user, **kwargs) -> None:
    if user is None:  # logging out an anonymous session
        return
    audit_record_now(actor=_who(user), action="auth.logout", object_type="user", object_id=user.get_username(),
                     payload=_client(request))
    # the session is flushed just after this signal: name it, so its sockets close without a database look-up
    session = getattr(request, "session", None)
    sockets_recheck(user.pk, ended_session=getattr(session, "session_key", None))


def sockets_recheck(user_id: int, *, ended_session: str | None = None, role_changed: bool = False) -> None:
    """Tell the user's open websockets to re-check their login (after the change is committed); after a
    group change they close even when the login holds, so the page reconnects under the new role."""

    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            async_to_sync(layer.group_send)(user_group(user_id), {"type": "desk.session_check",
                                                                  "ended_session": ended_session,
                                                                  "role_changed": role_changed})
        except Exception:  # the periodic re-check still closes the socket
            log.exception("could not signal the websockets of user %s", user_id)

    transaction.on_commit(send)


@receiver(post_save, sender=User, dispatch_uid="execdesk-user-saved")
def user_saved(sender, instance, created, update_fields=None, **kwargs) -> None:
    if created or (update_fields is not None and set(update_fields) == {"last_login"}):
        return  # a new user has no socket; a login's own save changes nothing a socket depends on
    sockets_recheck(instance.pk)


@receiver(post_delete, sender=User, dispatch_uid="execdesk-user-deleted")
def user_deleted(sender, instance, **kwargs) -> None:
    sockets_recheck(instance.pk)


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="execdesk-user-groups")
def user_groups_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        sockets_recheck(instance.pk, role_changed=True)
    else:  # group.user_set.remove(...): the users are in pk_set (None after a clear)
        for pk in pk_set or instance.user_set.values_list("pk", flat=True):
            sockets_recheck(pk, role_changed=True)
