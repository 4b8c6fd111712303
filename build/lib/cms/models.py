"""Page types of a tenant's public site: the home page and the bilingual knowledge base."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, ObjectList, TabbedInterface
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index

from core.languages import in_reader_language


class HomePage(Page):
    """The tenant's home page at ``/``; one per tenant, made at provisioning."""

    headline = models.CharField(_("headline"), max_length=200, blank=True)
    intro = RichTextField(_("introduction"), blank=True)
    headline_zh = models.CharField(_("headline (Chinese)"), max_length=200, blank=True)
    intro_zh = RichTextField(_("introduction (Chinese)"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("headline"), FieldPanel("intro"),
                      FieldPanel("headline_zh"), FieldPanel("intro_zh")]
    max_count = 1
    parent_page_types = ["wagtailcore.Page"]

    class Meta:
        verbose_name = _("home page")

    def localized(self, field: str, language: str) -> str:
        if language.startswith("zh"):
            return getattr(self, f"{field}_zh") or getattr(self, field)
        return getattr(self, field)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        language = getattr(request, "LANGUAGE_CODE", "en")
        context["headline"] = self.localized("headline", language) or self.title
        context["intro"] = self.localized("intro", language)
        return context


# --- Knowledge base: Help index → FAQ categories → bilingual articles ---------------------

ARTICLE_FEATURES = ["h2", "h3", "bold", "italic", "ol", "ul", "link", "document-link", "image",
                    "embed", "hr", "code", "blockquote"]


def _tabs(english_panels, chinese_panels, page_class=Page):
    """The editor's tabs: English content, Chinese content, then Wagtail's promote/settings."""
    return TabbedInterface([
        ObjectList(english_panels, heading=_("Content")),
        ObjectList(chinese_panels, heading=_("Chinese")),
        ObjectList(page_class.promote_panels, heading=_("Promote")),
        ObjectList(page_class.settings_panels, heading=_("Settings")),
    ])


class BilingualPage(Page):
    """A page written in English and Chinese; ``reader_*`` gives the reader's language."""

    title_zh = models.CharField(_("title (Chinese)"), max_length=255, blank=True)

    class Meta:
        abstract = True

    def reader(self, field: str) -> str:
        return in_reader_language(getattr(self, field), getattr(self, f"{field}_zh"))

    @property
    def reader_title(self) -> str:
        return self.reader("title")


class KnowledgeIndexPage(RoutablePageMixin, BilingualPage):
    """The tenant's Help centre: categories, search and the most read articles."""

    intro = RichTextField(_("introduction"), blank=True, features=ARTICLE_FEATURES)
    intro_zh = RichTextField(_("introduction (Chinese)"), blank=True, features=ARTICLE_FEATURES)

    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.FaqCategoryPage"]
    max_count = 1
    edit_handler = _tabs([*Page.content_panels, FieldPanel("intro")],
                         [FieldPanel("title_zh"), FieldPanel("intro_zh")])

    class Meta:
        verbose_name = _("help centre")

    @property
    def reader_intro(self) -> str:
        return self.reader("intro")

    def categories(self):
        return FaqCategoryPage.objects.child_of(self).live().public().order_by("path")

    @path("")
    def index(self, request):
        from cms import knowledge

        query = request.GET.get("q", "").strip()
        if len(query) > knowledge.MAX_QUERY_LENGTH:
            response = self.render(request, context_overrides={
                "query": query[:knowledge.MAX_QUERY_LENGTH], "query_too_long": True})
            response.status_code = 400
            return response
        return self.render(request, context_overrides={
            "query": query,
            "results": knowledge.search(query) if query else None,
            "most_viewed": knowledge.most_viewed(5),
        })


class FaqCategoryPage(BilingualPage):
    """A group of FAQ articles, such as "Orders and refunds"."""

    description = models.TextField(_("description"), blank=True)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)

    parent_page_types = ["cms.KnowledgeIndexPage"]
    subpage_types = ["cms.FaqArticlePage"]
    edit_handler = _tabs([*Page.content_panels, FieldPanel("description")],
                         [FieldPanel("title_zh"), FieldPanel("description_zh")])

    class Meta:
        verbose_name = _("FAQ category")
        verbose_name_plural = _("FAQ categories")

    @property
    def reader_description(self) -> str:
        return self.reader("description")

    def articles(self):
        return FaqArticlePage.objects.child_of(self).live().public().order_by("path")


class FaqArticlePage(RoutablePageMixin, BilingualPage):
    """One answer, in English and Chinese on the same page; counts views and helpful votes."""

    summary = models.CharField(_("summary"), max_length=300, blank=True)
    summary_zh = models.CharField(_("summary (Chinese)"), max_length=300, blank=True)
    body = RichTextField(_("body"), blank=True, features=ARTICLE_FEATURES)
    body_zh = RichTextField(_("body (Chinese)"), blank=True, features=ARTICLE_FEATURES)

    parent_page_types = ["cms.FaqCategoryPage"]
    subpage_types: list[str] = []
    search_fields = [
        *Page.search_fields,
        index.SearchField("title_zh", boost=2),
        index.SearchField("summary", boost=1.5),
        index.SearchField("summary_zh", boost=1.5),
        index.SearchField("body"),
        index.SearchField("body_zh"),
    ]
    edit_handler = _tabs([*Page.content_panels, FieldPanel("summary"), FieldPanel("body")],
                         [FieldPanel("title_zh"), FieldPanel("summary_zh"), FieldPanel("body_zh")])

    class Meta:
        verbose_name = _("FAQ article")

    @property
    def reader_summary(self) -> str:
        return self.reader("summary")

    @property
    def reader_body(self) -> str:
        return self.reader("body")

    @path("")
    def read(self, request):
        from cms import knowledge

        if not getattr(request, "is_preview", False):
            knowledge.record_view(self)
        return self.render(request, context_overrides={"stats": knowledge.stats_of(self)})

    @path("vote/")
    def vote(self, request):
        from cms import knowledge

        return knowledge.vote_response(request, self)


class ArticleStats(models.Model):
    """An article's counters, kept outside the page so publishing a revision never resets them;
    always changed by an UPDATE with F() so concurrent readers never lose a count."""

    article = models.OneToOneField(FaqArticlePage, on_delete=models.CASCADE,
                                   related_name="stats", primary_key=True)
    views = models.PositiveIntegerField(_("views"), default=0)
    helpful_yes = models.PositiveIntegerField(_("helpful"), default=0)
    helpful_no = models.PositiveIntegerField(_("not helpful"), default=0)

    class Meta:
        verbose_name = _("article statistics")
        verbose_name_plural = _("article statistics")

    def __str__(self) -> str:
        return f"{self.article_id}: {self.views}"


class ArticleVote(models.Model):
    """One reader's "was this helpful" answer on one article (a signed-in user or a session)."""

    article = models.ForeignKey(FaqArticlePage, on_delete=models.CASCADE, related_name="votes")
    reader_key = models.CharField(_("reader"), max_length=80)
    helpful = models.BooleanField(_("helpful"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("article vote")
        constraints = [models.UniqueConstraint(fields=["article", "reader_key"],
                                               name="cms_one_vote_per_reader")]

    def __str__(self) -> str:
        return f"{self.article_id} {self.reader_key}: {self.helpful}"
