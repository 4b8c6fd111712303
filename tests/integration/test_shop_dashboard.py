"""The shop's dashboard and media belong to one tenant: acme's admin sees acme's products and
orders, globex's admin on globex's host sees none of them, acme's session opens nothing on
globex's host; admins and managers may use it, other staff and portal customers may not;
product images are stored in the tenant's media folder and served on its host only."""

import re
import struct
import zlib
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django_tenants.utils import tenant_context
from oscar.core.loading import get_class, get_model
from oscar.test.factories import create_order

from core.accounts import create_user
from core.roles import MANAGER, MARKETER, SERVICE_AGENT
from tests.fixtures.world import PASSWORD, host_client, signed_in

Basket = get_model("basket", "Basket")
Category = get_model("catalogue", "Category")
Partner = get_model("partner", "Partner")
Selector = get_class("partner.strategy", "Selector")
Product = get_model("catalogue", "Product")
ProductClass = get_model("catalogue", "ProductClass")
ProductImage = get_model("catalogue", "ProductImage")
StockRecord = get_model("partner", "StockRecord")


def make_product(title):
    product = Product.objects.create(
        title=title, product_class=ProductClass.objects.get(slug="standard"),
        structure="standalone", is_public=True)
    StockRecord.objects.create(product=product, partner=Partner.objects.get(code="default"),
                               partner_sku=f"SKU-{product.pk}", price=Decimal("10.00"),
                               num_in_stock=5)
    return product


def tiny_png() -> bytes:
    """A real 1x1 PNG."""
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
            + chunk(b"IEND", b""))


def form_errors(response) -> dict:
    """What Oscar's product form and its formsets refused, for a failing assertion."""
    found = {}
    for name in ("form", "category_formset", "image_formset", "stockrecord_formset",
                 "recommended_formset"):
        form = response.context.get(name) if response.context else None
        if form is not None:
            found[name] = (form.errors, getattr(form, "non_form_errors", list)())
    return found


@pytest.fixture
def acme_shop(acme):
    with tenant_context(acme.tenant):
        product = make_product("Acme anvil 铁砧")
        basket = Basket.objects.create()
        basket.strategy = Selector().strategy()
        basket.add_product(product)
        order = create_order(number="ACME-100001", basket=basket)
    return {"product": product, "order": order}


def test_admins_see_their_own_tenants_products_and_orders(acme, globex, acme_shop):
    acme_admin = signed_in(acme.host, acme.admin_email)
    products = acme_admin.get("/shop/dashboard/catalogue/")
    orders = acme_admin.get("/shop/dashboard/orders/")
    assert products.status_code == orders.status_code == 200
    assert "Acme anvil 铁砧" in products.content.decode()
    assert "ACME-100001" in orders.content.decode()

    globex_admin = signed_in(globex.host, globex.admin_email)
    products = globex_admin.get("/shop/dashboard/catalogue/")
    orders = globex_admin.get("/shop/dashboard/orders/")
    assert products.status_code == orders.status_code == 200
    assert "Acme anvil" not in products.content.decode()
    assert "ACME-100001" not in orders.content.decode()
    # acme's ids mean nothing there either.
    assert globex_admin.get(
        f"/shop/dashboard/catalogue/products/{acme_shop['product'].pk}/").status_code in (
        302, 404)
    assert globex_admin.get("/shop/dashboard/orders/ACME-100001/").status_code == 404


def test_acmes_session_does_not_open_globexs_dashboard(acme, globex):
    acme_admin = signed_in(acme.host, acme.admin_email)
    cookie = acme_admin.cookies["sessionid"].value
    intruder = host_client(globex.host)
    intruder.cookies["sessionid"] = cookie
    response = intruder.get("/shop/dashboard/")
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.parametrize(("role", "allowed"), [
    (MANAGER, True), (SERVICE_AGENT, False), (MARKETER, False)])
def test_dashboard_roles(acme, role, allowed):
    with tenant_context(acme.tenant):
        create_user(email=f"{role}@acme.example", password=PASSWORD, role=role)
    response = signed_in(acme.host, f"{role}@acme.example").get("/shop/dashboard/")
    assert response.status_code == (200 if allowed else 403)


def test_sales_reps_and_portal_customers_are_kept_out(acme):
    assert signed_in(acme.host, acme.rep_email).get("/shop/dashboard/").status_code == 403
    customer = host_client(acme.host, email=acme.customer_email, login_path="/portal/login/")
    response = customer.get("/shop/dashboard/catalogue/")
    assert response.status_code in (302, 403)
    assert response.status_code == 403 or "login" in response["Location"]
    anonymous = host_client(acme.host).get("/shop/dashboard/")
    assert anonymous.status_code == 302
    assert "login" in anonymous["Location"]


# --- product images -----------------------------------------------------------------------

def test_product_image_is_stored_and_served_for_its_tenant_only(acme, globex, acme_shop,
                                                                 settings):
    with tenant_context(acme.tenant):
        image = ProductImage.objects.create(
            product=acme_shop["product"], original=SimpleUploadedFile(
                "anvil.png", tiny_png(), content_type="image/png"))
        path = Path(image.original.path)
        url = image.original.url
        schema = connection.schema_name
    assert path.is_file()
    assert path.read_bytes() == tiny_png()
    assert path.is_relative_to(Path(settings.MEDIA_ROOT) / schema)
    assert url.startswith(f"/media/{schema}/images/products/")
    served = host_client(acme.host).get(url)
    assert served.status_code == 200
    assert b"".join(served.streaming_content) == tiny_png()
    assert host_client(globex.host).get(url).status_code == 404
    # Nor through globex's own prefix, nor by climbing out of it.
    with tenant_context(globex.tenant):
        globex_schema = connection.schema_name
    relative = url.removeprefix(f"/media/{schema}/")
    assert host_client(globex.host).get(f"/media/{globex_schema}/{relative}").status_code == 404
    assert host_client(globex.host).get(
        f"/media/{globex_schema}/images/../../{schema}/{relative}").status_code in (400, 404)


def test_image_uploaded_through_the_dashboard_lands_in_the_tenants_folder(acme, acme_shop,
                                                                         settings):
    admin = signed_in(acme.host, acme.admin_email)
    product = acme_shop["product"]
    url = f"/shop/dashboard/catalogue/products/{product.pk}/"
    form = admin.get(url)
    assert form.status_code == 200
    with tenant_context(acme.tenant):
        record = StockRecord.objects.get(product=product)
        category = Category.add_root(name="Tools 工具", slug="tools")
        data = {
            "title": product.title, "slug": product.slug or "acme-anvil", "is_public": "on",
            "structure": "standalone",
            "description": "", "upc": "",
            "stockrecords-TOTAL_FORMS": "1", "stockrecords-INITIAL_FORMS": "1",
            "stockrecords-MIN_NUM_FORMS": "0", "stockrecords-MAX_NUM_FORMS": "1000",
            "stockrecords-0-id": record.pk, "stockrecords-0-partner": record.partner_id,
            "stockrecords-0-partner_sku": record.partner_sku,
            "stockrecords-0-price_currency": record.price_currency,
            "stockrecords-0-price": "10.00", "stockrecords-0-num_in_stock": "5",
            "productcategory_set-TOTAL_FORMS": "1",
            "productcategory_set-INITIAL_FORMS": "0",
            "productcategory_set-0-category": category.pk,
            "images-TOTAL_FORMS": "1", "images-INITIAL_FORMS": "0",
            "images-0-original": SimpleUploadedFile("upload.png", tiny_png(), "image/png"),
            "images-0-caption": "", "images-0-display_order": "0",
            "primary_recommendations-TOTAL_FORMS": "0",
            "primary_recommendations-INITIAL_FORMS": "0",
            "action": "continue",
        }
    response = admin.post(url, data)
    assert response.status_code == 302, form_errors(response)
    with tenant_context(acme.tenant):
        image = ProductImage.objects.get(product=product)
        assert Path(image.original.path).is_relative_to(
            Path(settings.MEDIA_ROOT) / acme.tenant.schema_name)


def test_products_without_images_show_oscars_placeholder_from_the_tenants_media(acme, globex,
                                                                               acme_shop):
    page = host_client(acme.host).get("/shop/catalogue/").content.decode()
    schema = acme.tenant.schema_name
    match = re.search(rf'src="(/media/{schema}/cache/[^"]+)"', page)
    assert match, re.findall(r"<img[^>]*>|Acme anvil", page)
    assert host_client(acme.host).get(match.group(1)).status_code == 200
    assert host_client(globex.host).get(match.group(1)).status_code == 404
