"""The shop's product lists over the database: the search page (/shop/search/), the catalogue
(/shop/catalogue/) and a category's page. Oscar serves these through Haystack, whose Simple
engine splits on spaces and matches whole words only (so "耳机" never matched a title written
"无线耳机") and lists nothing at all when browsing without a query."""

from types import SimpleNamespace
from urllib.parse import unquote

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from oscar.core.loading import get_model

from store.search.forms import ProductSearchForm
from store.search.selectors import search_products

Category = get_model("catalogue", "Category")
Product = get_model("catalogue", "Product")


def paginate(request, products) -> dict:
    paginator = Paginator(products, settings.OSCAR_PRODUCTS_PER_PAGE)
    # Junk or out-of-range page numbers show the nearest page, never an error.
    page = paginator.get_page(request.GET.get("page"))
    return {"page_obj": page, "paginator": page.paginator, "page": page}


class ProductSearchView(TemplateView):
    template_name = "store/search/results.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = ProductSearchForm(self.request.GET)
        context.update(paginate(self.request, search_products(form.terms, sort=form.sort)))
        context.update({
            "form": form, "query": form.cleaned_data.get("q", "") if form.is_valid() else "",
            "products": context["page_obj"].object_list,
        })
        return context


class CatalogueView(TemplateView):
    """All products, newest first, in Oscar's browse template (which reads search results, so
    each product is handed over as ``result.object``)."""

    template_name = "oscar/catalogue/browse.html"
    summary = _("All products")

    def get_products(self):
        return Product.objects.browsable().base_queryset().order_by("-date_created", "-pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(paginate(self.request, self.get_products()))
        context["products"] = [SimpleNamespace(object=product)
                               for product in context["page_obj"].object_list]
        context["summary"] = self.summary
        return context


class ProductCategoryView(CatalogueView):
    """A category's products and those of its subcategories."""

    template_name = "oscar/catalogue/category.html"

    def get(self, request, *args, **kwargs):
        self.category = get_object_or_404(Category, pk=kwargs["pk"])
        # Staff may look at a hidden category, to check its layout.
        if not (self.category.is_public or request.user.is_staff):
            raise Http404
        expected_path = self.category.get_absolute_url()
        if unquote(expected_path) != unquote(request.path):  # the slug has changed
            return HttpResponsePermanentRedirect(expected_path)
        return super().get(request, *args, **kwargs)

    def get_products(self):
        in_category = Product.objects.browsable().filter(
            categories__in=self.category.get_descendants_and_self()).values("pk")
        return super().get_products().filter(pk__in=in_category)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["category"] = self.category
        context["summary"] = self.category.name
        return context
