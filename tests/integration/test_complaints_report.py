"""The complaints report: complaints grouped by the first line of their root cause (any case)
and by severity, open against closed, the average hours from opening to closing on a fixed
data set, the period and team filters, who may read it, and tenant isolation."""

import datetime

import pytest
from django.utils import timezone

from core.accounts import create_user
from core.roles import MANAGER, SERVICE_AGENT
from crm_apps.customers.models import Team
from crm_apps.service import reports
from crm_apps.service.models import Ticket
from tests.fixtures.world import host_client, signed_in

HOST = "acme.localhost"
UTC = datetime.UTC
API = "/api/v1/service-reports/complaints/"
PAGE = "/app/service/reports/complaints/"


def at(month, day, hour=0):
    return datetime.datetime(2026, month, day, hour, tzinfo=UTC)


def complaint(*, created, root_cause="", severity="", status="open", closed_at=None,
              team=None, kind="complaint"):
    closed = status == "closed"
    return Ticket.objects.create(
        subject="Unhappy", kind=kind, created=created, root_cause=root_cause,
        severity=severity, status=status, team=team,
        corrective_action="Refund and apology" if closed else "",
        signed_off_at=closed_at if closed else None, closed_at=closed_at,
        resolved_at=closed_at)


@pytest.fixture
def book(in_acme):
    """Five complaints of October and November, a question that names a cause, and a binned
    complaint (neither counts)."""
    from tenants.models import Plan

    in_acme.tenant.plan = Plan.objects.create(code="unlimited-test", name="Unlimited")
    in_acme.tenant.save()
    create_user(email="boss@acme.example", password="test-pass-123", role=MANAGER)
    create_user(email="ann@acme.example", password="test-pass-123", role=SERVICE_AGENT)
    north = Team.objects.create(name="North")
    # Late delivery: closed after 24 h and after 12 h, one still open.
    complaint(created=at(10, 1), root_cause="Late delivery\nThe carrier lost the parcel",
              severity="major", status="closed", closed_at=at(10, 2), team=north)
    complaint(created=at(10, 3, 10), root_cause="late delivery", severity="minor",
              status="closed", closed_at=at(10, 3, 22))
    complaint(created=at(10, 4), root_cause="  LATE   delivery.  ", severity="major",
              team=north)
    # Resolved but not yet signed off and closed: still open.
    complaint(created=at(10, 5), root_cause="Wrong item shipped", severity="critical",
              status="resolved", closed_at=None)
    complaint(created=at(11, 2), status="new")
    complaint(created=at(10, 6), root_cause="Late delivery", kind="question")
    binned = complaint(created=at(10, 7), root_cause="Late delivery", severity="major")
    Ticket.everything.filter(pk=binned.pk).update(deleted_at=timezone.now())
    return {"north": north}


def table(rows) -> dict:
    return {row["label"]: (row["total"], row["open"], row["closed"],
                           row["average_hours_to_close"]) for row in rows}


def test_complaints_by_cause_and_severity(book):
    report = signed_in(HOST, "boss@acme.example").get(API)
    assert report.status_code == 200
    body = report.json()
    assert table(body["causes"]) == {
        "Late delivery": (3, 1, 2, "18.0"),
        "Wrong item shipped": (1, 1, 0, None),
        "Not recorded yet": (1, 1, 0, None),
    }
    assert [row["label"] for row in body["causes"]][0] == "Late delivery"  # the biggest first
    assert [row["key"] for row in body["causes"]][0] == "late delivery"
    assert table(body["severities"]) == {
        "Critical": (1, 1, 0, None),
        "Major": (2, 1, 1, "24.0"),
        "Minor": (1, 0, 1, "12.0"),
        "Not set": (1, 1, 0, None),
    }
    assert [row["key"] for row in body["severities"]] == ["critical", "major", "minor", ""]
    assert table([body["total"]]) == {"All": (5, 3, 2, "18.0")}


@pytest.mark.parametrize(("query", "expected"), [
    ({"period": "2026-10"}, (4, 2, 2, "18.0")),
    ({"period": "2026-11"}, (1, 1, 0, None)),
    ({"since": "2026-10-03", "until": "2026-10-04"}, (2, 1, 1, "12.0")),
    ({"team": "north"}, (2, 1, 1, "24.0")),
    ({"severity": "major"}, (2, 1, 1, "24.0")),
])
def test_the_complaint_filters(book, query, expected):
    query = {name: book[value].pk if value in book else value for name, value in query.items()}
    body = signed_in(HOST, "admin@acme.example").get(API, query).json()
    assert table([body["total"]]) == {"All": expected}


@pytest.mark.parametrize("query", [{"severity": "huge"}, {"period": "2026-Q5"},
                                   {"since": "1.10.2026"}, {"team": "0"}])
def test_bad_filters_are_400(book, query):
    client = signed_in(HOST, "boss@acme.example")
    response = client.get(API, query)
    assert response.status_code == 400
    assert set(response.json()) == set(query)
    assert client.get(PAGE, query).status_code == 400


def test_causes_are_grouped_by_their_first_line_whatever_the_case():
    assert reports.cause_of("Late delivery\nCarrier") == ("late delivery", "Late delivery")
    assert reports.cause_of("\n\n  LATE\tdelivery:  \r\nmore") == ("late delivery",
                                                                    "LATE delivery")
    assert reports.cause_of("") == ("", "")


def test_the_page_shows_the_report(book):
    response = signed_in(HOST, "boss@acme.example").get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Late delivery" in html
    assert "Wrong item shipped" in html
    assert "18.0" in html


def test_only_managers_and_admins_read_the_complaints_report(book):
    for email in ("ann@acme.example", "rep@acme.example"):
        client = signed_in(HOST, email)
        assert client.get(API).status_code == 403
        assert client.get(PAGE).status_code == 403
    assert signed_in(HOST, "admin@acme.example").get(PAGE).status_code == 200
    anonymous = host_client(HOST)
    assert anonymous.get(API).status_code in (401, 403)
    assert anonymous.get(PAGE).status_code == 302


def test_globex_sees_none_of_acmes_complaints(book, globex):
    client = signed_in(globex.host, "admin@globex.example")
    body = client.get(API).json()
    assert body["total"]["total"] == 0
    assert body["causes"] == []
    assert "Late delivery" not in client.get(PAGE).content.decode()
