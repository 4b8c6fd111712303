"""A portal login whose contact is gone (never linked, unlinked, or deleted): every portal page
answers with a clear message instead of a 404 or a 500, shows none of anyone's records, and the
login may still choose its language."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from oscar.core.loading import get_model

from crm_apps.customers.models import Contact
from crm_apps.service.models import Ticket
from tests.fixtures.world import host_client

NOT_LINKED = "Your login is not linked to a customer record"


def portal_client(host, email):
    return host_client(host, email=email, login_path="/portal/login/")


@pytest.fixture
def someone_elses_records(in_acme):
    """Another customer's ticket and order, which an unlinked login must never see."""
    other = get_user_model().objects.get(email="customer@acme.example")
    contact = Contact.objects.create(first_name="Cu", email=other.email, portal_user=other)
    ticket = Ticket.objects.create(subject="Someone else's printer", contact=contact)
    get_model("order", "Order").objects.create(
        number="O-ELSE", currency="CNY", total_incl_tax=Decimal(10),
        total_excl_tax=Decimal(10), user=other, date_placed=timezone.now())
    return ticket


def test_the_profile_explains_and_offers_only_the_language(in_acme):
    client = portal_client(in_acme.host, "other@acme.example")  # never linked to a contact

    page = client.get("/portal/profile/")

    assert page.status_code == 200
    assert NOT_LINKED in page.text
    assert "Acme Corporation" in page.text  # whom to contact
    assert 'name="language"' in page.text
    assert 'name="email_on_reply"' not in page.text
    assert 'name="phone"' not in page.text


def test_the_language_can_still_be_chosen_and_bad_input_is_400(in_acme):
    client = portal_client(in_acme.host, "other@acme.example")

    saved = client.post("/portal/profile/", {"language": "zh-hans", "first_name": "Ignored"})
    bad = client.post("/portal/profile/", {"language": "klingon"})

    assert saved.status_code == 302
    assert saved.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    user = get_user_model().objects.get(email="other@acme.example")
    assert (user.preferred_language, user.first_name) == ("zh-hans", "Other")
    assert not Contact.objects.filter(portal_user=user).exists()
    assert bad.status_code == 400
    assert '<html lang="zh-hans">' in bad.text  # the saved choice is in force
    assert 'name="language"' in bad.text


@pytest.mark.parametrize("how", ["deleted", "unlinked"])
def test_a_login_that_lost_its_contact_sees_the_message_everywhere(
        in_acme, someone_elses_records, how):
    user = get_user_model().objects.get(email="other@acme.example")
    contact = Contact.objects.create(first_name="Lost", email=user.email, portal_user=user)
    own = Ticket.objects.create(subject="My old ticket", contact=contact)
    client = portal_client(in_acme.host, user.email)
    assert "My old ticket" in client.get("/portal/tickets/").text
    if how == "deleted":
        contact.soft_delete()
    else:
        contact.portal_user = None
        contact.save()

    for path in ("/portal/profile/", "/portal/tickets/", "/portal/orders/"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert NOT_LINKED in page.text, path
        assert "Someone else" not in page.text
        assert "O-ELSE" not in page.text
        assert "My old ticket" not in page.text
    assert client.get("/portal/").status_code == 200
    assert client.get("/portal/tickets/new/").status_code == 403
    assert client.get(f"/portal/tickets/{own.pk}/").status_code == 404
    assert client.get(f"/portal/tickets/{someone_elses_records.pk}/").status_code == 404
    assert client.get("/portal/orders/O-ELSE/").status_code == 404
    assert client.get("/portal/orders/?page=x").status_code == 400


def test_a_linked_customer_sees_no_such_message(in_acme, someone_elses_records):
    client = portal_client(in_acme.host, "customer@acme.example")
    for path in ("/portal/profile/", "/portal/tickets/", "/portal/orders/"):
        page = client.get(path)
        assert page.status_code == 200
        assert NOT_LINKED not in page.text
    assert "Someone else&#x27;s printer" in client.get("/portal/tickets/").text
