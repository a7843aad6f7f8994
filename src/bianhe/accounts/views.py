from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bianhe.access import get_restricted, require_right
from bianhe.accounts.actions import (
    do_create_api_token,
    do_create_user,
    do_revoke_api_token,
    do_set_password,
    do_update_user,
)
from bianhe.accounts.forms import TokenCreateForm, UserCreateForm, UserEditForm
from bianhe.accounts.models import ApiToken, User
from bianhe.audit.actions import request_context
from bianhe.form_errors import add_action_errors
from bianhe.roles import Action, Role


class LandingLoginView(LoginView):
    """The login page; after it, each role lands where its work is. An observer, who
    reviews and reports nothing, lands on the analytics dashboard of its zones."""

    def get_default_redirect_url(self):
        if getattr(self.request.user, "role", None) == Role.OBSERVER:
            return reverse("analytics:dashboard")
        return super().get_default_redirect_url()


def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        do_set_password(request.user, request.user, form.cleaned_data["new_password1"],
                        **request_context(request))
        update_session_auth_hash(request, request.user)
        messages.success(request, _("Your password has been changed."))
        return redirect("web:home")
    return render(request, "accounts/password_change.html", {"form": form})


def token_list(request):
    form = TokenCreateForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, secret = do_create_api_token(
                request.user, request.user, name=form.cleaned_data["name"],
                days=form.cleaned_data["days"], **request_context(request))
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            form = TokenCreateForm()
    # Everyone manages their own tokens here, administrators included.
    tokens = ApiToken.objects.restrict(request.user).filter(user=request.user)
    return render(request, "accounts/tokens.html",
                  {"form": form, "tokens": tokens, "secret": secret})


@require_POST
def token_revoke(request, token_id):
    token = get_restricted(ApiToken.objects, request.user, pk=token_id)
    do_revoke_api_token(request.user, token, **request_context(request))
    messages.success(request, _("The token has been revoked."))
    return redirect("accounts:token_list")


def user_list(request):
    require_right(request.user, Action.ADMINISTER)
    users = User.objects.restrict(request.user).prefetch_related("scope_units")
    return render(request, "accounts/user_list.html", {"users": users})


def user_create(request):
    require_right(request.user, Action.ADMINISTER)
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            do_create_user(request.user, username=data["username"], password=data["password"],
                           role=data["role"], scope_units=data["scope_units"],
                           display_name=data["display_name"], **request_context(request))
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, _("User created."))
            return redirect("accounts:user_list")
    return render(request, "accounts/user_form.html", {"form": form, "subject": None})


def user_edit(request, user_id):
    subject = get_restricted(User.objects, request.user, Action.ADMINISTER, pk=user_id)
    initial = {"display_name": subject.display_name, "role": subject.role,
               "scope_units": list(subject.scope_units.all()), "is_active": subject.is_active}
    form = UserEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            changed = do_update_user(
                request.user, subject, role=data["role"], scope_units=data["scope_units"],
                display_name=data["display_name"], is_active=data["is_active"],
                **request_context(request))
        except ValidationError as exc:
            add_action_errors(form, exc)
        else:
            messages.success(request, _("Saved.") if changed else _("Nothing changed."))
            return redirect("accounts:user_list")
    return render(request, "accounts/user_form.html", {"form": form, "subject": subject})
