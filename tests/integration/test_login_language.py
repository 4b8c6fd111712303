"""The saved language of a login (User.preferred_language) applies from the sign-in on, for
portal customers and staff alike, and a later explicit choice wins over it."""

from django.conf import settings
from django.contrib.auth import get_user_model

from crm_apps.customers.models import Contact
from tests.fixtures.world import PASSWORD, host_client


def prefer(email: str, language: str):
    get_user_model().objects.filter(email=email).update(preferred_language=language)


def sign_in(host: str, path: str, email: str):
    client = host_client(host)
    response = client.post(path, {"username": email, "password": PASSWORD})
    assert response.status_code == 302, response.content[:300]
    return client, response


def test_portal_sign_in_switches_to_the_saved_language(in_acme):
    prefer("customer@acme.example", "zh-hans")
    client, response = sign_in(in_acme.host, "/portal/login/", "customer@acme.example")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert '<html lang="zh-hans">' in page.text
    assert "在这里跟踪您的订单、工单和发票。" in page.text


def test_staff_sign_in_switches_to_the_saved_language(in_acme):
    prefer("rep@acme.example", "zh-hans")
    client, response = sign_in(in_acme.host, "/app/login/", "rep@acme.example")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "Rep，欢迎回来" in page.text


def test_no_saved_language_leaves_the_browser_choice(in_acme):
    prefer("customer@acme.example", "")
    client, response = sign_in(in_acme.host, "/portal/login/", "customer@acme.example")
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    page = client.get("/portal/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Follow your orders, tickets and invoices here." in page.text


def test_a_language_chosen_after_sign_in_wins_and_is_saved(in_acme):
    user = get_user_model().objects.get(email="customer@acme.example")
    Contact.objects.create(first_name="Cu", email=user.email, portal_user=user)
    prefer(user.email, "zh-hans")
    client, _response = sign_in(in_acme.host, "/portal/login/", user.email)
    chosen = client.post("/portal/profile/", {"first_name": "Cu", "language": "en"})
    assert chosen.status_code == 302
    assert chosen.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    user.refresh_from_db()
    assert user.preferred_language == "en"
    assert "Follow your orders, tickets and invoices here." in client.get("/portal/").text
    # The next sign-in brings back the language saved last, not the first one.
    _client, again = sign_in(in_acme.host, "/portal/login/", user.email)
    assert again.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_a_language_picked_in_the_page_header_is_kept_for_the_next_sign_in(in_acme):
    prefer("rep@acme.example", "zh-hans")
    client, _response = sign_in(in_acme.host, "/app/login/", "rep@acme.example")
    picked = client.post("/i18n/setlang/", {"language": "en", "next": "/app/"})
    assert picked.status_code == 302
    assert picked.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert "Good to see you, Rep" in client.get("/app/").text
    assert get_user_model().objects.get(email="rep@acme.example").preferred_language == "en"
    _client, again = sign_in(in_acme.host, "/app/login/", "rep@acme.example")
    assert again.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    # Anonymous visitors pick a language too; nothing is saved for them.
    assert host_client(in_acme.host).post("/i18n/setlang/", {"language": "zh-hans"}) \
        .status_code == 302
