"""Contracts: renewal reminders once per term, the notice window, automatic renewal and
expiry, manual renewal, the API with its validation, visibility by role, tenant isolation and
the account timeline."""

import datetime
import json
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_tenants.utils import tenant_context

from core.accounts import create_user
from core.roles import MANAGER, SALES_REP
from core.zones import tenant_zone_active
from crm_apps.activities.models import Activity
from crm_apps.contracts import services, tasks
from crm_apps.contracts.models import Contract
from crm_apps.customers.models import Account, Team
from realtime.models import Notification
from tests.fixtures.world import admin_token, host_client, post, signed_in

DAY = datetime.timedelta(days=1)


def tenant_today() -> datetime.date:
    with tenant_zone_active():
        return timezone.localdate()


def patch(client, path, payload):
    return client.patch(path, json.dumps(payload), content_type="application/json")


@pytest.fixture
def org(in_acme):
    """Two sales teams: rep (team North, led by a manager) and rep2 (team South)."""
    from tenants.models import Plan

    in_acme.tenant.plan = Plan.objects.create(code="unlimited-test", name="Unlimited")
    in_acme.tenant.save()
    rep = get_user_model().objects.get(email="rep@acme.example")
    rep2 = create_user(email="rep2@acme.example", password="test-pass-123", role=SALES_REP)
    manager = create_user(email="boss@acme.example", password="test-pass-123", role=MANAGER)
    north = Team.objects.create(name="North", lead=manager)
    north.members.add(rep)
    south = Team.objects.create(name="South")
    south.members.add(rep2)
    mine = Account.objects.create(name="Rep's own", owner=rep)
    theirs = Account.objects.create(name="South's", owner=rep2, team=south)
    return {"rep": rep, "rep2": rep2, "manager": manager, "mine": mine, "theirs": theirs,
            "south": south}


def contract(org, *, end, start=None, owner="rep", account="mine", **fields):
    return Contract.objects.create(
        name=fields.pop("name", "Support"), account=org[account], owner=org[owner],
        start=start or end - datetime.timedelta(days=364), end=end,
        value=fields.pop("value", Decimal("12000.50")), status=fields.pop("status", "active"),
        **fields)


def renewal_tasks():
    return Activity.objects.filter(kind="task", subject__startswith="Renew contract")


def test_contract_numbers_are_unique_and_ordered(in_acme, org):
    first = contract(org, end=tenant_today())
    second = contract(org, end=tenant_today())
    assert first.number.startswith("C-")
    assert second.number.startswith("C-")
    assert first.number != second.number
    assert first.number < second.number


def test_the_renewal_task_and_notification_are_made_once_per_term(in_acme, org):
    today = tenant_today()
    due = contract(org, end=today + 10 * DAY, renewal_notice_days=30)
    assert tasks.run_renewals()["reminded"] == 1
    assert tasks.run_renewals()["reminded"] == 0  # a second run finds nothing left
    made = list(renewal_tasks())
    assert len(made) == 1
    task = made[0]
    assert (task.account_id, task.owner_id, task.assignee_id) == (
        org["mine"].pk, org["rep"].pk, org["rep"].pk)
    assert task.due.date() == due.end - 30 * DAY
    assert due.number in task.subject
    sent = list(Notification.objects.filter(kind="contract.renewal_due"))
    assert [(n.recipient_id, n.link) for n in sent] == [
        (org["rep"].pk, f"/app/contracts/{due.pk}/")]
    due.refresh_from_db()
    assert due.renewal_task_id == task.pk
    assert due.renewal_reminded_at is not None


@pytest.mark.parametrize(("days_to_end", "notice_days", "reminded"), [
    (30, 30, True),    # first day of the window
    (31, 30, False),   # one day before it
    (0, 30, True),     # the last day of the term
    (-1, 30, False),   # ended: renewed or expired, not reminded
    (7, 7, True),
    (8, 7, False),
    (0, 0, True),      # no notice: the reminder comes on the last day
])
def test_the_notice_window_boundaries(in_acme, org, days_to_end, notice_days, reminded):
    today = tenant_today()
    contract(org, end=today + days_to_end * DAY, renewal_notice_days=notice_days)
    assert services.send_renewal_reminders(today) == int(reminded)
    assert renewal_tasks().count() == int(reminded)


def test_only_active_contracts_are_reminded(in_acme, org):
    today = tenant_today()
    for status in ("draft", "expired", "cancelled", "renewed"):
        contract(org, end=today + 5 * DAY, status=status)
    assert services.send_renewal_reminders(today) == 0
    assert not Notification.objects.filter(kind="contract.renewal_due").exists()


def test_auto_renew_makes_the_next_term_once(in_acme, org):
    today = tenant_today()
    old = contract(org, start=datetime.date(2025, 1, 1), end=today - DAY, auto_renew=True,
                   value=Decimal("999.99"), currency="USD", billing_period="monthly",
                   renewal_notice_days=15)
    old.start = old.end - datetime.timedelta(days=99)
    old.save()
    assert tasks.run_renewals()["renewed"] == 1
    assert tasks.run_renewals()["renewed"] == 0
    old.refresh_from_db()
    assert old.status == "renewed"
    following = Contract.objects.get(previous=old)
    assert following.status == "active"
    assert following.start == old.end + DAY
    assert following.term_days == old.term_days
    assert (following.value, following.currency, following.billing_period,
            following.auto_renew, following.renewal_notice_days) == (
        Decimal("999.99"), "USD", "monthly", True, 15)
    assert (following.account_id, following.owner_id) == (old.account_id, old.owner_id)
    assert following.number != old.number
    assert Contract.objects.count() == 2


def test_a_calendar_year_is_followed_by_a_calendar_year(in_acme, org):
    old = contract(org, start=datetime.date(2027, 1, 1), end=datetime.date(2027, 12, 31))
    following = services.renew(old)
    assert (following.start, following.end) == (datetime.date(2028, 1, 1),
                                                datetime.date(2028, 12, 31))
    month = contract(org, start=datetime.date(2027, 1, 31), end=datetime.date(2027, 2, 27))
    assert (services.renew(month).start, Contract.objects.get(previous=month).end) == (
        datetime.date(2027, 2, 28), datetime.date(2027, 3, 27))


def test_ended_contracts_without_auto_renew_expire(in_acme, org):
    today = tenant_today()
    ended = contract(org, end=today - DAY)
    running = contract(org, end=today)
    result = tasks.run_renewals()
    assert (result["expired"], result["renewed"]) == (1, 0)
    ended.refresh_from_db()
    running.refresh_from_db()
    assert ended.status == "expired"
    assert running.status == "active"
    assert not Contract.objects.filter(previous=ended).exists()


def test_manual_renewal_over_the_api_answers_409_the_second_time(in_acme, org):
    old = contract(org, end=tenant_today() + 100 * DAY)
    client = signed_in(in_acme.host, "rep@acme.example")
    first = post(client, f"/api/v1/contracts/{old.pk}/renew/", {})
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["previous"] == old.pk
    assert body["status"] == "active"
    assert body["start"] == (old.end + DAY).isoformat()
    again = post(client, f"/api/v1/contracts/{old.pk}/renew/", {})
    assert again.status_code == 409
    assert "detail" in again.json()
    assert Contract.objects.filter(previous=old).count() == 1
    assert client.get(f"/api/v1/contracts/{old.pk}/").json()["next_term"] == body["id"]
    draft = contract(org, end=tenant_today(), status="draft")
    assert post(client, f"/api/v1/contracts/{draft.pk}/renew/", {}).status_code == 400


def test_renewing_an_already_renewed_term_by_the_service_is_refused(in_acme, org):
    old = contract(org, end=tenant_today())
    services.renew(old)
    with pytest.raises(services.AlreadyRenewed):
        services.renew(old)


def test_a_rep_creates_reads_updates_and_deletes_a_contract(in_acme, org):
    client = signed_in(in_acme.host, "rep@acme.example")
    created = post(client, "/api/v1/contracts/", {
        "name": "年度维护合同", "account": org["mine"].pk, "start": "2027-01-01",
        "end": "2027-12-31", "value": "88000.10", "currency": "cny",
        "billing_period": "quarterly", "auto_renew": True, "status": "active"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["owner"] == org["rep"].pk  # the creator owns it
    assert body["currency"] == "CNY"
    assert body["value"] == "88000.10"
    assert body["renewal_notice_days"] == 30
    assert body["number"].startswith("C-")
    path = f"/api/v1/contracts/{body['id']}/"
    changed = patch(client, path, {"renewal_notice_days": 60})
    assert changed.status_code == 200, changed.content
    assert changed.json()["renewal_notice_days"] == 60
    assert client.delete(path).status_code == 204
    assert client.get(path).status_code == 404
    assert Contract.everything.get(pk=body["id"]).deleted_at is not None  # in the bin


@pytest.mark.parametrize(("payload", "field"), [
    ({"start": "2027-02-01", "end": "2027-01-31"}, "end"),
    ({"start": "31/01/2027"}, "start"),
    ({"end": "not a date"}, "end"),
    ({"value": "-1"}, "value"),
    ({"value": "lots"}, "value"),
    ({"value": "1.234"}, "value"),
    ({"currency": "yuan"}, "currency"),
    ({"billing_period": "weekly"}, "billing_period"),
    ({"status": "renewed"}, "status"),
    ({"renewal_notice_days": -5}, "renewal_notice_days"),
    ({"account": None}, "account"),
    ({"name": ""}, "name"),
])
def test_bad_input_answers_400_with_the_field(in_acme, org, payload, field):
    client = signed_in(in_acme.host, "rep@acme.example")
    good = {"name": "Support", "account": org["mine"].pk, "start": "2027-01-01",
            "end": "2027-12-31", "value": "100.00"}
    response = post(client, "/api/v1/contracts/", {**good, **payload})
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_malformed_json_answers_400(in_acme, org):
    client = signed_in(in_acme.host, "rep@acme.example")
    response = client.post("/api/v1/contracts/", "{not json", content_type="application/json")
    assert response.status_code == 400


def test_a_contract_cannot_point_at_an_account_out_of_sight(in_acme, org):
    client = signed_in(in_acme.host, "rep@acme.example")
    response = post(client, "/api/v1/contracts/", {
        "name": "X", "account": org["theirs"].pk, "start": "2027-01-01", "end": "2027-01-02",
        "value": "1"})
    assert response.status_code == 400
    assert "account" in response.json()


def test_visibility_by_role(in_acme, org):
    today = tenant_today()
    own = contract(org, end=today, name="Rep's")
    south = contract(org, end=today, name="South's", owner="rep2", account="theirs",
                     team=org["south"])
    manager_own = contract(org, end=today, name="Manager's", owner="manager")

    def seen(email):
        client = signed_in(in_acme.host, email)
        response = client.get("/api/v1/contracts/")
        assert response.status_code == 200, response.content
        return {row["name"] for row in response.json()["results"]}

    assert seen("rep@acme.example") == {"Rep's", "Manager's"}  # own and the team lead's
    assert seen("rep2@acme.example") == {"South's"}
    assert seen("boss@acme.example") == {"Rep's", "Manager's"}
    assert seen("admin@acme.example") == {"Rep's", "South's", "Manager's"}
    rep2 = signed_in(in_acme.host, "rep2@acme.example")
    assert rep2.get(f"/api/v1/contracts/{own.pk}/").status_code == 404
    assert patch(rep2, f"/api/v1/contracts/{own.pk}/", {"name": "Mine"}).status_code == 404
    assert post(rep2, f"/api/v1/contracts/{own.pk}/renew/", {}).status_code == 404
    assert rep2.delete(f"/api/v1/contracts/{manager_own.pk}/").status_code == 404
    assert rep2.get(f"/api/v1/contracts/{south.pk}/").status_code == 200


def test_a_portal_customer_gets_no_contracts(in_acme, org):
    contract(org, end=tenant_today())
    client = host_client(in_acme.host)
    client.login(username="customer@acme.example", password="test-pass-123")
    assert client.get("/api/v1/contracts/").status_code in (401, 403)


def test_filters_and_ordering(in_acme, org):
    today = tenant_today()
    soon = contract(org, end=today + 5 * DAY, name="Soon", auto_renew=True)
    later = contract(org, end=today + 50 * DAY, name="Later")
    contract(org, end=today + 20 * DAY, name="Draft", status="draft")
    client = signed_in(in_acme.host, "admin@acme.example")

    def names(**params):
        response = client.get("/api/v1/contracts/", params)
        assert response.status_code == 200, response.content
        return [row["name"] for row in response.json()["results"]]

    assert names(status="active", ordering="end") == ["Soon", "Later"]
    assert names(auto_renew="true") == ["Soon"]
    assert names(end_before=(today + 30 * DAY).isoformat(), ordering="-end") == [
        "Draft", "Soon"]
    assert names(end_after=(today + 30 * DAY).isoformat()) == ["Later"]
    assert names(account=org["theirs"].pk) == []
    assert set(names(owner=org["rep"].pk)) == {"Soon", "Later", "Draft"}
    assert client.get("/api/v1/contracts/", {"end_before": "junk"}).status_code == 400
    assert client.get("/api/v1/contracts/", {"status": "nope"}).status_code == 400
    page = client.get("/api/v1/contracts/", {"page_size": 1}).json()
    assert "next" in page
    assert "results" in page
    assert soon.pk != later.pk


def test_globex_cannot_read_or_change_acme_contracts(in_acme, org, globex):
    acme_contract = contract(org, end=tenant_today() + 5 * DAY)
    token = admin_token(globex.tenant)
    client = host_client(globex.host)
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    assert client.get("/api/v1/contracts/", **auth).json()["results"] == []
    path = f"/api/v1/contracts/{acme_contract.pk}/"
    assert client.get(path, **auth).status_code == 404
    assert client.delete(path, **auth).status_code == 404
    assert client.post(f"{path}renew/", **auth).status_code == 404
    # acme's token is not accepted on globex's host either.
    acme_auth = {"HTTP_AUTHORIZATION": f"Token {admin_token(in_acme.tenant)}"}
    assert client.get("/api/v1/contracts/", **acme_auth).status_code == 401
    # A renewal run in globex never touches acme's contracts.
    with tenant_context(globex.tenant):
        assert tasks.run_renewals()["reminded"] == 0
    # Requests leave the connection on globex's schema: look at acme's own rows.
    with tenant_context(in_acme.tenant):
        assert not renewal_tasks().exists()
        assert Contract.objects.filter(pk=acme_contract.pk).exists()


def test_the_contract_shows_on_its_accounts_timeline(in_acme, org):
    shown = contract(org, end=tenant_today(), name="Hosting")
    contract(org, end=tenant_today(), name="Elsewhere", owner="rep2", account="theirs")
    client = signed_in(in_acme.host, "rep@acme.example")
    response = client.get("/api/v1/timeline/", {"account": org["mine"].pk})
    assert response.status_code == 200, response.content
    items = [item for item in response.json()["results"] if item["source"] == "contracts"]
    assert [(item["id"], item["link"]) for item in items] == [
        (str(shown.pk), f"/app/contracts/{shown.pk}/")]
    assert "Hosting" in items[0]["title"]


def test_changes_are_audited_and_a_deleted_contract_waits_in_the_bin(in_acme, org):
    from core.models import AuditEntry
    from crm_apps.customers import binned

    client = signed_in(in_acme.host, "rep@acme.example")
    created = post(client, "/api/v1/contracts/", {
        "name": "Audited", "account": org["mine"].pk, "start": "2027-01-01",
        "end": "2027-12-31", "value": "10"})
    pk = created.json()["id"]
    patch(client, f"/api/v1/contracts/{pk}/", {"value": "20.00"})
    client.delete(f"/api/v1/contracts/{pk}/")
    entries = AuditEntry.objects.filter(record_type="contracts.contract", record_id=str(pk))
    assert sorted(entries.values_list("action", flat=True)) == [
        "created", "deleted", "updated"]
    assert entries.get(action="updated").changes["value"] == ["10.00", "20.00"]
    assert entries.get(action="updated").actor == org["rep"]
    assert "contract" in binned.kinds()
    admin = signed_in(in_acme.host, "admin@acme.example")
    assert "Audited" in admin.get("/app/customers/bin/").content.decode()
    restored = admin.post("/app/customers/bin/restore/", {"kind": "contract", "id": pk})
    assert restored.status_code == 302
    assert client.get(f"/api/v1/contracts/{pk}/").status_code == 200


def test_concurrent_runs_remind_and_renew_once(committed):
    """Three runs at the same moment in three connections: the claimed rows are skipped by
    the others, so each term gets one task, one notification and one next term."""
    import threading

    from django.db import connection

    from core.models import AuditEntry
    from tenants.models import Tenant

    acme = Tenant.objects.get(slug="acme")
    with tenant_context(acme):
        rep = get_user_model().objects.get(email="rep@acme.example")
        account = Account.objects.create(name="Concurrency", owner=rep)
        today = tenant_today()
        due = Contract.objects.create(name="Due", account=account, owner=rep, status="active",
                                      start=today - 300 * DAY, end=today + 3 * DAY)
        ended = Contract.objects.create(name="Ended", account=account, owner=rep,
                                        status="active", auto_renew=True,
                                        start=today - 300 * DAY, end=today - DAY)
    barrier = threading.Barrier(3)
    failures = []

    def run():
        try:
            with tenant_context(acme):
                barrier.wait(timeout=10)
                tasks.run_renewals()
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with tenant_context(acme):
        contracts = list(Contract.everything.filter(account=account).values_list("pk", flat=True))
        made = list(Activity.everything.filter(account=account).values_list("pk", flat=True))
        try:
            assert failures == []
            assert Contract.objects.filter(previous=ended).count() == 1
            next_term = Contract.objects.get(previous=ended)
            # The new term ends 300 days on, outside its window: only the due term's task.
            assert sorted(Activity.objects.filter(account=account)
                          .values_list("subject", flat=True)) == [
                f"Renew contract {due.number} Due"]
            assert Notification.objects.filter(kind="contract.renewal_due",
                                               recipient=rep).count() == 1
            assert next_term.status == "active"
        finally:
            Notification.objects.filter(kind="contract.renewal_due", recipient=rep).delete()
            Contract.everything.filter(pk__in=contracts).update(renewal_task=None)
            Activity.everything.filter(pk__in=made).delete()
            Contract.everything.filter(pk__in=contracts).update(previous=None)
            Contract.everything.filter(pk__in=contracts).delete()
            AuditEntry.objects.filter(
                record_type__in=["contracts.contract", "activities.activity"],
                record_id__in=[str(pk) for pk in contracts + made]).delete()
            AuditEntry.objects.filter(record_type="customers.account",
                                      record_id=str(account.pk)).delete()
            account.delete()


def test_each_term_is_reminded_once_on_its_own(in_acme, org):
    """A short term reminded before its end renews into a term already inside its window:
    the new term gets its own task and notification, the old one no second."""
    today = tenant_today()
    old = contract(org, start=today - 10 * DAY, end=today, auto_renew=True,
                   renewal_notice_days=30)
    assert services.send_renewal_reminders(today) == 1
    tomorrow = today + DAY
    assert services.close_ended(tomorrow) == {"renewed": 1, "expired": 0}
    following = Contract.objects.get(previous=old)
    assert following.renewal_reminded_at is None
    assert services.send_renewal_reminders(tomorrow) == 1
    assert services.send_renewal_reminders(tomorrow) == 0
    assert renewal_tasks().count() == 2
    assert Notification.objects.filter(kind="contract.renewal_due").count() == 2
    following.refresh_from_db()
    assert following.renewal_task.subject.startswith(f"Renew contract {following.number}")
