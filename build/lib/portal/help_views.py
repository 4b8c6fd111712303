"""The knowledge base inside the customer portal: search, topics, articles and votes."""

from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from cms import knowledge
from cms.models import FaqCategoryPage, KnowledgeIndexPage
from core.permissions import CustomerRequiredMixin


def _live_article(pk):
    """A live, public article of this tenant, or 404 (drafts and other pages look missing)."""
    return get_object_or_404(knowledge.live_articles(), pk=pk)


class HelpIndexView(CustomerRequiredMixin, TemplateView):
    template_name = "portal/help_index.html"

    def get(self, request, *args, **kwargs):
        query = request.GET.get("q", "").strip()
        too_long = len(query) > knowledge.MAX_QUERY_LENGTH
        help_index = KnowledgeIndexPage.objects.live().first()
        context = self.get_context_data(
            help_index=help_index, query=query[:knowledge.MAX_QUERY_LENGTH],
            query_too_long=too_long, portal=True,
            results=knowledge.search(query) if query and not too_long else None,
            categories=help_index.categories() if help_index else [],
            most_viewed=knowledge.most_viewed(5))
        return self.render_to_response(context, status=400 if too_long else 200)


class HelpCategoryView(CustomerRequiredMixin, TemplateView):
    template_name = "portal/help_category.html"

    def get_context_data(self, **kwargs):
        category = get_object_or_404(FaqCategoryPage.objects.live().public(), pk=kwargs["pk"])
        return super().get_context_data(category=category, articles=category.articles(),
                                         portal=True, **kwargs)


class HelpArticleView(CustomerRequiredMixin, TemplateView):
    template_name = "portal/help_article.html"

    def get_context_data(self, **kwargs):
        article = _live_article(kwargs["pk"])
        knowledge.record_view(article)
        return super().get_context_data(
            article=article, category=article.get_parent().specific,
            stats=knowledge.stats_of(article), portal=True, **kwargs)


class HelpVoteView(CustomerRequiredMixin, View):
    """POST yes/no for an article; JSON back (CSRF-protected like every portal form)."""

    def post(self, request, pk):
        return knowledge.vote_response(request, _live_article(pk))

    def http_method_not_allowed(self, request, *args, **kwargs):
        return JsonResponse({"error": _("Send your vote with POST.")}, status=405)

