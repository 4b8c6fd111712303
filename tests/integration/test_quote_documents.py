"""Quote documents: the branded PDF in English and Chinese, the e-mail to the contact with the
PDF and the portal link, and the tenant admin's branding page (roles, bad uploads, tenants)."""

import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django_tenants.utils import tenant_context
from PIL import Image

from core.models import AuditEntry
from crm_apps.activities.models import Activity
from crm_apps.customers.models import Account, Contact
from crm_apps.customization.documents import format_money
from crm_apps.customization.models import Branding
from crm_apps.quotes.errors import QuoteRecipientError, QuoteStateError
from crm_apps.quotes.mailing import send_quote
from crm_apps.quotes.pdf import render_quote_pdf
from tests.fixtures.world import host_client, signed_in
from tests.integration.test_quote_acceptance import make_quote

BRANDING = "/app/settings/branding/"
OCTAL = re.compile(rb"\\([0-7]{1,3})")
ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _unescape(raw: bytes) -> bytes:
    out, index = bytearray(), 0
    while index < len(raw):
        if raw[index:index + 1] != b"\\":
            out += raw[index:index + 1]
            index += 1
            continue
        octal = OCTAL.match(raw, index)
        if octal:
            out.append(int(octal.group(1), 8) & 0xFF)
            index = octal.end()
        else:
            escaped = raw[index + 1:index + 2]
            out += ESCAPES.get(escaped, escaped)
            index += 2
    return bytes(out)


def pdf_text(data: bytes) -> str:
    """The strings drawn on the pages of an uncompressed PDF, each read as WinAnsi (Helvetica)
    and, when it can be, as UCS-2 (the Chinese CID font)."""
    texts = []
    for match in re.finditer(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", data, re.S):
        raw = _unescape(match.group(1))
        texts.append(raw.decode("cp1252", "replace"))
        if len(raw) % 2 == 0:
            texts.append(raw.decode("utf-16-be", "replace"))
    return "\n".join(texts)


def png(width=120, height=40, color="red", fmt="PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.fixture
def quote_rows(in_acme):
    rep = get_user_model().objects.get(email="rep@acme.example")
    account = Account.objects.create(name="环球科技 Initech", owner=rep)
    contact = Contact.objects.create(first_name="伟", last_name="张", account=account,
                                     email="wei@initech.example", owner=rep)
    lines = [{"description": "Widget 小部件", "sku": "W-1", "quantity": Decimal("1200"),
              "unit_price": Decimal("100.00"), "tax_rate": Decimal("13")},
             {"description": "Consulting days", "quantity": Decimal("1.5"),
              "unit_price": Decimal("80.00"), "tax_rate": Decimal("6")}]
    quote = make_quote(account=account, contact=contact, owner=rep, status="draft",
                       lines=lines, discount_percent=Decimal("0"),
                       terms="Payment within 30 days.")
    return {"rep": rep, "account": account, "contact": contact, "quote": quote}


def test_amounts_are_written_per_language_from_decimals():
    assert format_money(Decimal("135667.2"), "CNY", "en") == "CNY 135,667.20"
    assert format_money(Decimal("135667.2"), "CNY", "zh-hans") == "¥135,667.20"
    assert format_money(Decimal("-35"), "USD", "zh-hans") == "-US$35.00"
    assert format_money(Decimal("0.005"), "EUR", "en") == "EUR 0.01"


def test_the_english_pdf_carries_the_number_lines_totals_and_link(quote_rows):
    quote = quote_rows["quote"]
    assert quote.total == Decimal("135727.20")  # 120,000 + 13 % and 120 + 6 %
    data = render_quote_pdf(quote, compress=False)
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    text = pdf_text(data)
    for expected in (quote.number, "CNY 135,727.20", "CNY 135,600.00", "CNY 120,120.00",
                     "CNY 100.00", "13%", "1,200", "1.5",
                     "Consulting days", "Payment within 30 days.", "Total (CNY)",
                     f"/portal/quotes/{quote.access_token}/"):
        assert expected in text, expected
    # Chinese names are drawn in the CID font inside an English document, family name first.
    assert "环球科技" in text
    assert "张伟" in text
    assert b"/BaseFont /STSong-Light" in data


def test_the_chinese_pdf_uses_the_cid_font_and_chinese_amounts(quote_rows):
    quote = quote_rows["quote"]
    quote.language = "zh-hans"
    data = render_quote_pdf(quote, compress=False)
    assert data.startswith(b"%PDF-")
    assert b"/BaseFont /STSong-Light" in data
    assert b"/Encoding /UniGB-UCS2-H" in data
    text = pdf_text(data)
    assert quote.number in text
    assert "¥135,727.20" in text
    assert "小部件" in text
    assert "CNY 135,727.20" not in text
    # Compressed by default: a smaller file that still is a PDF.
    packed = render_quote_pdf(quote)
    assert packed.startswith(b"%PDF-")
    assert len(packed) < len(data)


def test_the_pdf_carries_the_brand_colour_logo_and_legal_lines(quote_rows):
    Branding.objects.create(pk=1, brand_color="#cc3300", legal_name="Acme Trading Ltd",
                            legal_name_zh_hans="艾克米贸易有限公司",
                            address="1 Harbour Road\nShanghai", tax_id="91310000X",
                            logo=SimpleUploadedFile("logo.png", png(), "image/png"))
    quote = quote_rows["quote"]
    data = render_quote_pdf(quote, compress=False)
    text = pdf_text(data)
    for expected in ("Acme Trading Ltd", "1 Harbour Road", "Shanghai", "Tax ID: 91310000X"):
        assert expected in text, expected
    assert b"/Subtype /Image" in data
    assert b".8 .2 0 rg" in data  # #cc3300 as the band's fill colour
    quote.language = "zh-hans"
    assert "艾克米贸易有限公司" in pdf_text(render_quote_pdf(quote, compress=False))


def test_the_portal_shows_the_quote_in_the_brand_and_serves_its_pdf(quote_rows):
    Branding.objects.create(pk=1, brand_color="#cc3300", legal_name="Acme Trading Ltd",
                            logo=SimpleUploadedFile("logo.png", png(), "image/png"))
    quote = quote_rows["quote"]
    quote.status = "sent"
    quote.save()
    client = host_client("acme.localhost")
    shown = client.get(f"/portal/quotes/{quote.access_token}/")
    assert shown.status_code == 200
    for expected in ("--brand: #cc3300", 'src="/portal/logo/?v=', "Acme Trading Ltd", "张伟",
                     "CNY 135,727.20", 'name="viewport"'):
        assert expected.encode() in shown.content, expected
    # The page speaks the quote's language until the reader picks one.
    quote.language = "zh-hans"
    quote.save()
    assert "¥135,727.20".encode() in host_client("acme.localhost").get(
        f"/portal/quotes/{quote.access_token}/").content
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert b"CNY 135,727.20" in client.get(f"/portal/quotes/{quote.access_token}/").content
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    chinese = client.get(f"/portal/quotes/{quote.access_token}/")
    assert "¥135,727.20".encode() in chinese.content
    response = client.get(f"/portal/quotes/{quote.access_token}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="{quote.number}-v1.pdf"' in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF-")


def test_sending_mails_the_pdf_and_the_portal_link_to_the_contact(quote_rows):
    quote, rep = quote_rows["quote"], quote_rows["rep"]
    send_quote(quote, by=rep)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["wei@initech.example"]
    assert message.reply_to == ["rep@acme.example"]
    assert quote.number in message.subject
    link = f"{connection.tenant.base_url}/portal/quotes/{quote.access_token}/"
    assert link.startswith(f"{settings.SITE_SCHEME}://acme.")
    assert link in message.body
    assert "CNY 135,727.20" in message.body
    assert "张伟" in message.body
    html = message.alternatives[0][0]
    assert f'href="{link}"' in html
    (name, content, mimetype), = message.attachments
    assert (name, mimetype) == (f"{quote.number}-v1.pdf", "application/pdf")
    assert content.startswith(b"%PDF-")
    quote.refresh_from_db()
    assert quote.status == "sent"
    assert quote.sent_at is not None
    logged = Activity.objects.get(account=quote_rows["account"], kind="email")
    assert (logged.contact_id, logged.owner_id, logged.email_to) == (
        quote_rows["contact"].pk, rep.pk, ["wei@initech.example"])
    assert logged.subject == message.subject


def test_a_chinese_quote_is_mailed_in_chinese(quote_rows):
    quote = quote_rows["quote"]
    quote.language = "zh-hans"
    quote.save()
    send_quote(quote, by=quote_rows["rep"])
    message = mail.outbox[0]
    assert "¥135,727.20" in message.body
    assert '<html lang="zh-hans">' in message.alternatives[0][0]


def test_a_contact_without_email_is_a_clear_error(quote_rows):
    quote = quote_rows["quote"]
    Contact.objects.filter(pk=quote_rows["contact"].pk).update(email="")
    quote.refresh_from_db()
    with pytest.raises(QuoteRecipientError) as refusal:
        send_quote(quote, by=quote_rows["rep"])
    assert "no e-mail address" in str(refusal.value)
    assert refusal.value.status == 400
    assert mail.outbox == []
    quote.refresh_from_db()
    assert quote.status == "draft"
    assert not Activity.objects.filter(kind="email").exists()


def test_only_drafts_and_sent_quotes_are_sent(quote_rows):
    quote = quote_rows["quote"]
    for status in ("accepted", "declined", "superseded", "expired"):
        quote.status = status
        quote.save()
        with pytest.raises(QuoteStateError) as refusal:
            send_quote(quote, by=quote_rows["rep"])
        assert refusal.value.code == status
    assert mail.outbox == []


def test_the_branding_page_is_for_tenant_admins(in_acme):
    assert signed_in(in_acme.host, "rep@acme.example").get(BRANDING).status_code == 403
    assert signed_in(in_acme.host, "rep@acme.example").post(
        BRANDING, {"brand_color": "#000000"}).status_code == 403
    assert not Branding.objects.exists()
    assert host_client(in_acme.host).get(BRANDING).status_code == 302  # to the login page
    page = signed_in(in_acme.host, "admin@acme.example").get(BRANDING)
    assert page.status_code == 200
    assert b'enctype="multipart/form-data"' in page.content


def test_saving_branding_stores_the_logo_in_the_tenants_media_and_audits(in_acme, globex):
    admin = signed_in(in_acme.host, "admin@acme.example")
    response = admin.post(BRANDING, {
        "brand_color": "#CC3300", "legal_name": "Acme Trading Ltd", "tax_id": "91310000X",
        "address": "1 Harbour Road", "logo": SimpleUploadedFile("brand.JPG", png(),
                                                                "image/jpeg")})
    assert response.status_code == 302, response.content[:2000]
    branding = Branding.current()
    assert (branding.brand_color, branding.legal_name) == ("#cc3300", "Acme Trading Ltd")
    stored = Path(settings.MEDIA_ROOT) / in_acme.tenant.schema_name / branding.logo.name
    assert stored.is_file()
    entry = AuditEntry.objects.get(record_type="customization.branding")
    assert entry.changes["brand_color"] == ["#0d6efd", "#cc3300"]
    assert entry.actor.email == "admin@acme.example"
    logo = host_client(in_acme.host).get("/portal/logo/")
    assert logo.status_code == 200
    assert logo["Content-Type"] == "image/png"  # what the file is, not what it was called
    assert b"".join(logo.streaming_content) == png()
    replaced = admin.post(BRANDING, {"brand_color": "#cc3300", "legal_name": "Acme Trading Ltd",
                                     "logo": SimpleUploadedFile("new.png", png(color="blue"),
                                                                "image/png")})
    assert replaced.status_code == 302
    assert Branding.current().logo.name not in ("", branding.logo.name)
    # globex has its own (empty) branding and no logo.
    other = signed_in(globex.host, "admin@globex.example")
    assert b"Acme Trading Ltd" not in other.get(BRANDING).content
    assert host_client(globex.host).get("/portal/logo/").status_code == 404
    with tenant_context(globex.tenant):
        assert not Branding.objects.exists()


@pytest.mark.parametrize(("upload", "message"), [
    (SimpleUploadedFile("logo.png", b"not an image", "image/png"), b"Upload a valid image"),
    (SimpleUploadedFile("logo.gif", png(fmt="GIF"), "image/gif"), b"PNG or JPEG"),
    (SimpleUploadedFile("huge.png", png(2400, 2400, "white") + b"\0" * (1024 * 1024),
                        "image/png"), b"larger than 1 MB"),
])
def test_a_bad_logo_is_refused_and_the_stored_one_kept(in_acme, upload, message):
    Branding.objects.create(pk=1, legal_name="Kept Ltd",
                            logo=SimpleUploadedFile("kept.png", png(), "image/png"))
    kept = Branding.current().logo.name
    admin = signed_in(in_acme.host, "admin@acme.example")
    response = admin.post(BRANDING, {"brand_color": "#112233", "legal_name": "Changed",
                                     "logo": upload})
    assert response.status_code == 400
    assert message in response.content
    branding = Branding.current()
    assert (branding.logo.name, branding.legal_name, branding.brand_color) == (
        kept, "Kept Ltd", "#0d6efd")
    assert (Path(settings.MEDIA_ROOT) / in_acme.tenant.schema_name / kept).is_file()


def test_a_bad_colour_is_a_400(in_acme):
    admin = signed_in(in_acme.host, "admin@acme.example")
    response = admin.post(BRANDING, {"brand_color": "red"})
    assert response.status_code == 400
    assert b"six hex digits" in response.content
    assert not Branding.objects.exists()
