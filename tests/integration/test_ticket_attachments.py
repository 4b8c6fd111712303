"""Ticket attachments: downloads only for those who see the ticket (API and page), always as
a download with nosniff, names cleaned of paths and control characters, content sniffed."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from core.accounts import create_user
from core.roles import SALES_REP
from crm_apps.customers.models import Team
from crm_apps.service import services
from crm_apps.service.attachments import AttachmentError, clean_name, validate
from tests.fixtures.world import PASSWORD, admin_token, host_client, signed_in

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def files(in_acme):
    """A ticket of rep's team North with a PDF; a rep of team South who does not see it."""
    from django.contrib.auth import get_user_model

    from tenants.models import Plan

    in_acme.tenant.plan = Plan.objects.create(code="unlimited-files", name="Unlimited")
    in_acme.tenant.save()
    rep = get_user_model().objects.get(email="rep@acme.example")
    outsider = create_user(email="south@acme.example", password=PASSWORD, role=SALES_REP)
    north = Team.objects.create(name="North")
    north.members.add(rep)
    Team.objects.create(name="South").members.add(outsider)
    ticket = services.open_ticket(
        subject="Contract scan", description="Attached", channel="staff", owner=rep, team=north,
        attachments=[SimpleUploadedFile("..\\..\\合同 scan\u202e.pdf", PDF, "text/html")])
    other = services.open_ticket(subject="Other", description="x", channel="staff",
                                 attachments=[SimpleUploadedFile("o.txt", b"other")])
    attachment = ticket.messages.get().attachments.get()
    return {"ticket": ticket, "attachment": attachment,
            "other": other.messages.get().attachments.get()}


def api_url(files, attachment=None):
    attachment = attachment or files["attachment"]
    return f"/api/v1/tickets/{files['ticket'].pk}/attachments/{attachment.pk}/"


def test_those_who_see_the_ticket_download_it_as_a_typed_attachment(in_acme, files):
    attachment = files["attachment"]
    assert attachment.name == "合同 scan.pdf"
    # Stored as the type its extension and content say, not what the browser claimed.
    assert attachment.content_type == "application/pdf"
    rep = signed_in(in_acme.host, "rep@acme.example")
    for url in (api_url(files), f"/app/service/attachments/{attachment.pk}/"):
        response = rep.get(url)
        assert response.status_code == 200, url
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        assert "filename*=utf-8''%E5%90%88%E5%90%8C%20scan.pdf" in response[
            "Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
    # Listed with the link in the conversation.
    listed = rep.get(f"/api/v1/tickets/{files['ticket'].pk}/messages/").json()
    assert listed[0]["attachments"][0]["url"] == api_url(files)


def test_nobody_else_gets_the_file(in_acme, files, globex):
    outsider = signed_in(in_acme.host, "south@acme.example")
    assert outsider.get(api_url(files)).status_code == 404
    assert outsider.get(f"/app/service/attachments/{files['attachment'].pk}/").status_code == 404
    # Another ticket's file through this ticket's URL is not there either.
    admin = signed_in(in_acme.host, in_acme.admin_email)
    assert admin.get(api_url(files, files["other"])).status_code == 404
    # A portal customer is not staff; an anonymous visitor is sent to sign in.
    customer = host_client(in_acme.host, email="customer@acme.example",
                           login_path="/portal/login/")
    assert customer.get(f"/app/service/attachments/{files['attachment'].pk}/"
                        ).status_code == 404
    assert host_client(in_acme.host).get(
        f"/app/service/attachments/{files['attachment'].pk}/").status_code == 302
    # Another tenant, with its own valid token, finds nothing.
    with tenant_context(globex.tenant):
        token = admin_token(globex.tenant)
    response = host_client(globex.host).get(api_url(files),
                                            HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 404


@pytest.mark.parametrize(("given", "cleaned"), [
    ("../../etc/passwd.txt", "passwd.txt"),
    ("C:\\Users\\me\\报告.PDF", "报告.pdf"),
    ("invoice\u202etxt.exe", "invoicetxt.exe"),
    ("bell\x07 and\nnewline.txt", "bell and newline.txt"),
    ("..hidden.txt", "hidden.txt"),
    ("a<b>|c:d*.png", "a_b__c_d_.png"),
    ("", "attachment"),
    ("x" * 400 + ".pdf", "x" * 140 + ".pdf"),
])
def test_names_are_cleaned(given, cleaned):
    assert clean_name(given) == cleaned


@pytest.mark.parametrize(("name", "content"), [
    ("report.pdf", b"MZ\x90\x00 a program"),
    ("photo.jpg", b"\x7fELF"),
    ("image.gif", b"GIF89a<script>alert(1)</script>"),
    ("sheet.xlsx", b"not a zip"),
    ("notes.csv", b"a,b\n<svg onload=alert(1)>"),
    ("noextension", b"plain"),
    ("drawing.svg", b"<svg/>"),
])
def test_content_must_match_the_name_and_be_harmless(name, content):
    with pytest.raises(AttachmentError):
        validate([SimpleUploadedFile(name, content)])


def test_accepted_files_keep_their_bytes_and_chinese_text_passes():
    text = "你好，世界\n".encode("gb18030")
    checked = validate([SimpleUploadedFile("说明.txt", text),
                        SimpleUploadedFile("a.docx", b"PK\x03\x04rest")])
    assert [(c.name, c.content_type) for c in checked] == [
        ("说明.txt", "text/plain"),
        ("a.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")]
    assert checked[0].file.read() == text  # the sniffing left the file at its start
