"""Knowledge-base reads and counters: search (English and Chinese), suggestions, views, votes."""

import contextlib
import json
import re
from functools import reduce
from operator import or_

from django.db import transaction
from django.db.models import F, Q
from django.http import JsonResponse
from django.urls import reverse
from django.utils import translation
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from cms.models import ArticleStats, ArticleVote, FaqArticlePage, FaqCategoryPage

MAX_QUERY_LENGTH = 200
MAX_TERMS = 16
SNIPPET_CHARS = 160
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"([{_CJK}]+)")
_TOKEN = re.compile(r"\w+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Where a term is found counts for more in a title than in a summary, and there than in a body.
_FIELD_WEIGHTS = {"title": 3.0, "summary": 2.0, "body": 1.0}
# A hit from PostgreSQL's full-text search (stems, "refunds" finds "refund") outranks a bare
# substring hit of the same strength.
_FULL_TEXT_BONUS = 10.0


def live_articles():
    """Published, unrestricted articles whose category is published too (this tenant only:
    every tenant's pages live in its own schema)."""
    articles = FaqArticlePage.objects.live().public()
    hidden = list(FaqCategoryPage.objects.not_live().values_list("path", flat=True))
    if hidden:
        articles = articles.exclude(reduce(or_, [Q(path__startswith=path) for path in hidden]))
    return articles


def search_terms(query: str) -> list[str]:
    """Words of the query; Chinese runs, having no spaces, also as overlapping pairs of
    characters, so 如何申请退款 finds an article about 退款."""
    terms: list[str] = []
    for token in _TOKEN.findall(query.lower()):
        for part in _CJK_RUN.split(token):
            if not part:
                continue
            if _CJK_RUN.fullmatch(part):
                terms.append(part)
                terms.extend(part[i:i + 2] for i in range(len(part) - 1) if len(part) > 2)
            elif len(part) >= 3 or part.isdigit():
                terms.append(part)
    return list(dict.fromkeys(terms))[:MAX_TERMS]


def _texts(article: FaqArticlePage) -> dict[str, tuple[str, str]]:
    return {
        "title": (article.title.lower(), article.title_zh.lower()),
        "summary": (article.summary.lower(), article.summary_zh.lower()),
        "body": (strip_tags(article.body).lower(), strip_tags(article.body_zh).lower()),
    }


def _substring_score(article, terms: list[str], chinese_first: bool) -> float:
    """Each term counts once, by the best place it appears (a longer term says more)."""
    weights = (0.8, 1.0) if chinese_first else (1.0, 0.8)
    places = [(_FIELD_WEIGHTS[field] * language_weight, text)
              for field, pair in _texts(article).items()
              for text, language_weight in zip(pair, weights, strict=True)]
    return sum(max((weight for weight, text in places if term in text), default=0.0)
               * len(term) for term in terms)


def _full_text_ids(query: str, limit: int) -> list[int]:
    results = FaqArticlePage.objects.live().search(query, operator="or")[:limit]
    return [article.pk for article in results]


def search(query: str, language: str | None = None, limit: int = 20) -> list[FaqArticlePage]:
    """Live articles matching ``query`` in either language, best first.

    PostgreSQL full-text search finds English words by their stems but sees a Chinese sentence
    as one word; substring matches of the query's words and Chinese character pairs cover
    that, and every candidate is ranked by where and how much of the query it contains.
    """
    # PostgreSQL refuses NUL characters in text; other control characters mean nothing here.
    query = _CONTROL.sub(" ", query or "").strip()
    if not query or len(query) > MAX_QUERY_LENGTH or limit <= 0:
        return []
    terms = search_terms(query)
    full_text = _full_text_ids(query, limit * 3)
    matches = Q(pk__in=full_text)
    for term in terms:
        for field in ("title", "title_zh", "summary", "summary_zh", "body", "body_zh"):
            matches |= Q(**{f"{field}__icontains": term})
    candidates = list(live_articles().filter(matches).select_related("stats")[:limit * 10])
    chinese_first = (language or translation.get_language() or "").lower().startswith("zh")
    rank = {pk: position for position, pk in enumerate(full_text)}

    def score(article):
        bonus = _FULL_TEXT_BONUS + len(full_text) - rank[article.pk] if article.pk in rank else 0
        return _substring_score(article, terms, chinese_first) + bonus

    scored = [(score(article), article) for article in candidates]
    scored = [item for item in scored if item[0] > 0]
    scored.sort(key=lambda item: (-item[0], -views_of(item[1]), item[1].title))
    return [article for _score, article in scored[:limit]]


def views_of(article: FaqArticlePage) -> int:
    try:
        return article.stats.views
    except ArticleStats.DoesNotExist:
        return 0


def snippet(article: FaqArticlePage) -> str:
    """A line about the article in the reader's language: its summary, or its body's start."""
    return article.reader_summary or Truncator(strip_tags(article.reader_body)).chars(
        SNIPPET_CHARS)


def portal_url(article: FaqArticlePage) -> str:
    return reverse("portal:help-article", args=[article.pk])


def suggest(text: str, language: str | None = None, limit: int = 5) -> list[dict]:
    """Articles that may answer ``text`` (a ticket subject): title, site url and snippet in
    the reader's language, plus the article's id and its page in the customer portal."""
    override = translation.override(language) if language else contextlib.nullcontext()
    with override:
        return [{"id": article.pk, "title": article.reader_title,
                 "url": article.get_url() or "", "portal_url": portal_url(article),
                 "snippet": snippet(article)}
                for article in search((text or "")[:MAX_QUERY_LENGTH], language, limit)]


def most_viewed(limit: int = 5) -> list[FaqArticlePage]:
    """The most read live articles (those read at least once), most read first."""
    return list(live_articles().filter(stats__views__gt=0).select_related("stats")
                .order_by("-stats__views", "title")[:limit])


def _ensure_stats(article: FaqArticlePage) -> None:
    ArticleStats.objects.get_or_create(article_id=article.pk)


def record_view(article: FaqArticlePage) -> None:
    """Count one view with a single UPDATE, so concurrent readers never overwrite each other."""
    if not ArticleStats.objects.filter(article_id=article.pk).update(views=F("views") + 1):
        _ensure_stats(article)
        ArticleStats.objects.filter(article_id=article.pk).update(views=F("views") + 1)


def stats_of(article: FaqArticlePage) -> ArticleStats:
    return ArticleStats.objects.filter(article_id=article.pk).first() or ArticleStats(
        article_id=article.pk)


def _counter(helpful: bool) -> str:
    return "helpful_yes" if helpful else "helpful_no"


def vote(article: FaqArticlePage, reader_key: str, helpful: bool) -> ArticleStats:
    """Record a reader's answer once; a reader who changes their mind moves their one vote."""
    with transaction.atomic():
        _ensure_stats(article)
        counters = ArticleStats.objects.filter(article_id=article.pk)
        existing, created = ArticleVote.objects.get_or_create(
            article_id=article.pk, reader_key=reader_key, defaults={"helpful": helpful})
        if created:
            counters.update(**{_counter(helpful): F(_counter(helpful)) + 1})
        elif existing.helpful != helpful and ArticleVote.objects.filter(
                pk=existing.pk, helpful=existing.helpful).update(helpful=helpful):
            counters.update(**{_counter(helpful): F(_counter(helpful)) + 1,
                               _counter(not helpful): F(_counter(not helpful)) - 1})
    return stats_of(article)


def reader_key(request) -> str:
    """Who is voting: the signed-in user, else the browser's session (created if needed)."""
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    if not request.session.session_key:
        request.session.save()
    return f"session:{request.session.session_key}"


_ANSWERS = {"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False}


def _helpful_from(request) -> bool | None:
    if request.content_type == "application/json":
        try:
            value = json.loads(request.body or b"{}").get("helpful")
        except (ValueError, AttributeError):
            return None
    else:
        value = request.POST.get("helpful")
    if isinstance(value, bool):
        return value
    return _ANSWERS.get(str(value).lower()) if isinstance(value, str | int) else None


def vote_response(request, article: FaqArticlePage) -> JsonResponse:
    """The JSON endpoint behind the "was this helpful" buttons (POST, CSRF-protected)."""
    if request.method != "POST":
        return JsonResponse({"error": _("Send your vote with POST.")}, status=405)
    helpful = _helpful_from(request)
    if helpful is None:
        return JsonResponse({"error": _('Answer "yes" or "no".')}, status=400)
    stats = vote(article, reader_key(request), helpful)
    return JsonResponse({"helpful": helpful, "helpful_yes": stats.helpful_yes,
                         "helpful_no": stats.helpful_no,
                         "message": _("Thank you for your feedback.")})
