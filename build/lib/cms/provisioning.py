"""CMS provisioning hooks: a HomePage and a Help centre in the template, bound to each tenant's
own host; demo FAQ articles in both languages."""

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from wagtail.models import GroupPagePermission, Page, Revision, Site

from cms.models import FaqArticlePage, FaqCategoryPage, HomePage, KnowledgeIndexPage
from core.roles import MARKETER, TENANT_ADMIN

# Who writes the site and the knowledge base in /cms-admin/, and what they may do to pages.
EDITOR_ROLES = (TENANT_ADMIN, MARKETER)
EDITOR_PAGE_PERMISSIONS = ("add_page", "change_page", "publish_page", "bulk_delete_page",
                           "lock_page", "unlock_page")


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
    ensure_help_index()
    grant_page_editing()


def grant_page_editing() -> None:
    """Let the editor roles add, edit and publish pages anywhere on the site (idempotent)."""
    root = Page.get_first_root_node()
    permissions = Permission.objects.filter(content_type__app_label="wagtailcore",
                                            codename__in=EDITOR_PAGE_PERMISSIONS)
    for group in Group.objects.filter(name__in=EDITOR_ROLES):
        for permission in permissions:
            GroupPagePermission.objects.get_or_create(group=group, page=root,
                                                      permission=permission)


def ensure_help_index() -> KnowledgeIndexPage:
    """The Help centre under the home page (idempotent; copied into every tenant)."""
    existing = KnowledgeIndexPage.objects.first()
    if existing:
        return existing
    help_index = KnowledgeIndexPage(
        title="Help", slug="help", title_zh="帮助中心",
        intro="<p>Answers to common questions. Search, or browse by topic.</p>",
        intro_zh="<p>常见问题解答。请搜索或按主题浏览。</p>")
    HomePage.objects.get().add_child(instance=help_index)
    help_index.save_revision().publish()
    return help_index


def configure_tenant(setup) -> None:
    """Bind the copied Site to the tenant's host and title the home page after the company."""
    ensure_help_index()  # a no-op on a clone of a current template
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
    load_demo_articles()


DEMO_FAQ = [
    ("orders-and-refunds", "Orders and refunds", "订单与退款", [
        ("how-do-i-get-a-refund", "How do I get a refund?", "如何申请退款？",
         "Return the goods within 30 days and we refund the full price.",
         "在 30 天内退回商品，我们将全额退款。",
         "<p>Open a ticket in the customer portal with your order number. Once the goods are "
         "back with us, the refund reaches your card within five working days.</p>",
         "<p>请在客户门户中提交工单并注明订单号。我们收到退回的商品后，退款将在五个工作日内"
         "退回您的银行卡。</p>"),
        ("where-is-my-order", "Where is my order?", "我的订单在哪里？",
         "Follow every order and its shipping events in the portal.",
         "在客户门户中查看每个订单及其物流信息。",
         "<p>Sign in to the portal and open <b>Orders</b>: each order shows its status and "
         "the carrier's tracking events.</p>",
         "<p>登录客户门户并打开<b>订单</b>：每个订单都会显示状态和承运商的物流跟踪信息。</p>"),
    ]),
    ("your-account", "Your account", "您的账户", [
        ("reset-your-password", "Reset your password", "重置密码",
         "Forgot your password? Ask for a reset link by e-mail.",
         "忘记密码？通过电子邮件获取重置链接。",
         "<p>On the portal sign-in page choose <i>Forgot password</i> and follow the link we "
         "send you.</p>",
         "<p>在客户门户登录页面选择<i>忘记密码</i>，然后点击我们发送给您的链接。</p>"),
    ]),
]


def load_demo_articles() -> None:
    """A couple of bilingual FAQ categories and articles (skipped when already there)."""
    help_index = ensure_help_index()
    for slug, title, title_zh, articles in DEMO_FAQ:
        if FaqCategoryPage.objects.filter(slug=slug).exists():
            continue
        category = help_index.add_child(instance=FaqCategoryPage(
            title=title, title_zh=title_zh, slug=slug))
        category.save_revision().publish()
        for (article_slug, article_title, article_title_zh, summary, summary_zh, body,
             body_zh) in articles:
            article = category.add_child(instance=FaqArticlePage(
                title=article_title, title_zh=article_title_zh, slug=article_slug,
                summary=summary, summary_zh=summary_zh, body=body, body_zh=body_zh))
            article.save_revision().publish()
