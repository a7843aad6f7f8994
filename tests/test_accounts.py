import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from bianhe.accounts.actions import do_create_api_token, do_revoke_api_token
from bianhe.accounts.models import ApiToken, User
from bianhe.audit.models import AuditLog
from personas import PASSWORD, PERSONAS


def login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_a_user_logs_in_with_the_form_and_lands_on_the_home_page(client, people):
    response = login(client, PERSONAS["xinjiang_reviewer"].username, PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    page = client.get("/").content.decode()
    assert "新疆维吾尔自治区" in page
    assert AuditLog.objects.filter(action="accounts.login",
                                   actor=people["xinjiang_reviewer"]).exists()


def test_a_wrong_password_is_refused_with_a_chinese_message_and_audited(client, people):
    response = login(client, "xj-reviewer", "wrong-password-1")
    assert response.status_code == 200
    assert "用户名或密码错误" in response.content.decode()
    assert AuditLog.objects.filter(action="accounts.login_failed",
                                   object_repr="xj-reviewer").count() == 1


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, people):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        login(client, "xj-reviewer", "wrong-password-1")
    response = login(client, "xj-reviewer", PASSWORD)
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logging_out_is_audited_and_ends_the_session(client, people):
    client.force_login(people["ministry_analyst"])
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302
    assert AuditLog.objects.filter(action="accounts.logout").exists()


def test_sessions_expire_when_idle_and_when_the_browser_closes():
    assert settings.SESSION_COOKIE_AGE == 60 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST and settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


def test_a_password_change_is_validated_and_audited(client, people):
    user = people["pingxiang_reporter"]
    client.force_login(user)
    weak = client.post("/accounts/password/", {"old_password": PASSWORD,
                                               "new_password1": "12345678",
                                               "new_password2": "12345678"})
    assert weak.status_code == 200
    assert "密码" in weak.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    strong = "A-much-better-passphrase-7"
    response = client.post("/accounts/password/", {"old_password": PASSWORD,
                                                   "new_password1": strong,
                                                   "new_password2": strong})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(strong)
    entry = AuditLog.objects.get(action="accounts.user.set_password", object_id=str(user.pk))
    assert entry.before is None and entry.after is None  # never the password itself


def test_a_token_is_shown_once_and_only_its_digest_is_stored(client, people):
    client.force_login(people["xinjiang_reviewer"])
    page = client.post("/accounts/tokens/", {"name": "数据对接", "days": 30}).content.decode()
    token = ApiToken.objects.get(user=people["xinjiang_reviewer"])
    start = page.index('id="new-token">') + len('id="new-token">')
    secret = page[start:page.index("<", start)]
    assert secret.startswith("bh_") and len(secret) > 40
    assert token.digest == ApiToken.digest_of(secret) and secret not in token.digest
    assert secret not in client.get("/accounts/tokens/").content.decode()


def test_the_api_accepts_a_token_and_scopes_it_to_its_owner(client, people):
    _token, secret = do_create_api_token(None, people["xinjiang_reviewer"], name="bridge")
    response = client.get("/api/v1/zones", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
    assert {zone["province"] for zone in response.json()} == {"CN-XJ"}


@pytest.mark.parametrize(("state", "message"), [
    ("wrong", "The API token is not valid."),
    ("expired", "The API token has expired."),
    ("revoked", "The API token has been revoked."),
    ("disabled", "The account of this API token is disabled."),
])
def test_a_bad_token_gets_401_with_its_reason(client, people, state, message):
    user = people["ministry_analyst"]
    token, secret = do_create_api_token(None, user, name="bridge")
    if state == "wrong":
        secret = secret[:-2] + "xx"
    elif state == "expired":
        ApiToken.objects.filter(pk=token.pk).update(
            expires_at=timezone.now() - dt.timedelta(seconds=1))
    elif state == "revoked":
        do_revoke_api_token(user, token)
    elif state == "disabled":
        User.objects.filter(pk=user.pk).update(is_active=False)
    response = client.get("/api/v1/zones", HTTP_AUTHORIZATION=f"Bearer {secret}",
                          HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert response.json() == {"detail": message}


def test_an_administrator_creates_a_user_with_a_scope_through_the_page(client, people):
    client.force_login(people["ministry_admin"])
    province = people["xinjiang_reviewer"].scope_units.get()
    response = client.post("/accounts/users/new/", {
        "username": "xj-reviewer-2", "display_name": "新疆审核员", "role": "province_reviewer",
        "scope_units": [province.pk], "password": PASSWORD, "password_again": PASSWORD})
    assert response.status_code == 302
    created = User.objects.get(username="xj-reviewer-2")
    assert list(created.scope_units.values_list("code", flat=True)) == ["CN-XJ"]
    entry = AuditLog.objects.get(action="accounts.user.create", object_id=str(created.pk))
    assert entry.after["scope"] == ["CN-XJ"] and entry.actor == people["ministry_admin"]


def test_a_user_given_a_scope_outside_its_role_is_refused_in_chinese(client, people):
    client.force_login(people["ministry_admin"])
    zone = people["pingxiang_reporter"].scope_units.get()
    response = client.post("/accounts/users/new/", {
        "username": "bad-reviewer", "role": "province_reviewer", "scope_units": [zone.pk],
        "password": PASSWORD, "password_again": PASSWORD})
    assert response.status_code == 200
    assert "省级审核员" in response.content.decode()
    assert not User.objects.filter(username="bad-reviewer").exists()


def test_changing_a_users_role_is_audited_before_and_after(client, people):
    client.force_login(people["ministry_admin"])
    subject = people["ministry_analyst"]
    response = client.post(f"/accounts/users/{subject.pk}/", {
        "role": "observer", "scope_units": [people["xinjiang_reviewer"].scope_units.get().pk],
        "display_name": "", "is_active": "on"})
    assert response.status_code == 302
    entry = AuditLog.objects.get(action="accounts.user.update", object_id=str(subject.pk))
    assert entry.before == {"role": "ministry_analyst", "scope": []}
    assert entry.after == {"role": "observer", "scope": ["CN-XJ"]}
