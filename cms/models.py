"""Page types of a tenant's public site."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page


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
