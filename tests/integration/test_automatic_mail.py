"""Mail no person wrote: the portal's invitation and verification go only once their rows are
committed (never from a rolled-back request), in the reader's language, and every automatic
mail carries RFC 3834 ``Auto-Submitted: auto-generated`` (agents' own replies do not)."""

import pytest
from django.contrib.auth import get_user_model

from crm_apps.customers.models import Contact
from crm_apps.service import satisfaction, services
from crm_apps.service.mail_out import build_reply
from crm_apps.service.models import Ticket
from portal.models import PendingRegistration
from realtime.services import email_notification
from tests.fixtures.world import host_client, signed_in

PASSWORD = "Blue-harbour-42"  # noqa: S105


@pytest.fixture
def invitee(in_acme):
    rep = get_user_model().objects.get(email="rep@acme.example")
    return Contact.objects.create(first_name="Lin", email="lin.wei@example.com", owner=rep)


def test_the_invitation_is_sent_only_when_the_request_commits(
        in_acme, invitee, mailoutbox, django_capture_on_commit_callbacks):
    staff = signed_in(in_acme.host, "rep@acme.example")

    with django_capture_on_commit_callbacks() as callbacks:
        response = staff.post(f"/portal/contacts/{invitee.pk}/invite/")
        assert response.status_code == 302
    assert mailoutbox == []  # not committed yet: nothing went out
    assert len(callbacks) == 1
    callbacks[0]()

    assert [message.to for message in mailoutbox] == [["lin.wei@example.com"]]
    assert mailoutbox[0].extra_headers["Auto-Submitted"] == "auto-generated"
    assert "/portal/invite/" in mailoutbox[0].body


def test_the_invitation_is_written_in_the_language_of_the_sending_page(
        in_acme, invitee, mailoutbox, django_capture_on_commit_callbacks):
    staff = signed_in(in_acme.host, "rep@acme.example")
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(f"/portal/contacts/{invitee.pk}/invite/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert mailoutbox[0].subject == "您的客户门户邀请"
    assert "Lin，您好：" in mailoutbox[0].body


def register(client, email="may.chen@example.com"):
    return client.post("/portal/register/", {"email": email, "password1": PASSWORD,
                                             "password2": PASSWORD, "first_name": "May"})


def test_the_verification_mail_waits_for_the_pending_login_to_commit(
        in_acme, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = register(host_client(in_acme.host))
        assert response.status_code == 200
    assert mailoutbox == []
    assert PendingRegistration.objects.filter(user__email="may.chen@example.com").exists()
    for callback in callbacks:
        callback()
    assert [message.to for message in mailoutbox] == [["may.chen@example.com"]]
    assert mailoutbox[0].extra_headers["Auto-Submitted"] == "auto-generated"
    assert "/portal/register/verify/" in mailoutbox[0].body


def test_a_rolled_back_registration_sends_nothing(
        in_acme, mailoutbox, django_capture_on_commit_callbacks, monkeypatch):
    def broken(user):
        raise RuntimeError("signing is down")

    monkeypatch.setattr("portal.register_views.make_verify_token", broken)
    with django_capture_on_commit_callbacks(execute=True) as callbacks, \
            pytest.raises(RuntimeError):
        register(host_client(in_acme.host))
    assert callbacks == []
    assert mailoutbox == []
    assert not get_user_model().objects.filter(email="may.chen@example.com").exists()


def test_surveys_and_notifications_are_marked_auto_generated_agent_replies_are_not(
        in_acme, mailoutbox, django_capture_on_commit_callbacks):
    contact = Contact.objects.create(first_name="Jane", email="jane@example.com")
    ticket = Ticket.objects.create(subject="Broken", contact=contact)
    with django_capture_on_commit_callbacks(execute=True):
        satisfaction.send_survey(ticket)
    admin = get_user_model().objects.get(email="admin@acme.example")
    email_notification(admin, "SLA breached", "T-1 is late", "/app/")
    assert [message.extra_headers.get("Auto-Submitted") for message in mailoutbox] == [
        "auto-generated", "auto-generated"]

    with django_capture_on_commit_callbacks():
        reply = services.add_message(ticket, body="I fixed it myself.", author=admin)
    assert "Auto-Submitted" not in build_reply(reply).extra_headers
