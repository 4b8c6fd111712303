"""The notifications websocket against a real uvicorn: tenancy, Origin, session, delivery."""

import asyncio
import contextlib
import time

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context

from realtime.models import Notification
from realtime.services import notify
from tests.fixtures.sockets import login_cookie, next_message, open_socket, refused_status

pytestmark = pytest.mark.usefixtures("committed")


@pytest.fixture(scope="module")
def sessions(live_asgi, django_db_blocker):
    """Session keys of world users, signed in over HTTP once for the module."""
    with django_db_blocker.unblock():
        return {
            "acme-admin": login_cookie(live_asgi, "acme.localhost", "admin@acme.example"),
            "globex-admin": login_cookie(live_asgi, "globex.localhost", "admin@globex.example"),
            "acme-customer": login_cookie(live_asgi, "acme.localhost", "customer@acme.example",
                                          "/portal/login/"),
            "acme-other": login_cookie(live_asgi, "acme.localhost", "other@acme.example",
                                       "/portal/login/"),
        }


@pytest.fixture
def tenants(committed):
    from tenants.models import Tenant

    return {t.slug: t for t in Tenant.objects.filter(slug__in=["acme", "globex"])}


@pytest.fixture
def clean_notifications(tenants):
    """Empty inboxes before and after (the world's own events leave some behind)."""

    def clean():
        for tenant in tenants.values():
            with tenant_context(tenant):
                Notification.objects.all().delete()

    clean()
    yield
    clean()


def user(tenant, email):
    with tenant_context(tenant):
        return get_user_model().objects.get(email=email)


def send(tenant, email, title, **kwargs):
    with tenant_context(tenant):
        recipient = get_user_model().objects.get(email=email)
        return notify([recipient], kind=kwargs.pop("kind", "announcement.staff"), title=title,
                      **kwargs)


@pytest.mark.usefixtures("clean_notifications")
def test_a_notification_stored_in_another_process_arrives_over_the_socket(
        live_asgi, sessions, tenants):
    async def scenario():
        async with open_socket(live_asgi, "acme.localhost", session=sessions["acme-admin"]) \
                as socket:
            hello = await next_message(socket)
            assert hello["type"] == "hello"
            assert hello["unread"] == 0
            send(tenants["acme"], "admin@acme.example", "Quarter closed", body="Well done",
                 link="/app/")
            pushed = await next_message(socket)
            await socket.send('{"type": "ping"}')
            pong = await next_message(socket)
            return pushed, pong

    pushed, pong = asyncio.run(scenario())
    assert pushed["type"] == "notification"
    assert pushed["notification"]["title"] == "Quarter closed"
    assert pushed["notification"]["body"] == "Well done"
    assert pushed["unread"] == 1
    assert pong == {"type": "pong"}
    with tenant_context(tenants["acme"]):
        stored = Notification.objects.get()
    assert stored.pk == pushed["notification"]["id"]


@pytest.mark.usefixtures("clean_notifications")
def test_interleaved_sockets_of_two_tenants_each_read_their_own_schema(
        live_asgi, sessions, tenants):
    # The two admins have the same user id in their own schemas: a consumer reading the
    # wrong schema would report the other tenant's count for "user 1".
    acme_admin = user(tenants["acme"], "admin@acme.example")
    globex_admin = user(tenants["globex"], "admin@globex.example")
    assert acme_admin.pk == globex_admin.pk
    for _ in range(3):
        send(tenants["acme"], "admin@acme.example", "acme news")
    for _ in range(7):
        send(tenants["globex"], "admin@globex.example", "globex news")

    async def hello(slug):
        async with open_socket(live_asgi, f"{slug}.localhost",
                               session=sessions[f"{slug}-admin"]) as socket:
            return slug, (await next_message(socket))["unread"]

    async def scenario():
        return await asyncio.gather(*(hello(slug) for slug in ["acme", "globex"] * 15))

    counts = asyncio.run(scenario())
    assert sorted(set(counts)) == [("acme", 3), ("globex", 7)]


@pytest.mark.usefixtures("clean_notifications")
def test_users_receive_only_their_own_messages_across_customers_and_tenants(
        live_asgi, sessions, tenants):
    async def scenario():
        async with open_socket(live_asgi, "acme.localhost", session=sessions["acme-customer"]) \
                as customer, \
                open_socket(live_asgi, "acme.localhost", session=sessions["acme-other"]) \
                as other, \
                open_socket(live_asgi, "globex.localhost", session=sessions["globex-admin"]) \
                as globex_admin, \
                open_socket(live_asgi, "acme.localhost", session=sessions["acme-admin"]) \
                as acme_admin:
            for socket in (customer, other, globex_admin, acme_admin):
                assert (await next_message(socket))["type"] == "hello"
            send(tenants["acme"], "customer@acme.example", "Your order shipped",
                 kind="announcement.customers")
            send(tenants["acme"], "admin@acme.example", "For acme's admin")
            got_customer = await next_message(customer)
            got_admin = await next_message(acme_admin)
            leaks = []
            for socket in (other, globex_admin):
                with contextlib.suppress(TimeoutError):
                    leaks.append(await next_message(socket, timeout=1.0))
            return got_customer, got_admin, leaks

    got_customer, got_admin, leaks = asyncio.run(scenario())
    assert got_customer["notification"]["title"] == "Your order shipped"
    assert got_admin["notification"]["title"] == "For acme's admin"
    assert leaks == []


@pytest.mark.parametrize(("host", "session_of", "origin", "why"), [
    ("ghost.localhost", "acme-admin", "same", "unknown host"),
    ("localhost", "acme-admin", "same", "the public host"),
    ("acme.localhost", "acme-admin", "http://evil.example", "foreign origin"),
    ("acme.localhost", "acme-admin", "http://globex.localhost:{port}", "another tenant's origin"),
    ("acme.localhost", "acme-admin", None, "no origin"),
    ("acme.localhost", None, "same", "no session"),
    ("acme.localhost", "bogus", "same", "a made-up session"),
    ("globex.localhost", "acme-admin", "same", "a session of another tenant"),
])
def test_the_handshake_is_refused(live_asgi, sessions, host, session_of, origin, why):
    session = {"bogus": "x" * 32, None: None}.get(session_of, sessions.get(session_of))
    if origin:
        origin = origin.format(port=live_asgi.port)
    status = asyncio.run(refused_status(live_asgi, host, session=session, origin=origin))
    assert status == 403, why


def test_an_unknown_socket_path_is_refused_not_an_error(live_asgi, sessions):
    status = asyncio.run(refused_status(live_asgi, "acme.localhost", path="/ws/nothing/",
                                        session=sessions["acme-admin"]))
    assert status == 403


def test_a_suspended_tenant_refuses_sockets(live_asgi, sessions, tenants):
    from core.tenancy import forget_hosts
    from tenants.lifecycle import resume_tenant, suspend_tenant

    def settles_on(expected):
        # The server keeps a per-process memo of each host for up to 5 s.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if asyncio.run(refused_status(live_asgi, "acme.localhost",
                                          session=sessions["acme-admin"])) == expected:
                return True
            time.sleep(0.3)
        return False

    acme = tenants["acme"]
    suspend_tenant(acme)
    try:
        forget_hosts("acme.localhost")
        assert settles_on(403)
    finally:
        resume_tenant(acme)
        forget_hosts("acme.localhost")
    assert settles_on(None)


def test_signing_out_closes_that_sessions_sockets(live_asgi, tenants):
    from websockets.exceptions import ConnectionClosed

    from tests.fixtures.world import PASSWORD

    with live_asgi.client("acme.localhost") as client:
        client.get("/app/login/")
        client.post("/app/login/", data={
            "username": "rep@acme.example", "password": PASSWORD,
            "csrfmiddlewaretoken": client.cookies["csrftoken"]})
        session = client.cookies["sessionid"]
        other_session = login_cookie(live_asgi, "acme.localhost", "rep@acme.example")

        async def scenario():
            async with open_socket(live_asgi, "acme.localhost", session=session) as socket, \
                    open_socket(live_asgi, "acme.localhost", session=other_session) as other:
                await next_message(socket)
                await next_message(other)
                response = await asyncio.to_thread(
                    client.post, "/app/logout/",
                    data={"csrfmiddlewaretoken": client.cookies["csrftoken"]})
                assert response.status_code == 302
                try:
                    await next_message(socket, timeout=5)
                except ConnectionClosed as closed:
                    code = closed.rcvd.code
                else:
                    code = None
                await other.send('{"type": "ping"}')  # the other device stays signed in
                return code, await next_message(other)

        code, pong = asyncio.run(scenario())
    assert code == 4401
    assert pong == {"type": "pong"}
