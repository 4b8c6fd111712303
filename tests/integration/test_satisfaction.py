"""Satisfaction surveys: sent once when a ticket is resolved, e-mailed with five one-click links
in the customer's language, answered and changed on the token page, the agent alerted on a low
score, tokens looked up in the request's tenant only, and the CSAT report's numbers per agent,
team and month on a fixed data set, with agents seeing only their own."""

import datetime
import re

import pytest
from django.conf import settings
from django.test import Client
from django_tenants.utils import tenant_context

from core.accounts import create_user
from core.models import AuditEntry
from core.roles import MANAGER, PORTAL_CUSTOMER, SALES_REP, SERVICE_AGENT
from crm_apps.customers.models import Contact, Team
from crm_apps.service import satisfaction, services
from crm_apps.service.models import SatisfactionSurvey, Ticket
from realtime.models import Notification
from tests.fixtures.world import host_client, signed_in

HOST = "acme.localhost"
UTC = datetime.UTC
LOW = "service.low_satisfaction"


@pytest.fixture
def desk(in_acme):
    """Agents Ann (team Alpha) and Bob (team Beta), a manager, and two customers: Jane writes
    English, Wei reads Chinese in the portal."""
    from tenants.models import Plan

    in_acme.tenant.plan = Plan.objects.create(code="unlimited-test", name="Unlimited")
    in_acme.tenant.save()
    ann = create_user(email="ann@acme.example", password="test-pass-123", role=SERVICE_AGENT,
                      first_name="Ann", last_name="Agent")
    bob = create_user(email="bob@acme.example", password="test-pass-123", role=SERVICE_AGENT,
                      first_name="Bob", last_name="Agent")
    manager = create_user(email="boss@acme.example", password="test-pass-123", role=MANAGER)
    alpha = Team.objects.create(name="Alpha", lead=manager)
    alpha.members.add(ann)
    beta = Team.objects.create(name="Beta")
    beta.members.add(bob)
    wei_login = create_user(email="wei@example.cn", password="test-pass-123",
                            role=PORTAL_CUSTOMER, language="zh-hans")
    jane = Contact.objects.create(first_name="Jane", last_name="Doe", email="jane@example.com")
    wei = Contact.objects.create(first_name="Wei", last_name="Zhang", email="wei@example.cn",
                                 portal_user=wei_login)
    return {"ann": ann, "bob": bob, "manager": manager, "alpha": alpha, "beta": beta,
            "jane": jane, "wei": wei}


def ticket(desk, *, agent="ann", team="alpha", contact="jane", status="open", **fields):
    return Ticket.objects.create(
        subject=fields.pop("subject", "Printer jams"), status=status,
        contact=desk[contact] if contact else None, owner=desk[agent] if agent else None,
        team=desk[team] if team else None, **fields)


def score_links(message) -> list[str]:
    return re.findall(r"https?://[^\s\"<>]+/survey/[^\s\"<>]+\?score=\d", message.body)


def page(survey) -> str:
    return f"/survey/{survey.token}/"


# --- sending ------------------------------------------------------------------------------

def test_resolving_through_the_desk_sends_exactly_one_survey(
        desk, mailoutbox, django_capture_on_commit_callbacks):
    resolved = ticket(desk)
    with django_capture_on_commit_callbacks(execute=True):
        services.change_status(resolved, Ticket.Status.RESOLVED, by=desk["ann"])
    survey = SatisfactionSurvey.objects.get()
    assert (survey.ticket_id, survey.agent_id, survey.team_id) == (
        resolved.pk, desk["ann"].pk, desk["alpha"].pk)
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["jane@example.com"]
    assert resolved.number in mailoutbox[0].subject
    # Resolving an already resolved ticket changes nothing and sends nothing.
    with django_capture_on_commit_callbacks(execute=True):
        services.change_status(resolved, Ticket.Status.RESOLVED, by=desk["ann"])
    assert len(mailoutbox) == 1
    assert SatisfactionSurvey.objects.count() == 1


def test_a_reopened_ticket_keeps_one_survey(desk, mailoutbox,
                                            django_capture_on_commit_callbacks):
    reopened = ticket(desk)
    with django_capture_on_commit_callbacks(execute=True):
        services.change_status(reopened, Ticket.Status.RESOLVED, by=desk["ann"])
    first = SatisfactionSurvey.objects.get()
    # Never answered: resolved again by Bob, the same survey goes out again, credited to Bob.
    services.assign(reopened, owner=desk["bob"], team=desk["beta"], by=desk["manager"])
    with django_capture_on_commit_callbacks(execute=True):
        services.change_status(reopened, Ticket.Status.OPEN, by=desk["bob"])
        services.change_status(reopened, Ticket.Status.RESOLVED, by=desk["bob"])
    again = SatisfactionSurvey.objects.get()
    assert again.token == first.token
    assert (again.agent_id, again.team_id) == (desk["bob"].pk, desk["beta"].pk)
    assert len(mailoutbox) == 2
    assert score_links(mailoutbox[1]) == score_links(mailoutbox[0])
    # Answered: a further reopen and resolve sends nothing and keeps the score and the agent.
    satisfaction.answer(again, 4)
    with django_capture_on_commit_callbacks(execute=True):
        services.change_status(reopened, Ticket.Status.OPEN, by=desk["ann"])
        services.change_status(reopened, Ticket.Status.RESOLVED, by=desk["ann"])
    assert len(mailoutbox) == 2
    kept = SatisfactionSurvey.objects.get()
    assert (kept.score, kept.agent_id) == (4, desk["bob"].pk)


def test_the_email_has_five_one_click_links(desk, mailoutbox,
                                            django_capture_on_commit_callbacks):
    resolved = ticket(desk)
    with django_capture_on_commit_callbacks(execute=True):
        survey = satisfaction.send_survey(resolved)
    message = mailoutbox[0]
    links = score_links(message)
    assert [link.split(HOST, 1)[1].lstrip(":0123456789") for link in links] == [
        f"/survey/{survey.token}/?score={score}" for score in range(1, 6)]
    html = message.alternatives[0][0]
    for score in range(1, 6):
        assert f"/survey/{survey.token}/?score={score}" in html
    assert 'lang="en"' in html


def test_the_email_is_in_the_customers_language(desk, mailoutbox,
                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        satisfaction.send_survey(ticket(desk, contact="wei"))
        satisfaction.send_survey(ticket(desk, contact=None, requester_email="li@example.cn",
                                        subject="打印机卡纸"))
        satisfaction.send_survey(ticket(desk, contact=None, requester_email="bo@example.com",
                                        subject="Printer jams again"))
    by_recipient = {message.to[0]: message.alternatives[0][0] for message in mailoutbox}
    assert 'lang="zh-hans"' in by_recipient["wei@example.cn"]  # the portal choice
    assert 'lang="zh-hans"' in by_recipient["li@example.cn"]  # wrote in Chinese
    assert f'lang="{settings.LANGUAGE_CODE}"' in by_recipient["bo@example.com"]


def test_a_ticket_without_an_address_gets_a_survey_but_no_email(
        desk, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        survey = satisfaction.send_survey(ticket(desk, contact=None))
    assert survey.pk is not None
    assert mailoutbox == []


# --- answering ------------------------------------------------------------------------------

def test_one_click_records_the_score_and_the_page_adds_a_comment(desk):
    survey = satisfaction.send_survey(ticket(desk, status="resolved"))
    client = Client(HTTP_HOST=HOST, enforce_csrf_checks=True)
    clicked = client.get(page(survey), {"score": "4"})
    assert clicked.status_code == 200
    assert b'id="survey-thanks"' in clicked.content
    survey.refresh_from_db()
    assert survey.score == 4
    first_answered = survey.answered_at
    assert first_answered is not None
    # Opening the link again (a mail scanner, a second click) changes nothing.
    assert client.get(page(survey), {"score": "4"}).status_code == 200
    assert AuditEntry.objects.filter(record_type="service.satisfactionsurvey",
                                     record_id=str(survey.pk), action="updated").count() == 1
    # The page's form changes the score and adds a comment, with the CSRF token only.
    assert client.post(page(survey), {"score": "5", "comment": "Quick!"}).status_code == 403
    token = clicked.cookies[settings.CSRF_COOKIE_NAME].value
    saved = client.post(page(survey), {"score": "5", "comment": "  Quick and kind. ",
                                       "csrfmiddlewaretoken": token})
    assert saved.status_code == 303
    assert saved["Location"] == page(survey) + "?saved=1"
    survey.refresh_from_db()
    assert (survey.score, survey.comment, survey.answered_at) == (
        5, "Quick and kind.", first_answered)
    # A later click keeps the comment.
    client.get(page(survey), {"score": "3"})
    survey.refresh_from_db()
    assert (survey.score, survey.comment) == (3, "Quick and kind.")
    entry = AuditEntry.objects.filter(record_type="service.satisfactionsurvey",
                                      record_id=str(survey.pk)).order_by("id").last()
    assert entry.changes["score"] == [5, 3]


@pytest.mark.parametrize("score", ["0", "6", "abc", "", "4.5", "-1"])
def test_a_score_out_of_range_is_400(desk, score):
    survey = satisfaction.send_survey(ticket(desk, status="resolved"))
    client = host_client(HOST)
    clicked = client.get(page(survey), {"score": score})
    assert clicked.status_code == 400
    assert b"Choose a score from 1 to 5." in clicked.content
    posted = client.post(page(survey), {"score": score, "comment": "x"})
    assert posted.status_code == 400
    survey.refresh_from_db()
    assert (survey.score, survey.comment, survey.answered_at) == (None, "", None)
    with pytest.raises(satisfaction.SurveyError):
        satisfaction.answer(survey, score)


def test_a_too_long_comment_is_400(desk):
    survey = satisfaction.send_survey(ticket(desk, status="resolved"))
    response = host_client(HOST).post(page(survey), {"score": "3", "comment": "x" * 2001})
    assert response.status_code == 400
    survey.refresh_from_db()
    assert survey.score is None


def test_unknown_tokens_are_404(desk):
    client = host_client(HOST)
    assert client.get("/survey/no-such-token/").status_code == 404
    assert client.get("/survey/no-such-token/", {"score": "5"}).status_code == 404
    assert client.post("/survey/no-such-token/", {"score": "5"}).status_code == 404


def test_a_binned_tickets_survey_is_404(desk):
    binned = ticket(desk, status="resolved")
    survey = satisfaction.send_survey(binned)
    Ticket.everything.filter(pk=binned.pk).update(deleted_at=datetime.datetime.now(UTC))
    assert host_client(HOST).get(page(survey), {"score": "1"}).status_code == 404


def test_an_acme_token_is_404_on_globex(desk, globex, in_acme):
    survey = satisfaction.send_survey(ticket(desk, status="resolved"))
    other = host_client(globex.host)
    assert other.get(page(survey)).status_code == 404
    assert other.get(page(survey), {"score": "1"}).status_code == 404
    assert other.post(page(survey), {"score": "1"}).status_code == 404
    with tenant_context(in_acme.tenant):  # the requests left the connection on globex
        survey.refresh_from_db()
        assert survey.score is None


def test_the_agent_is_alerted_once_when_a_score_turns_low(desk):
    survey = satisfaction.send_survey(ticket(desk, status="resolved"))
    host_client(HOST).get(page(survey), {"score": "2"})
    alerts = list(Notification.objects.filter(kind=LOW))
    assert [(n.recipient_id, n.link) for n in alerts] == [
        (desk["ann"].pk, f"/app/service/{survey.ticket_id}/")]
    assert "2/5" in alerts[0].title
    satisfaction.answer(survey, 1, "Still broken")  # still low: no second alert
    assert Notification.objects.filter(kind=LOW).count() == 1
    satisfaction.answer(survey, 5)
    satisfaction.answer(survey, 1)  # low again after a good score: alerted again
    assert Notification.objects.filter(kind=LOW).count() == 2


def test_good_scores_alert_nobody_and_an_unassigned_ticket_alerts_the_team_lead(desk):
    good = satisfaction.send_survey(ticket(desk, status="resolved"))
    for score in (3, 4, 5):
        satisfaction.answer(good, score)
    assert not Notification.objects.filter(kind=LOW).exists()
    unassigned = satisfaction.send_survey(ticket(desk, agent=None, status="resolved"))
    satisfaction.answer(unassigned, 1)
    assert list(Notification.objects.filter(kind=LOW).values_list("recipient_id", flat=True)
                ) == [desk["manager"].pk]


# --- the CSAT report ------------------------------------------------------------------------

def answered(desk, score, when, *, agent="ann", team="alpha"):
    survey = SatisfactionSurvey.objects.create(
        ticket=ticket(desk, status="resolved"), agent=desk[agent] if agent else None,
        team=desk[team] if team else None)
    SatisfactionSurvey.objects.filter(pk=survey.pk).update(score=score, answered_at=when)
    return survey


@pytest.fixture
def scores(desk):
    """Ann (Alpha): 5, 4 in September, 2 in October; Bob (Beta): 3, 5 in October; nobody's
    (Beta): 1 in November; one survey never answered."""
    noon = datetime.time(12, 0, tzinfo=UTC)
    on = lambda month, day: datetime.datetime.combine(datetime.date(2026, month, day), noon)  # noqa: E731
    answered(desk, 5, on(9, 10))
    answered(desk, 4, on(9, 20))
    answered(desk, 2, on(10, 5))
    answered(desk, 3, on(10, 15), agent="bob", team="beta")
    answered(desk, 5, on(10, 16), agent="bob", team="beta")
    answered(desk, 1, on(11, 3), agent=None, team="beta")
    SatisfactionSurvey.objects.create(ticket=ticket(desk), agent=desk["ann"])
    return desk


def rows(report, group) -> dict:
    return {row["label"]: (row["responses"], row["average"], row["satisfied_percent"])
            for row in report[group]}


def test_the_csat_numbers_per_agent_team_and_month(scores):
    report = signed_in(HOST, "boss@acme.example").get("/api/v1/service-reports/csat/").json()
    assert rows(report, "agents") == {
        "Ann Agent": (3, "3.67", "66.7"), "Bob Agent": (2, "4.00", "50.0"),
        "No agent": (1, "1.00", "0.0")}
    assert rows(report, "teams") == {"Alpha": (3, "3.67", "66.7"), "Beta": (3, "3.00", "33.3")}
    assert [row["key"] for row in report["months"]] == ["2026-09", "2026-10", "2026-11"]
    assert rows(report, "months") == {"2026-09": (2, "4.50", "100.0"),
                                      "2026-10": (3, "3.33", "33.3"),
                                      "2026-11": (1, "1.00", "0.0")}
    assert (report["total"]["responses"], report["total"]["average"],
            report["total"]["satisfied_percent"]) == (6, "3.33", "50.0")


@pytest.mark.parametrize(("query", "expected"), [
    ({"period": "2026-10"}, (3, "3.33", "33.3")),
    ({"period": "2026-Q3"}, (2, "4.50", "100.0")),
    ({"since": "2026-09-15", "until": "2026-10-15"}, (3, "3.00", "33.3")),
    ({"team": "beta"}, (3, "3.00", "33.3")),
    ({"agent": "bob"}, (2, "4.00", "50.0")),
    ({"period": "2025-01"}, (0, None, None)),
])
def test_the_csat_filters(scores, query, expected):
    query = {name: scores[value].pk if value in scores else value
             for name, value in query.items()}
    total = signed_in(HOST, "admin@acme.example").get(
        "/api/v1/service-reports/csat/", query).json()["total"]
    assert (total["responses"], total["average"], total["satisfied_percent"]) == expected


@pytest.mark.parametrize("query", [
    {"period": "2026-13"}, {"period": "soon"}, {"since": "yesterday"},
    {"until": "2026-02-30"}, {"team": "999999"}, {"team": "x"}, {"agent": "999999"}])
def test_bad_report_filters_are_400(scores, query):
    client = signed_in(HOST, "boss@acme.example")
    api = client.get("/api/v1/service-reports/csat/", query)
    assert api.status_code == 400
    assert set(api.json()) == set(query)
    assert client.get("/app/service/reports/", query).status_code == 400


def test_agents_see_only_their_own_scores(scores):
    client = signed_in(HOST, "ann@acme.example")
    report = client.get("/api/v1/service-reports/csat/").json()
    assert rows(report, "agents") == {"Ann Agent": (3, "3.67", "66.7")}
    assert rows(report, "teams") == {"Alpha": (3, "3.67", "66.7")}
    assert report["total"]["responses"] == 3
    # Asking for a colleague does not widen the scope.
    bob = client.get("/api/v1/service-reports/csat/", {"agent": scores["bob"].pk}).json()
    assert bob["total"]["responses"] == 0
    html = client.get("/app/service/reports/").content.decode()
    assert "Ann Agent" in html
    assert "Bob Agent" not in html
    assert 'id="total-responses">3<' in html


def test_the_csat_page_shows_the_numbers_to_managers(scores):
    response = signed_in(HOST, "boss@acme.example").get("/app/service/reports/",
                                                        {"period": "2026-10"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="total-responses">3<' in html
    assert 'id="total-average">3.33<' in html
    assert "Bob Agent" in html
    assert "2026-10" in html


def test_who_may_read_the_csat_report(scores):
    create_user(email="rep2@acme.example", password="test-pass-123", role=SALES_REP)
    rep = signed_in(HOST, "rep@acme.example")
    assert rep.get("/api/v1/service-reports/csat/").status_code == 403
    assert rep.get("/app/service/reports/").status_code == 403
    anonymous = host_client(HOST)
    assert anonymous.get("/api/v1/service-reports/csat/").status_code in (401, 403)
    assert anonymous.get("/app/service/reports/").status_code == 302
    customer = host_client(HOST, email="customer@acme.example", login_path="/portal/login/")
    assert customer.get("/api/v1/service-reports/csat/").status_code == 403


def test_globex_sees_none_of_acmes_scores(scores, globex):
    report = signed_in(globex.host, "admin@globex.example").get(
        "/api/v1/service-reports/csat/").json()
    assert report["total"]["responses"] == 0
    assert report["agents"] == []
