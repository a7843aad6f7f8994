"""Audit rows for logins, logouts and failed logins (the auth framework's own events)."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from bianhe.audit.actions import client_ip, record
from bianhe.audit.models import Source


@receiver(user_logged_in)
def audit_login(sender, request, user, **kwargs):
    record(actor=user, action="accounts.login", obj=user, source=Source.WEB,
           ip_address=client_ip(request) if request else None)


@receiver(user_logged_out)
def audit_logout(sender, request, user, **kwargs):
    if user is not None:
        record(actor=user, action="accounts.logout", obj=user, source=Source.WEB,
               ip_address=client_ip(request) if request else None)


@receiver(user_login_failed)
def audit_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    record(
        actor=None,
        action="accounts.login_failed",
        object_type="accounts.user",
        object_repr=username,
        after={"username": username},
        source=Source.WEB,
        ip_address=client_ip(request) if request else None,
    )
