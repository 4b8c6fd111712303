"""E-mail to ticket with real MIME samples (tests/fixtures/mail): new tickets, threading by
header and by subject, Chinese encodings, attachments, duplicates, the inbound endpoint and its
secret, the mailbox command, and agents' replies going out threaded."""

import base64
import mailbox
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import tenant_context

from crm_apps.customers.models import Account, Contact
from crm_apps.service import services
from crm_apps.service.inbound import ingest_message
from crm_apps.service.inbound_models import InboundMailbox
from crm_apps.service.mail_out import reply_language
from crm_apps.service.models import Ticket, TicketAttachment, TicketMessage
from tests.fixtures.world import host_client, signed_in

MAIL = Path(__file__).resolve().parents[1] / "fixtures" / "mail"
ENDPOINT = "/inbound/email/"
SETTINGS_PAGE = "/app/settings/service/email/"


def sample(name: str) -> bytes:
    return (MAIL / f"{name}.eml").read_bytes()


@pytest.fixture
def alice(in_acme):
    """Two contacts share alice@example.com; the one updated last is the one to match."""
    account = Account.objects.create(name="Alice's employer")
    older = Contact.objects.create(first_name="Old", last_name="Alice", account=account,
                                   other_emails=["ALICE@Example.com"])
    Contact.objects.create(first_name="Alice", last_name="Smith", account=account,
                                   email="alice@example.com")
    older.title = "Office manager"
    older.save()  # now the most recently updated of the two
    return older


def post_raw(client, raw: bytes, secret: str | None, **extra):
    headers = {"HTTP_X_INBOUND_SECRET": secret} if secret else {}
    return client.post(ENDPOINT, raw, content_type="message/rfc822", **headers, **extra)


# Parsing and ticket creation


def test_a_plain_message_opens_an_email_ticket_for_the_latest_updated_contact(alice):
    result = ingest_message(sample("plain_english"))

    ticket = result.ticket
    assert result.created
    assert not result.duplicate
    assert ticket.channel == Ticket.Channel.EMAIL
    assert ticket.subject == "Printer on the 3rd floor is broken"
    assert "jams on every page since Friday" in ticket.description
    assert ticket.contact == alice
    assert ticket.account == alice.account
    assert ticket.requester_email == "alice@example.com"
    first = ticket.messages.get()
    assert first.message_id == "<plain-1@mail.example.com>"
    assert first.author_contact == alice
    assert first.channel == Ticket.Channel.EMAIL


def test_an_unknown_sender_is_kept_as_requester_and_no_contact_is_made(in_acme):
    contacts = Contact.objects.count()

    ticket = ingest_message(sample("html_only")).ticket

    assert ticket.contact is None
    assert ticket.requester_email == "bob@example.org"
    assert Contact.objects.count() == contacts
    text = ticket.description
    assert text.startswith("Dear support,")
    assert "Our order #4711 arrived damaged & incomplete:" in text
    assert "- two chairs\n- one table" in text
    assert "Please advise.\nBob" in text
    for hidden in ("alert", "document.cookie", "ignored title", "color: red", "<p>"):
        assert hidden not in text


def test_attachments_are_stored_with_their_decoded_safe_names(in_acme):
    ticket = ingest_message(sample("alternative_attachments")).ticket

    assert ticket.description == "Please see the attached invoice and screenshot."
    files = {item.name: item for item in TicketAttachment.objects.filter(message__ticket=ticket)}
    assert set(files) == {"invoice 2026-11.pdf", "屏幕截图 发票.png"}
    assert files["invoice 2026-11.pdf"].content_type == "application/pdf"
    assert files["屏幕截图 发票.png"].content_type == "image/png"
    with files["屏幕截图 发票.png"].file.open("rb") as handle:
        assert handle.read().startswith(b"\x89PNG\r\n\x1a\n")
    assert files["invoice 2026-11.pdf"].file.name.startswith(f"tickets/{connection.schema_name}/")


def test_a_gb2312_message_is_decoded_exactly_and_matched_by_another_address(in_acme):
    zhang = Contact.objects.create(first_name="伟", last_name="张", email="zw@work.example",
                                   other_emails=["zhang.wei@example.cn"])

    ticket = ingest_message(sample("gb2312_chinese")).ticket

    # 镕 exists in GBK, not in GB2312: the label is treated as the GB18030 superset.
    assert ticket.subject == "打印机坏了，请朱镕基先生帮忙"
    assert ticket.description == ("您好：\n\n三楼的打印机从星期五开始每一页都卡纸。\n"
                                  "请尽快派人来看看。\n\n张伟")
    assert ticket.contact == zhang
    assert reply_language(ticket, ticket.description) == "zh-hans"


def test_a_chinese_reply_threads_by_in_reply_to_trims_history_and_reopens(alice):
    ticket = ingest_message(sample("plain_english")).ticket
    services.change_status(ticket, Ticket.Status.RESOLVED)

    result = ingest_message(sample("utf8_qp_reply"))

    assert not result.created
    assert result.ticket.pk == ticket.pk
    assert Ticket.objects.count() == 1
    assert result.message.body == "谢谢！打印机现在可以用了，但是纸盒还是有点问题。"
    assert result.message.in_reply_to == "<plain-1@mail.example.com>"
    assert result.message.author_contact == alice
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.resolved_at is None


def test_a_ticket_number_in_the_subject_threads_only_for_its_own_customer(alice):
    ticket = ingest_message(sample("plain_english")).ticket
    Ticket.objects.filter(pk=ticket.pk).update(number="T-424242")
    raw = sample("subject_reference_reply")

    reply = ingest_message(raw)
    stranger = ingest_message(raw.replace(b"alice@example.com", b"mallory@evil.example")
                              .replace(b"<subject-ref-3@", b"<stranger-3@"))

    assert reply.ticket.pk == ticket.pk
    assert not reply.created
    assert reply.message.body == "It jammed again this morning."
    assert stranger.created
    assert stranger.ticket.pk != ticket.pk
    assert stranger.ticket.contact is None


def test_a_duplicate_delivery_is_ignored(in_acme):
    first = ingest_message(sample("plain_english"))
    again = ingest_message(sample("plain_english"))

    assert again.duplicate
    assert not again.created
    assert again.ticket.pk == first.ticket.pk
    assert Ticket.objects.count() == 1
    assert TicketMessage.objects.count() == 1


def test_an_executable_attachment_is_skipped_with_a_note(in_acme):
    result = ingest_message(sample("executable_attachment"))

    ticket = result.ticket
    assert result.created
    names = list(TicketAttachment.objects.filter(message__ticket=ticket)
                 .values_list("name", flat=True))
    assert names == ["crash.log"]
    note = ticket.messages.get(visibility=TicketMessage.Visibility.INTERNAL)
    assert "setup.exe" in note.body
    assert result.skipped
    assert "setup.exe" in result.skipped[0]


# The endpoint


@pytest.fixture
def acme_secret(in_acme):
    return InboundMailbox.current().rotate_secret()


def test_the_endpoint_refuses_a_missing_or_wrong_secret(in_acme, acme_secret):
    client = host_client(in_acme.host)

    missing = post_raw(client, sample("plain_english"), None)
    wrong = post_raw(client, sample("plain_english"), "not-the-secret")

    assert missing.status_code == 401
    assert missing["WWW-Authenticate"].startswith("Basic")
    assert wrong.status_code == 403
    assert not Ticket.objects.exists()


def test_the_endpoint_takes_raw_mime_basic_auth_and_a_form_field(in_acme, acme_secret):
    client = host_client(in_acme.host)
    basic = "Basic " + base64.b64encode(f"relay:{acme_secret}".encode()).decode()

    raw = post_raw(client, sample("plain_english"), acme_secret)
    again = post_raw(client, sample("plain_english"), acme_secret)
    form = client.post(ENDPOINT, {"message": SimpleUploadedFile(
        "m.eml", sample("gb2312_chinese"), "message/rfc822")}, HTTP_AUTHORIZATION=basic)

    assert raw.status_code == 201, raw.content
    assert raw.json()["created"] is True
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert form.status_code == 201, form.content
    subjects = set(Ticket.objects.values_list("subject", flat=True))
    assert subjects == {"Printer on the 3rd floor is broken", "打印机坏了，请朱镕基先生帮忙"}


def test_the_endpoint_answers_400_for_a_malformed_body(in_acme, acme_secret):
    client = host_client(in_acme.host)

    empty = post_raw(client, b"", acme_secret)
    garbage = post_raw(client, b"\x00\x01 this is not an e-mail", acme_secret)
    no_sender = post_raw(client, b"Subject: hello\r\n\r\nbody\r\n", acme_secret)
    json_body = client.post(ENDPOINT, b"{}", content_type="application/json",
                            HTTP_X_INBOUND_SECRET=acme_secret)

    assert [empty.status_code, garbage.status_code, no_sender.status_code,
            json_body.status_code] == [400, 400, 400, 400]
    assert not Ticket.objects.exists()


def test_the_endpoint_answers_413_for_an_oversize_message(in_acme, acme_secret, settings):
    settings.INBOUND_MAIL_MAX_BYTES = 1000
    client = host_client(in_acme.host)

    response = post_raw(client, sample("plain_english") + b"x" * 2000, acme_secret)

    assert response.status_code == 413
    assert not Ticket.objects.exists()


def test_a_globex_secret_is_refused_on_acme_and_mail_never_crosses_tenants(acme, globex):
    with tenant_context(globex.tenant):
        globex_secret = InboundMailbox.current().rotate_secret()
    with tenant_context(acme.tenant):
        acme_secret = InboundMailbox.current().rotate_secret()
    client = host_client(acme.host)

    refused = post_raw(client, sample("plain_english"), globex_secret)
    accepted = post_raw(client, sample("html_only"), acme_secret)

    assert refused.status_code == 403
    assert accepted.status_code == 201
    with tenant_context(acme.tenant):
        assert list(Ticket.objects.values_list("subject", flat=True)) == ["Damaged delivery"]
    with tenant_context(globex.tenant):
        assert not Ticket.objects.exists()


# The settings page


def test_an_admin_sees_the_address_and_rotates_the_secret_once(in_acme):
    admin = signed_in(in_acme.host, in_acme.admin_email)

    page = admin.get(SETTINGS_PAGE)
    rotated = admin.post(SETTINGS_PAGE, {"action": "rotate"})
    shown_again = admin.get(SETTINGS_PAGE)

    assert page.status_code == 200
    assert f"support@{in_acme.host}" in page.content.decode()
    secret = rotated.context["new_secret"]
    assert secret in rotated.content.decode()
    assert InboundMailbox.current().accepts(secret)
    assert secret not in shown_again.content.decode()
    saved = admin.post(SETTINGS_PAGE, {"address": "help@acme.example"})
    assert saved.status_code == 302
    assert InboundMailbox.current().inbound_address == "help@acme.example"
    assert admin.post(SETTINGS_PAGE, {"address": "not an address"}).status_code == 400


def test_other_staff_may_not_see_or_rotate_the_secret(in_acme):
    rep = signed_in(in_acme.host, in_acme.rep_email)

    assert rep.get(SETTINGS_PAGE).status_code == 403
    assert rep.post(SETTINGS_PAGE, {"action": "rotate"}).status_code == 403
    assert not InboundMailbox.current().secret_hash


# The mailbox command


def test_the_command_feeds_an_mbox_file_and_prints_counts(acme, tmp_path):
    path = tmp_path / "support.mbox"
    box = mailbox.mbox(path)
    for name in ("plain_english", "gb2312_chinese", "utf8_qp_reply", "plain_english"):
        box.add(sample(name))
    box.flush()
    box.close()
    out = StringIO()

    call_command("ingest_mailbox", "--tenant", "acme", str(path), stdout=out)

    assert out.getvalue().strip() == "created 2, threaded 1, duplicate 1, ignored 0, failed 0"
    with tenant_context(acme.tenant):
        assert Ticket.objects.count() == 2
        replied = Ticket.objects.get(subject="Printer on the 3rd floor is broken")
        assert replied.messages.count() == 2
    with tenant_context(acme.tenant.__class__.objects.get(slug="globex")):
        assert not Ticket.objects.exists()


# Agents' replies by e-mail


def test_an_agent_reply_goes_out_threaded_and_the_answer_comes_back(
        alice, mailoutbox, django_capture_on_commit_callbacks):
    ticket = ingest_message(sample("plain_english")).ticket
    agent = get_user_model().objects.get(email="admin@acme.example")

    with django_capture_on_commit_callbacks(execute=True):
        reply = services.add_message(
            ticket, body="We replaced the roller.\nPlease try again.", author=agent,
            attachments=[SimpleUploadedFile("steps.txt", b"1. open tray\n", "text/plain")])

    assert len(mailoutbox) == 1
    sent = mailoutbox[0]
    assert sent.subject == f"Re: Printer on the 3rd floor is broken [{ticket.number}]"
    assert sent.to == ["alice@example.com"]
    assert sent.reply_to == [f"support@{connection.tenant.hostname}"]
    assert sent.extra_headers["In-Reply-To"] == "<plain-1@mail.example.com>"
    assert "<plain-1@mail.example.com>" in sent.extra_headers["References"]
    assert "We replaced the roller." in sent.body
    html, mimetype = sent.alternatives[0]
    assert mimetype == "text/html"
    assert "We replaced the roller.<br>Please try again." in html
    assert [name for name, _content, _type in sent.attachments] == ["steps.txt"]
    reply.refresh_from_db()
    assert reply.message_id == sent.extra_headers["Message-ID"]
    assert reply.message_id.endswith(f"@{connection.tenant.hostname}>")

    answer = (b"From: alice@example.com\r\nSubject: Re: thanks\r\n"
              b"Message-ID: <answer-9@mail.example.com>\r\nIn-Reply-To: "
              + reply.message_id.encode() + b"\r\n\r\nWorks now.\r\n")
    threaded = ingest_message(answer)
    assert threaded.ticket.pk == ticket.pk
    assert not threaded.created


# Auto-replies and bounces (RFC 3834): never a ticket, never an answer, never a loop


AUTOMATIC_HEADERS = [
    b"Auto-Submitted: auto-generated", b"Auto-Submitted: auto-replied; owner-email=x@y.z",
    b"X-Autoreply: yes", b"X-Autorespond: Thank you", b"Precedence: bulk",
    b"Precedence: junk", b"Precedence: auto_reply", b"Return-Path: <>",
]


def with_header(raw: bytes, header: bytes) -> bytes:
    return header + b"\r\n" + raw.replace(b"<plain-1@", b"<automatic-1@")


@pytest.mark.parametrize("name", ["out_of_office", "bounce"])
def test_an_out_of_office_or_a_bounce_opens_nothing_and_answers_nothing(
        alice, name, mailoutbox, django_capture_on_commit_callbacks):
    from crm_apps.service.inbound import AutomaticMail

    ticket = ingest_message(sample("plain_english")).ticket
    messages = TicketMessage.objects.count()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(AutomaticMail):
        ingest_message(sample(name))

    assert list(Ticket.objects.all()) == [ticket]
    assert TicketMessage.objects.count() == messages
    assert mailoutbox == []


@pytest.mark.parametrize("header", AUTOMATIC_HEADERS)
def test_each_automatic_mail_signal_is_dropped(in_acme, header):
    from crm_apps.service.inbound import AutomaticMail

    with pytest.raises(AutomaticMail):
        ingest_message(with_header(sample("plain_english"), header))
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("header", [b"Auto-Submitted: no", b"Precedence: list",
                                    b"X-Auto-Response-Suppress: All"])
def test_mail_a_person_wrote_still_opens_a_ticket(in_acme, header):
    assert ingest_message(with_header(sample("plain_english"), header)).created


def test_a_bounce_from_a_bare_mailer_daemon_or_postmaster_is_dropped(in_acme, acme_secret):
    from crm_apps.service.inbound import AutomaticMail

    for sender in (b"MAILER-DAEMON", b"postmaster@mx.example.org"):
        raw = sample("plain_english").replace(b"Alice Smith <alice@example.com>", sender)
        with pytest.raises(AutomaticMail):
            ingest_message(raw)
    assert not Ticket.objects.exists()


def test_the_endpoint_answers_2xx_ignored_so_the_relay_does_not_retry(in_acme, acme_secret):
    client = host_client(in_acme.host)

    out_of_office = post_raw(client, sample("out_of_office"), acme_secret)
    bounce = post_raw(client, sample("bounce"), acme_secret)

    assert out_of_office.status_code == 200, out_of_office.content
    assert out_of_office.json()["ignored"] is True
    assert out_of_office.json()["reason"] == "auto-submitted: auto-replied"
    assert bounce.status_code == 200
    assert bounce.json()["ignored"] is True
    assert not Ticket.objects.exists()


def test_the_command_counts_automatic_mail_as_ignored(acme, tmp_path):
    path = tmp_path / "support.mbox"
    box = mailbox.mbox(path)
    for name in ("plain_english", "out_of_office", "bounce"):
        box.add(sample(name))
    box.flush()
    box.close()
    out = StringIO()

    call_command("ingest_mailbox", "--tenant", "acme", str(path), stdout=out)

    assert out.getvalue().strip() == "created 1, threaded 0, duplicate 0, ignored 2, failed 0"
    with tenant_context(acme.tenant):
        assert Ticket.objects.count() == 1
