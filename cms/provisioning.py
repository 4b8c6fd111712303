"""CMS provisioning hooks: a HomePage in the template, bound to each tenant's own host."""

from django.conf import settings
from wagtail.models import Page, Revision, Site

from cms.models import HomePage


def seed_template() -> None:
    """Replace Wagtail's default "Welcome" page with our HomePage (idempotent)."""
    home = HomePage.objects.first()
    root = Page.get_first_root_node()
    if home is None:
        home = HomePage(title="Home", slug="home-page", headline="Welcome")
        root.add_child(instance=home)
        home.save_revision().publish()
    for page in root.get_children().exclude(pk=home.pk):
        page.delete()
    if home.slug != "home":
        home.slug = "home"
        home.save()
    Site.objects.exclude(root_page=home).delete()
    Site.objects.get_or_create(
        root_page=home, defaults={"hostname": "localhost", "port": 80, "is_default_site": True}
    )


def configure_tenant(setup) -> None:
    """Bind the copied Site to the tenant's host and title the home page after the company."""
    port = settings.PUBLIC_PORT if settings.SITE_PORT_SUFFIX else 80
    Site.objects.update(hostname=setup.hostname, port=port, site_name=setup.tenant.name,
                        is_default_site=True)
    # The page and its revision were copied from the template: rename them in place. A full
    # publish (new revision, log entry, signals) would cost a third of the provisioning time
    # for a page nobody has seen yet.
    name = setup.tenant.name
    home = HomePage.objects.get()
    Page.objects.filter(pk=home.pk).update(title=name, draft_title=name)
    HomePage.objects.filter(pk=home.pk).update(headline=name)
    if home.latest_revision_id:
        revision = Revision.objects.get(pk=home.latest_revision_id)
        revision.content.update(title=name, draft_title=name, headline=name)
        Revision.objects.filter(pk=revision.pk).update(content=revision.content)


def load_demo(setup) -> None:
    home = HomePage.objects.get()
    home.intro = (f"<p>{setup.tenant.name} helps teams sell, serve and grow. Browse the "
                  "<a href='/shop/'>shop</a>, or sign in to the <a href='/portal/'>customer "
                  "portal</a> to follow your orders and tickets.</p>")
    home.headline_zh = f"欢迎来到 {setup.tenant.name}"
    home.intro_zh = ("<p>我们帮助团队销售、服务和成长。浏览<a href='/shop/'>在线商店</a>，"
                     "或登录<a href='/portal/'>客户门户</a>查看订单和工单。</p>")
    home.save_revision().publish()
