"""The customer's survey page, opened from the e-mailed links without signing in: the token is
the credential and is looked up in the request tenant's schema only. A click on a score records
it at once; the page then takes a comment or a different score."""

from django import forms
from django.conf import settings
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views import View

from core.forms import BootstrapFormMixin
from crm_apps.customization.models import Branding
from crm_apps.service import satisfaction
from crm_apps.service.models import SatisfactionSurvey


class SurveyForm(BootstrapFormMixin, forms.Form):
    score = forms.TypedChoiceField(
        label=_("Your score"), coerce=int, widget=forms.RadioSelect,
        choices=[(score, str(score)) for score in satisfaction.SCORES],
        error_messages={"required": _("Choose a score from 1 to 5."),
                        "invalid_choice": _("Choose a score from 1 to 5.")})
    comment = forms.CharField(label=_("Anything you would like to tell us? (optional)"),
                              required=False, max_length=satisfaction.COMMENT_MAX_LENGTH,
                              widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()


class SurveyView(View):
    """GET shows the survey (recording ``?score=N`` first); POST saves score and comment."""

    def get_survey(self, token: str) -> SatisfactionSurvey:
        survey = get_object_or_404(
            SatisfactionSurvey.objects.select_related("ticket", "ticket__contact",
                                                      "ticket__contact__portal_user"),
            token=token, ticket__deleted_at__isnull=True)
        if settings.LANGUAGE_COOKIE_NAME not in self.request.COOKIES:
            language = satisfaction.language_of(survey.ticket)
            translation.activate(language)
            self.request.LANGUAGE_CODE = language
        return survey

    def render_page(self, survey, *, form=None, error="", thanks=False, status=200):
        initial = {"score": survey.score, "comment": survey.comment}
        context = {"survey": survey, "ticket": survey.ticket, "branding": Branding.current(),
                   "form": form or SurveyForm(initial=initial), "error": error,
                   "thanks": thanks, "scores": satisfaction.SCORES}
        return render(self.request, "service/survey.html", context, status=status)

    def get(self, request, token):
        survey = self.get_survey(token)
        if "score" not in request.GET:
            return self.render_page(survey, thanks=request.GET.get("saved") == "1")
        try:
            survey = satisfaction.answer(survey, request.GET["score"])
        except satisfaction.SurveyError as error:
            return self.render_page(survey, error=error.message, status=error.status)
        return self.render_page(survey, thanks=True)

    def post(self, request, token):
        survey = self.get_survey(token)
        form = SurveyForm(request.POST)
        if not form.is_valid():
            return self.render_page(survey, form=form, status=400)
        try:
            satisfaction.answer(survey, form.cleaned_data["score"],
                                form.cleaned_data["comment"])
        except satisfaction.SurveyError as error:
            return self.render_page(survey, form=form, error=error.message,
                                    status=error.status)
        return HttpResponseRedirect(
            reverse("survey:answer", args=[token]) + "?saved=1", status=303)
