"""Each user's saved language (User.preferred_language) takes over the moment they sign in."""

from django.conf import settings
from django.utils import translation

# Set on the request by the sign-in, read on the way out by LoginLanguageMiddleware.
REQUEST_MARK = "login_language"


def activate_preferred_language(sender, request, user, **kwargs):
    """``user_logged_in`` receiver: LocaleMiddleware only reads the cookie and the browser's
    Accept-Language, so the saved choice is made active here and stored in the cookie below."""
    language = getattr(user, "preferred_language", "")
    if request is None or not language or not translation.check_for_language(language):
        return
    translation.activate(language)
    request.LANGUAGE_CODE = translation.get_language()
    setattr(request, REQUEST_MARK, language)


class LoginLanguageMiddleware:
    """Sets the language cookie on the response of a sign-in (a cookie the view itself set is
    left alone), and saves a language a signed-in user picks in the page header, so the next
    sign-in does not bring back an older choice."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        language = getattr(request, REQUEST_MARK, "")
        if language and settings.LANGUAGE_COOKIE_NAME not in response.cookies:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE)
        elif self.picked_in_header(request, response):
            remember_choice(request.user, response.cookies[settings.LANGUAGE_COOKIE_NAME].value)
        return response

    @staticmethod
    def picked_in_header(request, response) -> bool:
        match = getattr(request, "resolver_match", None)
        return (match is not None and match.url_name == "set_language"
                and settings.LANGUAGE_COOKIE_NAME in response.cookies
                and getattr(request, "user", None) is not None
                and request.user.is_authenticated)


def remember_choice(user, language: str) -> None:
    if language != user.preferred_language and translation.check_for_language(language):
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])
