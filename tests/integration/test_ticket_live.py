"""Over a real websocket: staff who see a ticket get its changes live; the customer's portal
login gets public replies and status changes, never internal notes."""

import asyncio

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context

from crm_apps.customers.models import Account, Contact, Team
from crm_apps.service import services
from crm_apps.service.models import Ticket
from realtime.models import Notification
from tenants.models import Tenant
from tests.fixtures.sockets import login_cookie, next_message, open_socket
from tests.fixtures.world import admin_token

pytestmark = pytest.mark.usefixtures("committed")
HOST = "acme.localhost"


@pytest.fixture
def case(live_asgi, committed):
    """A ticket of rep's team from the contact whose portal login is customer@acme."""
    tenant = Tenant.objects.get(slug="acme")
    with tenant_context(tenant):
        users = get_user_model().objects
        rep, customer = users.get(email="rep@acme.example"), users.get(
            email="customer@acme.example")
        team = Team.objects.create(name="Live desk")
        team.members.add(rep)
        account = Account.objects.create(name="Live customer")
        contact = Contact.objects.create(first_name="Live", account=account, portal_user=customer,
                                         email="live@customer.example")
        ticket = services.open_ticket(subject="Live ticket", description="Hello", channel="portal",
                                      contact=contact, by_contact=contact, owner=rep, team=team)
    yield {"tenant": tenant, "ticket": ticket, "customer": customer}
    with tenant_context(tenant):
        Ticket.everything.filter(pk=ticket.pk).delete()
        Notification.objects.filter(recipient__in=[rep, customer]).delete()
        contact.delete()
        account.delete()
        team.delete()


def reply(live, tenant, ticket, payload):
    with live.client(HOST) as client:
        return client.post(f"/api/v1/tickets/{ticket.pk}/messages/", json=payload,
                           headers={"Authorization": f"Token {admin_token(tenant)}"})


def change(live, tenant, ticket, payload):
    with live.client(HOST) as client:
        return client.patch(f"/api/v1/tickets/{ticket.pk}/", json=payload,
                            headers={"Authorization": f"Token {admin_token(tenant)}"})


async def ticket_message(socket, timeout=3.0):
    """The next ticket update on the socket, skipping notifications; None if none comes."""
    try:
        while True:
            message = await next_message(socket, timeout=timeout)
            if message["type"] == "ticket":
                return message["ticket"]
    except TimeoutError:
        return None


def watch(live, case, action):
    staff_session = login_cookie(live, HOST, "rep@acme.example")
    customer_session = login_cookie(live, HOST, "customer@acme.example",
                                    login_path="/portal/login/")

    async def scenario():
        async with open_socket(live, HOST, session=staff_session) as staff, \
                open_socket(live, HOST, session=customer_session) as customer:
            assert (await next_message(staff))["type"] == "hello"
            assert (await next_message(customer))["type"] == "hello"
            response = await asyncio.to_thread(action)
            assert response.status_code in (200, 201), response.text[:300]
            return await ticket_message(staff), await ticket_message(customer, timeout=1.5)

    return asyncio.run(scenario())


def test_a_public_reply_reaches_the_agent_and_the_customer(live_asgi, case):
    staff_got, customer_got = watch(live_asgi, case, lambda: reply(
        live_asgi, case["tenant"], case["ticket"], {"body": "We are looking into it"}))
    assert staff_got["id"] == case["ticket"].pk
    assert staff_got["event"] == "message"
    assert staff_got["message"]["body"] == "We are looking into it"
    assert staff_got["status"] == "open"  # the first reply opened it
    assert customer_got["message"]["body"] == "We are looking into it"
    assert customer_got["number"] == case["ticket"].number
    assert "owner" not in customer_got  # staff-only fields stay with staff


def test_an_internal_note_reaches_staff_only(live_asgi, case):
    staff_got, customer_got = watch(live_asgi, case, lambda: reply(
        live_asgi, case["tenant"], case["ticket"],
        {"body": "Customer is difficult", "visibility": "internal"}))
    assert staff_got["message"]["body"] == "Customer is difficult"
    assert staff_got["message"]["visibility"] == "internal"
    assert customer_got is None
    with tenant_context(case["tenant"]):
        assert not Notification.objects.filter(recipient=case["customer"]).exists()


def test_a_status_change_reaches_the_customer(live_asgi, case):
    staff_got, customer_got = watch(live_asgi, case, lambda: change(
        live_asgi, case["tenant"], case["ticket"], {"status": "pending"}))
    assert staff_got["status"] == "pending"
    assert customer_got["status"] == "pending"
    assert customer_got["event"] == "status"
