"""The shop's search form: words to find, and an order."""

from django import forms
from django.utils.translation import gettext_lazy as _

MAX_QUERY_LENGTH = 200


class ProductSearchForm(forms.Form):
    RELEVANCE, NEWEST, TITLE_A_TO_Z, TITLE_Z_TO_A = "relevance", "newest", "title-asc", "title-desc"
    SORT_BY_CHOICES = [
        (RELEVANCE, _("Relevance")),
        (NEWEST, _("Newest")),
        (TITLE_A_TO_Z, _("Title A to Z")),
        (TITLE_Z_TO_A, _("Title Z to A")),
    ]

    q = forms.CharField(label=_("Search"), required=False, max_length=MAX_QUERY_LENGTH,
                        strip=True)
    sort_by = forms.ChoiceField(label=_("Sort by"), choices=SORT_BY_CHOICES, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sort_by"].widget.attrs["class"] = "form-control"
        self.fields["q"].widget.attrs["class"] = "form-control"

    @property
    def terms(self) -> list[str]:
        """The words of the query (Chinese is matched as written: it has no spaces to split)."""
        if not self.is_valid():
            return []
        return self.cleaned_data["q"].split()[:10]

    @property
    def sort(self) -> str:
        return (self.cleaned_data.get("sort_by") if self.is_valid() else "") or self.RELEVANCE
