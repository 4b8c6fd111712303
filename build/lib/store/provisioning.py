"""Store provisioning hooks: Oscar defaults and the shop's settings in the template, the tenant's
own partner name; demo products priced in the tenant shop's currency."""

from decimal import Decimal

from oscar.core.loading import get_model

from store.partner.currency import tenant_currency
from store.shop.models import ShopSettings

Country = get_model("address", "Country")
Partner = get_model("partner", "Partner")
ProductClass = get_model("catalogue", "ProductClass")

SHIPPING_COUNTRIES = [
    ("US", "USA", "840", "United States", "United States of America"),
    ("GB", "GBR", "826", "United Kingdom", "United Kingdom"),
    ("CN", "CHN", "156", "China", "People's Republic of China"),
    ("DE", "DEU", "276", "Germany", "Federal Republic of Germany"),
    ("FR", "FRA", "250", "France", "French Republic"),
    ("SG", "SGP", "702", "Singapore", "Republic of Singapore"),
]


def seed_template() -> None:
    for iso2, iso3, numeric, name, printable in SHIPPING_COUNTRIES:
        Country.objects.get_or_create(
            iso_3166_1_a2=iso2,
            defaults={"iso_3166_1_a3": iso3, "iso_3166_1_numeric": numeric, "name": name,
                      "printable_name": printable, "is_shipping_country": True},
        )
    ProductClass.objects.get_or_create(slug="standard", defaults={"name": "Standard"})
    Partner.objects.get_or_create(code="default", defaults={"name": "Default"})
    ShopSettings.current()  # every clone starts with its settings row


def configure_tenant(setup) -> None:
    Partner.objects.filter(code="default").update(name=setup.tenant.name)


def load_demo(setup) -> None:
    """A few bilingual products with stock, so the shop has something to show."""
    Category = get_model("catalogue", "Category")
    Product = get_model("catalogue", "Product")
    StockRecord = get_model("partner", "StockRecord")
    product_class = ProductClass.objects.get(slug="standard")
    partner = Partner.objects.get(code="default")
    category = Category.objects.filter(slug="services").first() or Category.add_root(
        name="Services 服务", slug="services")
    items = [
        ("Onboarding workshop 入门培训", "onboarding", "499.00"),
        ("Premium support (1 year) 高级支持", "premium-support", "1200.00"),
        ("Data migration 数据迁移", "data-migration", "850.00"),
        ("Wireless headset 无线耳机", "headset", "89.00"),
    ]
    for title, slug, price in items:
        product, created = Product.objects.get_or_create(
            slug=slug, defaults={"title": title, "product_class": product_class,
                                 "structure": "standalone", "is_public": True})
        if created:
            product.categories.add(category)
            StockRecord.objects.create(product=product, partner=partner, partner_sku=slug,
                                       price=Decimal(price), price_currency=tenant_currency(),
                                       num_in_stock=100)
