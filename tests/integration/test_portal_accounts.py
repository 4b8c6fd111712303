"""Portal accounts: staff invitations, self-registration with e-mail verification and safe
contact linking, password reset, the profile and its preferences, and the portal policy that
scopes every customer query (own, company admin, other customer, staff, other tenant)."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core import mail, signing
from django.test import TestCase
from django.utils import timezone
from django_tenants.utils import tenant_context
from oscar.core.loading import get_model

from core.accounts import create_user
from core.roles import PORTAL_CUSTOMER, SALES_REP
from crm_apps.customers.models import Account, Contact
from crm_apps.quotes.acceptance import portal_user_for
from crm_apps.quotes.models import Quote
from crm_apps.service.models import Ticket, TicketMessage
from portal import policy
from portal.invite_views import INVITE_MAX_AGE, INVITE_SALT
from portal.models import PendingRegistration, PortalPreferences
from portal.preferences import ORDER, REPLY, STATUS, wants_email
from portal.register_views import attempt_keys
from tests.fixtures.world import PASSWORD, host_client, signed_in

NEW_PASSWORD = "Blue-harbour-42"  # noqa: S105


def link_in(message) -> str:
    """The path of the first link to this test server in an e-mail body."""
    return re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)


def users():
    return get_user_model().objects


def mails_sent_on_commit():
    """Runs the on-commit callbacks (the portal's e-mails) as if the request had committed."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def sign_in_portal(host, email, password):
    return host_client(host).post("/portal/login/", {"username": email, "password": password})


# --- Invitations --------------------------------------------------------------------------

@pytest.fixture
def invitee(in_acme):
    rep = users().get(email="rep@acme.example")
    return Contact.objects.create(first_name="Lin", last_name="Wei", email="Lin.Wei@example.com",
                                  owner=rep)


def test_invitation_end_to_end(in_acme, invitee):
    staff = signed_in(in_acme.host, "rep@acme.example")
    page = staff.get(f"/app/customers/contacts/{invitee.pk}/")
    assert b"Invite to portal" in page.content

    with mails_sent_on_commit():
        response = staff.post(f"/portal/contacts/{invitee.pk}/invite/")
    assert response.status_code == 302
    assert response["Location"] == f"/app/customers/contacts/{invitee.pk}/"
    assert [message.to for message in mail.outbox] == [["Lin.Wei@example.com"]]
    path = link_in(mail.outbox[0])
    assert path.startswith("/portal/invite/")
    assert f"//{in_acme.host}" in mail.outbox[0].body

    customer = host_client(in_acme.host)
    assert customer.get(path).status_code == 200
    mismatch = customer.post(path, {"password1": NEW_PASSWORD, "password2": "different-1"})
    assert mismatch.status_code == 400
    assert not users().filter(email__iexact="lin.wei@example.com").exists()

    done = customer.post(path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == "/portal/"
    invitee.refresh_from_db()
    user = invitee.portal_user
    assert user.email == "lin.wei@example.com"
    assert user.first_name == "Lin"
    assert list(user.groups.values_list("name", flat=True)) == [PORTAL_CUSTOMER]
    assert customer.get("/portal/").status_code == 200  # signed in by the link

    login = sign_in_portal(in_acme.host, "lin.wei@example.com", NEW_PASSWORD)
    assert login.status_code == 302
    assert login["Location"] == "/portal/"
    assert policy.customer_of(user).contact == invitee
    # Used once: the contact now has a login, so the link is dead.
    assert host_client(in_acme.host).get(path).status_code == 404
    assert portal_user_for(invitee) == user


def test_invitation_refused_without_email_or_with_a_login(in_acme, invitee):
    staff = signed_in(in_acme.host, "admin@acme.example")
    no_email = Contact.objects.create(first_name="No", last_name="Mail")
    response = staff.post(f"/portal/contacts/{no_email.pk}/invite/", follow=True)
    assert b"Add an e-mail address" in response.content
    invitee.portal_user = users().get(email="customer@acme.example")
    invitee.save()
    response = staff.post(f"/portal/contacts/{invitee.pk}/invite/", follow=True)
    assert b"already has a portal login" in response.content
    assert b"Invite to portal" not in response.content
    assert mail.outbox == []
    assert staff.get(f"/portal/contacts/{invitee.pk}/invite/").status_code == 405


def test_invitation_tokens_tampered_expired_or_foreign_are_404(in_acme, invitee, monkeypatch):
    with mails_sent_on_commit():
        signed_in(in_acme.host, "rep@acme.example").post(
            f"/portal/contacts/{invitee.pk}/invite/")
    path = link_in(mail.outbox[0])
    client = host_client(in_acme.host)
    assert client.get(path[:-3] + "xx/").status_code == 404
    assert client.post(path[:-3] + "xx/", {"password1": NEW_PASSWORD,
                                            "password2": NEW_PASSWORD}).status_code == 404
    forged = signing.dumps({"s": "globex", "c": invitee.pk, "e": "lin.wei@example.com"},
                           salt=INVITE_SALT, compress=True)
    assert client.get(f"/portal/invite/{forged}/").status_code == 404
    # The same link on another tenant's host names nobody there.
    assert host_client("globex.localhost").get(path).status_code == 404

    later = timezone.now().timestamp() + INVITE_MAX_AGE + 60
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)
    assert client.get(path).status_code == 404
    assert not Contact.objects.get(pk=invitee.pk).portal_user_id


def test_rep_who_cannot_see_the_contact_gets_404(in_acme, invitee):
    other_rep = create_user(email="rep2@acme.example", password=PASSWORD, role=SALES_REP)
    assert other_rep.pk
    response = signed_in(in_acme.host, "rep2@acme.example").post(
        f"/portal/contacts/{invitee.pk}/invite/")
    assert response.status_code == 404
    customer = host_client(in_acme.host, email="customer@acme.example",
                           login_path="/portal/login/")
    assert customer.post(f"/portal/contacts/{invitee.pk}/invite/").status_code == 403
    assert mail.outbox == []


def test_globex_staff_cannot_invite_an_acme_contact(in_acme, invitee, globex):
    staff = signed_in(globex.host, "admin@globex.example")
    with tenant_context(globex.tenant):
        assert not Contact.objects.filter(pk=invitee.pk).exists()
    assert staff.post(f"/portal/contacts/{invitee.pk}/invite/").status_code == 404
    assert mail.outbox == []


# --- Self-registration --------------------------------------------------------------------

REGISTERED = ("may.chen@example.com", "customer@acme.example", "nobody@example.com",
              "flood@example.com", "shared@example.com")


@pytest.fixture(autouse=True)
def _fresh_attempt_counters(acme, globex):
    """The cache outlives each test's rolled-back rows: start every test with no attempts."""
    from django.core.cache import cache

    def forget():
        for tenant in (acme.tenant, globex.tenant):
            with tenant_context(tenant):
                for email in REGISTERED:
                    cache.delete_many(attempt_keys("127.0.0.1", email))

    forget()
    yield
    forget()


def register(host, email, password=NEW_PASSWORD, **extra):
    with mails_sent_on_commit():
        return host_client(host).post("/portal/register/", {
            "email": email, "password1": password, "password2": password,
            "first_name": extra.get("first_name", "May"),
            "last_name": extra.get("last_name", "Chen")})


def verify(host, message, password=NEW_PASSWORD):
    client = host_client(host)
    path = link_in(message)
    assert client.get(path).status_code == 200
    return client, client.post(path, {"password": password})


def test_registration_links_the_latest_unlinked_contact_case_insensitively(in_acme):
    older = Contact.objects.create(first_name="Old", email="may.chen@example.com")
    newer = Contact.objects.create(first_name="New", email="MAY.CHEN@example.com")
    binned = Contact.objects.create(first_name="Binned", email="may.chen@example.com")
    binned.soft_delete()
    Contact.objects.filter(pk=older.pk).update(updated=timezone.now())  # older was touched last

    response = register(in_acme.host, "May.Chen@Example.com")
    assert response.status_code == 200
    user = users().get(email="may.chen@example.com")
    assert not user.is_active
    assert PendingRegistration.objects.filter(user=user).exists()
    # Not usable before the address is confirmed.
    assert sign_in_portal(in_acme.host, "may.chen@example.com", NEW_PASSWORD).status_code == 200

    client, done = verify(in_acme.host, mail.outbox[0])
    assert done.status_code == 302
    assert done["Location"] == "/portal/"
    older.refresh_from_db()
    newer.refresh_from_db()
    assert older.portal_user == user
    assert newer.portal_user is None
    assert Contact.everything.get(pk=binned.pk).portal_user is None
    assert client.get("/portal/").status_code == 200
    assert sign_in_portal(in_acme.host, "may.chen@example.com", NEW_PASSWORD).status_code == 302
    assert not PendingRegistration.objects.exists()


def test_verification_needs_the_registered_password(in_acme):
    register(in_acme.host, "may.chen@example.com")
    _client, wrong = verify(in_acme.host, mail.outbox[0], password="someone-elses-1")
    assert wrong.status_code == 400
    assert not users().get(email="may.chen@example.com").is_active
    assert host_client(in_acme.host).get("/portal/register/verify/nonsense/").status_code == 404


def test_registration_never_links_a_contact_with_someone_elses_login(in_acme):
    other = users().get(email="customer@acme.example")
    taken = Contact.objects.create(first_name="Taken", email="may.chen@example.com",
                                   portal_user=other)
    response = register(in_acme.host, "may.chen@example.com")
    assert response.status_code == 200
    assert b"Check your e-mail" in response.content
    # The address owner is told to sign in or reset; nothing is created.
    assert not users().filter(email="may.chen@example.com").exists()
    assert "already have" in mail.outbox[0].body
    assert "/portal/password-reset/" in mail.outbox[0].body
    taken.refresh_from_db()
    assert taken.portal_user == other


def test_registration_with_a_linked_other_address_creates_a_new_contact(in_acme):
    other = users().get(email="customer@acme.example")
    register(in_acme.host, "may.chen@example.com")
    # Meanwhile staff link the only contact with this address to another login.
    taken = Contact.objects.create(first_name="Taken", email="may.chen@example.com",
                                   portal_user=other)
    _client, done = verify(in_acme.host, mail.outbox[0])
    assert done.status_code == 302
    user = users().get(email="may.chen@example.com")
    created = Contact.objects.get(portal_user=user)
    assert created != taken
    assert created.account is None
    assert (created.first_name, created.last_name) == ("May", "Chen")
    taken.refresh_from_db()
    assert taken.portal_user == other


def test_registration_reveals_nothing_about_known_addresses(in_acme):
    known = register(in_acme.host, "customer@acme.example")
    unknown = register(in_acme.host, "nobody@example.com")

    def strip(response):
        """The page without the address typed in and the per-response CSRF token."""
        page = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", response.content)
        return page.replace(b"customer@acme.example", b"X").replace(b"nobody@example.com", b"X")

    assert known.status_code == unknown.status_code == 200
    assert strip(known) == strip(unknown)
    assert users().get(email="customer@acme.example").is_active  # untouched


def test_registration_rejects_bad_input_and_is_rate_limited(in_acme):
    assert register(in_acme.host, "not-an-email").status_code == 400
    assert register(in_acme.host, "a@example.com", password="123").status_code == 400
    statuses = [register(in_acme.host, "flood@example.com").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert len(mail.outbox) == 3


def test_globex_registration_never_links_an_acme_contact(in_acme, globex):
    acme_contact = Contact.objects.create(first_name="Acme", email="shared@example.com")
    with tenant_context(globex.tenant):
        register(globex.host, "shared@example.com")
        _client, done = verify(globex.host, mail.outbox[0])
        assert done.status_code == 302
        globex_user = users().get(email="shared@example.com")
        globex_contact = Contact.objects.get(portal_user=globex_user)
        assert globex_contact.first_name == "May"
    acme_contact.refresh_from_db()
    assert acme_contact.portal_user is None
    assert not users().filter(email="shared@example.com").exists()
    # A globex verification link is worthless on acme.
    assert host_client(in_acme.host).get(link_in(mail.outbox[0])).status_code == 404


# --- Password reset -----------------------------------------------------------------------

def test_password_reset_for_a_portal_login(in_acme):
    client = host_client(in_acme.host)
    assert client.get("/portal/password-reset/").status_code == 200
    response = client.post("/portal/password-reset/", {"email": "Customer@acme.example"})
    assert response.status_code == 302
    assert response["Location"] == "/portal/password-reset/sent/"
    assert [message.to for message in mail.outbox] == [["customer@acme.example"]]
    assert f"//{in_acme.host}/portal/password-reset/" in mail.outbox[0].body
    path = link_in(mail.outbox[0])
    form = client.get(path, follow=True)
    assert form.status_code == 200
    assert b"new_password1" in form.content
    done = client.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD,
                                                    "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == "/portal/password-reset/done/"
    assert sign_in_portal(in_acme.host, "customer@acme.example", NEW_PASSWORD).status_code == 302
    assert sign_in_portal(in_acme.host, "customer@acme.example", PASSWORD).status_code == 200


def test_password_reset_ignores_staff_and_unknown_addresses(in_acme):
    client = host_client(in_acme.host)
    for email in ("rep@acme.example", "nobody@example.com", "customer@globex.example"):
        response = client.post("/portal/password-reset/", {"email": email})
        assert response.status_code == 302
    assert mail.outbox == []


# --- Profile and preferences --------------------------------------------------------------

@pytest.fixture
def linked(in_acme):
    user = users().get(email="customer@acme.example")
    contact = Contact.objects.create(first_name="Cu", last_name="Stomer",
                                     email="customer@acme.example", portal_user=user)
    client = host_client(in_acme.host, email="customer@acme.example", login_path="/portal/login/")
    return contact, client


def test_profile_update_and_preferences(in_acme, linked):
    contact, client = linked
    page = client.get("/portal/profile/")
    assert page.status_code == 200
    assert b'name="email_on_reply"' in page.content
    assert wants_email(contact, REPLY)
    assert wants_email(contact, STATUS)
    response = client.post("/portal/profile/", {
        "first_name": "小明", "last_name": "王", "phone": "+86 21 5555 0101",
        "language": "zh-hans", "email_on_reply": "on", "email_on_order": "on"})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.first_name, contact.last_name, contact.phone) == ("小明", "王",
                                                                      "+86 21 5555 0101")
    user = contact.portal_user
    assert (user.first_name, user.preferred_language) == ("小明", "zh-hans")
    assert wants_email(contact, REPLY)
    assert wants_email(contact, ORDER)
    assert not wants_email(contact, STATUS)
    preferences = PortalPreferences.objects.get(contact=contact)
    assert not preferences.email_on_status

    bad = client.post("/portal/profile/", {"language": "klingon", "phone": "x" * 41})
    assert bad.status_code == 400
    contact.refresh_from_db()
    assert contact.phone == "+86 21 5555 0101"


def test_profile_needs_a_linked_customer(in_acme, linked):
    other = host_client(in_acme.host, email="other@acme.example", login_path="/portal/login/")
    assert other.get("/portal/profile/").status_code == 200  # see test_portal_unlinked_login
    assert host_client(in_acme.host).get("/portal/profile/").status_code == 302
    assert signed_in(in_acme.host, "rep@acme.example").get("/portal/profile/").status_code == 403
    with pytest.raises(ValueError, match="Unknown e-mail kind"):
        wants_email(linked[0], "sms")
    assert not wants_email(None, REPLY)


# --- Policy -------------------------------------------------------------------------------

def make_order(number, user=None):
    return get_model("order", "Order").objects.create(
        number=number, currency="CNY", total_incl_tax=Decimal(10), total_excl_tax=Decimal(10),
        user=user, date_placed=timezone.now())


@pytest.fixture
def customers(in_acme):
    """Account Alpha with a company admin and a colleague; account Beta with another customer."""
    alpha, beta = Account.objects.create(name="Alpha"), Account.objects.create(name="Beta")
    me = users().get(email="customer@acme.example")
    colleague = create_user(email="colleague@acme.example", password=PASSWORD,
                            role=PORTAL_CUSTOMER)
    outsider = users().get(email="other@acme.example")
    people = {
        "me": Contact.objects.create(first_name="Me", account=alpha, portal_user=me),
        "colleague": Contact.objects.create(first_name="Col", account=alpha,
                                            portal_user=colleague),
        "outsider": Contact.objects.create(first_name="Out", account=beta, portal_user=outsider),
    }
    tickets = {
        "mine": Ticket.objects.create(subject="Mine", contact=people["me"], account=alpha),
        "colleague": Ticket.objects.create(subject="Colleague's", contact=people["colleague"],
                                           account=alpha),
        "account": Ticket.objects.create(subject="Account, no contact", account=alpha),
        "outsider": Ticket.objects.create(subject="Outsider", contact=people["outsider"],
                                          account=beta),
    }
    binned = Ticket.objects.create(subject="Binned", contact=people["me"], account=alpha)
    binned.soft_delete()
    quoted = make_order("Q-1")
    Quote.objects.create(title="Quoted", account=alpha, status=Quote.Status.ACCEPTED,
                         order=quoted)
    orders = {"mine": make_order("O-ME", me), "colleague": make_order("O-COL", colleague),
              "quote": quoted, "outsider": make_order("O-OUT", outsider),
              "guest": make_order("O-GUEST")}
    return {"alpha": alpha, "people": people, "tickets": tickets, "orders": orders,
            "users": {"me": me, "colleague": colleague, "outsider": outsider}}


def ticket_subjects(user):
    return set(policy.tickets_for(user).values_list("subject", flat=True))


def order_numbers(user):
    return set(policy.orders_for(user).values_list("number", flat=True))


def test_policy_customer_sees_only_their_own(in_acme, customers):
    me = customers["users"]["me"]
    scope = policy.customer_of(me)
    assert scope == policy.CustomerScope(contact=customers["people"]["me"],
                                         account=customers["alpha"], is_company_admin=False)
    assert ticket_subjects(me) == {"Mine"}
    assert order_numbers(me) == {"O-ME"}


def test_policy_company_admin_sees_the_account(in_acme, customers):
    contact = customers["people"]["me"]
    contact.portal_admin = True
    contact.save()
    me = customers["users"]["me"]
    assert policy.customer_of(me).is_company_admin
    assert ticket_subjects(me) == {"Mine", "Colleague's", "Account, no contact"}
    assert order_numbers(me) == {"O-ME", "O-COL", "Q-1"}
    # Admin without an account sees only their own.
    contact.account = None
    contact.save()
    assert not policy.customer_of(me).is_company_admin
    assert ticket_subjects(me) == {"Mine"}
    assert order_numbers(me) == {"O-ME"}


def test_policy_other_customer_of_the_tenant(in_acme, customers):
    outsider = customers["users"]["outsider"]
    assert ticket_subjects(outsider) == {"Outsider"}
    assert order_numbers(outsider) == {"O-OUT"}


def test_policy_staff_unlinked_binned_and_anonymous_get_nothing(in_acme, customers):
    from django.contrib.auth.models import AnonymousUser

    rep = users().get(email="rep@acme.example")
    Contact.objects.create(first_name="Rep as contact", portal_user=rep,
                           account=customers["alpha"])
    unlinked = create_user(email="loose@acme.example", password=PASSWORD, role=PORTAL_CUSTOMER)
    for nobody in (rep, unlinked, AnonymousUser(), None):
        assert policy.customer_of(nobody) is None
        assert not policy.tickets_for(nobody).exists()
        assert not policy.orders_for(nobody).exists()
    customers["people"]["me"].soft_delete()
    me = customers["users"]["me"]
    assert policy.customer_of(me) is None
    assert not policy.tickets_for(me).exists()
    assert not policy.orders_for(me).exists()
    me.is_active = False
    assert policy.customer_of(me) is None


def test_policy_globex_user_sees_none_of_acme(in_acme, customers, globex):
    acme_ticket_ids = {ticket.pk for ticket in customers["tickets"].values()}
    with tenant_context(globex.tenant):
        user = users().get(email="customer@globex.example")
        contact = Contact.objects.create(first_name="G", portal_user=user, portal_admin=True,
                                         account=Account.objects.create(name="Globex buyer"))
        own = Ticket.objects.create(subject="Globex own", contact=contact)
        assert ticket_subjects(user) == {"Globex own"}
        assert set(policy.tickets_for(user).values_list("pk", flat=True)) == {own.pk}
        assert order_numbers(user) == set()
    # Back in acme, the globex login (same id space, other schema) is nobody here.
    assert policy.customer_of(user) is None or policy.customer_of(user).contact.first_name != "G"
    assert acme_ticket_ids


def test_messages_visible_is_public_only(in_acme, customers):
    ticket = customers["tickets"]["mine"]
    TicketMessage.objects.create(ticket=ticket, body="Hello", visibility="public")
    TicketMessage.objects.create(ticket=ticket, body="Secret note", visibility="internal")
    assert list(policy.messages_visible(ticket).values_list("body", flat=True)) == ["Hello"]
    assert not policy.messages_visible(None).exists()


def test_portal_user_for_prefers_the_link_and_skips_inactive(in_acme, customers):
    contact = customers["people"]["me"]
    me = customers["users"]["me"]
    assert portal_user_for(contact) == me
    me.is_active = False
    me.save()
    contact.refresh_from_db()
    assert portal_user_for(contact) is None
    # The e-mail fallback never returns a login already linked to another contact.
    stray = Contact.objects.create(first_name="Stray", email="colleague@acme.example")
    assert portal_user_for(stray) is None
    free = create_user(email="free@acme.example", password=PASSWORD, role=PORTAL_CUSTOMER)
    assert portal_user_for(Contact.objects.create(email="FREE@acme.example")) == free
