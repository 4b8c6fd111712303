"""Predictive lead scores: a model trained per tenant on generated history that beats the
scoring rules on held-out leads, scores for open and new leads, the factors behind a score in
the API and on the lead's page, the minimum history, and tenants that never share a model."""

import json
import math
import random

import pytest
from celery.beat import ScheduleEntry
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context, tenant_context

from core.beat import ActiveTenantScheduler
from core.celery import app as celery_app
from core.roles import SALES_REP
from core.tasks import NoTenantError
from crm_apps.activities.models import Activity
from crm_apps.customization.models import CustomField, FieldRestriction
from crm_apps.sales import prediction
from crm_apps.sales.models import ActivityPoints, Lead, LeadScoreModel, ScoringRule
from crm_apps.sales.prediction_tasks import retrain_lead_model
from tests.fixtures.world import signed_in

TASK = "crm_apps.sales.prediction_tasks.retrain_lead_model"
SOURCES = ["web_form", "referral", "event", "import", "api"]
INDUSTRIES = ["Software", "Retail", "Manufacturing", "Finance", "Education"]
TITLES = {"executive": ["CEO", "Chief Technology Officer", "总经理"],
          "director": ["Sales Director", "Head of IT", "市场总监"],
          "manager": ["IT Manager", "Team Lead"], "staff": ["Engineer", "Analyst"], "none": [""]}

# acme: what makes a lead convert. Its scoring rules see only the source and the calls.
ACME = {"bias": -0.6,
        "source": {"referral": 1.0, "event": 0.4, "web_form": 0.0, "import": -0.8, "api": -0.2},
        "industry": {"Software": 1.4, "Finance": 0.6, "Manufacturing": 0.0, "Education": -0.5,
                     "Retail": -1.3},
        "seniority": {"executive": 1.2, "director": 0.7, "manager": 0.1, "staff": -0.5,
                      "none": -1.0},
        "free_mail": -1.3, "call": 0.35, "meeting": 0.8}
# globex sells to shops: retail converts, software does not.
GLOBEX = {**ACME, "source": {**ACME["source"], "event": 1.2},
          "industry": {"Software": -1.4, "Finance": 0.0, "Manufacturing": 0.2,
                       "Education": 0.0, "Retail": 1.6}}


def make_history(pattern: dict, *, closed: int, open_: int, seed: int, owner=None):
    """``closed`` converted or disqualified leads whose outcome depends on their fields
    through ``pattern`` (drawn, so noisy), and ``open_`` open ones. Returns the open leads."""
    rng = random.Random(seed)
    leads, activity_plan = [], []
    for n in range(closed + open_):
        source, industry = rng.choice(SOURCES), rng.choice(INDUSTRIES)
        seniority = rng.choice(list(TITLES))
        free_mail = rng.random() < 0.4
        calls, meetings = rng.choice([0, 0, 1, 1, 2, 3, 4]), rng.choice([0, 0, 0, 1, 2])
        logit = (pattern["bias"] + pattern["source"][source] + pattern["industry"][industry]
                 + pattern["seniority"][seniority] + pattern["free_mail"] * free_mail
                 + pattern["call"] * calls + pattern["meeting"] * meetings)
        if n < closed:
            converted = rng.random() < 1 / (1 + math.exp(-logit))
            status = "converted" if converted else "disqualified"
        else:
            status = rng.choice(["new", "working", "qualified"])
        domain = rng.choice(["gmail.com", "qq.com"]) if free_mail else f"firm{n}.example"
        leads.append(Lead(
            first_name="Lead", last_name=f"No. {n}", company=f"Firm {n}",
            title=rng.choice(TITLES[seniority]), email=f"lead{n}@{domain}",
            phone="+86 21 5555 0000" if rng.random() < 0.5 else "", industry=industry,
            country=rng.choice(["CN", "US"]), source=source, status=status, owner=owner,
            disqualified_reason="No budget" if status == "disqualified" else ""))
        activity_plan.append((calls, meetings))
    Lead.objects.bulk_create(leads)
    Activity.objects.bulk_create(
        [Activity(kind=kind, subject=kind, lead=lead)
         for lead, (calls, meetings) in zip(leads, activity_plan, strict=True)
         for kind in ["call"] * calls + ["meeting"] * meetings])
    return leads[closed:]


def acme_rules():
    ScoringRule.objects.create(field="source", operator="equals", value="referral", points=20)
    ScoringRule.objects.create(field="phone", operator="is_set", points=5)
    ActivityPoints.objects.create(kind="call", points=3)


@pytest.fixture
def acme_history(in_acme):
    acme_rules()
    rep = get_user_model().objects.get(email="rep@acme.example")
    return make_history(ACME, closed=600, open_=40, seed=11, owner=rep)


def hot_and_cold(owner=None):
    """Two open leads the generated history says are far apart."""
    hot = Lead.objects.create(first_name="Hot", last_name="Lead", source="referral",
                              industry="Software", title="CEO", email="ceo@bigco.example",
                              company="BigCo", owner=owner)
    cold = Lead.objects.create(first_name="Cold", last_name="Lead", source="import",
                               industry="Retail", email="someone@gmail.com", owner=owner)
    Activity.objects.bulk_create([Activity(kind="call", subject="Call", lead=hot)
                                  for _ in range(3)])
    return hot, cold


def test_the_model_beats_the_rules_on_held_out_leads_and_scores_the_open_ones(acme_history):
    result = retrain_lead_model()  # the periodic task, run here in acme
    run = LeadScoreModel.objects.get()
    assert result == {"model": run.pk, "samples": 600, "active": True, "scored": 40}
    assert run.n_samples == 600
    assert run.positives == Lead.objects.filter(status="converted").count()
    assert run.holdout_size == 150
    # Both measured by the training code on the same held-out quarter.
    assert run.auc_model > run.auc_rules + 0.05, (run.auc_model, run.auc_rules)
    assert run.auc_model > 0.75
    assert 0.5 < run.auc_rules < run.auc_model
    assert run.active
    features = {weight["feature"]: weight["weight"] for weight in run.weights}
    assert features["industry=software"] > 0 > features["industry=retail"]
    scores = list(Lead.objects.filter(pk__in=[lead.pk for lead in acme_history])
                  .values_list("predicted_score", flat=True))
    assert all(score is not None and 0 <= score <= 100 for score in scores)
    assert len(set(scores)) > 10
    # Closed leads are what the model learnt from; they are not rescored.
    assert not Lead.objects.filter(status="converted").exclude(predicted_score=None).exists()


def test_new_leads_and_their_activities_get_a_score_between_trainings(acme_history):
    retrain_lead_model()
    hot, cold = hot_and_cold()
    hot.refresh_from_db()
    cold.refresh_from_db()
    assert hot.predicted_score > 80 > 20 > cold.predicted_score
    before = cold.predicted_score
    Activity.objects.create(kind="meeting", subject="Demo", lead=cold)
    cold.refresh_from_db()
    assert cold.predicted_score > before  # meetings convert in acme's history


def test_top_factors_say_what_moves_a_lead(acme_history):
    retrain_lead_model()
    hot, cold = hot_and_cold()
    hot_factors = prediction.explain(hot)
    assert 3 <= len(hot_factors) <= prediction.TOP_FACTORS
    effects = [abs(factor["effect"]) for factor in hot_factors]
    assert effects == sorted(effects, reverse=True)
    raising = {factor["label"] for factor in hot_factors if factor["effect"] > 0}
    assert {"Industry: Software", "Seniority: Executive"} <= raising
    cold_labels = {factor["label"]: factor["effect"] for factor in prediction.explain(cold)}
    assert cold_labels["Industry: Retail"] < 0
    assert cold_labels["Free e-mail address"] < 0
    assert cold_labels["No job title"] < 0
    calls = next(f for f in prediction.explain(hot, limit=20) if f["label"] == "3 calls logged")
    assert calls["field"] == "activities"
    assert calls["effect"] > 0
    no_meetings = next(f for f in prediction.explain(cold, limit=20)
                       if f["label"] == "No meetings logged")
    assert no_meetings["effect"] < 0


def test_choice_custom_fields_are_features_with_their_labels(acme_history):
    CustomField.objects.create(entity="sales.lead", code="tier", label="Tier", type="choice",
                               choices=[{"value": "gold", "label": "Gold"},
                                        {"value": "tin", "label": "Tin"}])
    # In this history gold-tier leads convert far more often than tin ones.
    for lead in Lead.objects.filter(status__in=["converted", "disqualified"]):
        gold = (lead.status == "converted") == (lead.pk % 5 != 0)
        Lead.objects.filter(pk=lead.pk).update(custom={"tier": "gold" if gold else "tin"})
    run = prediction.train()
    features = {weight["feature"]: weight["weight"] for weight in run.weights}
    assert features["custom.tier=gold"] > 0 > features["custom.tier=tin"]
    lead = Lead.objects.create(last_name="Tin", custom={"tier": "tin"})
    factors = {f["label"]: f for f in prediction.explain(lead)}
    assert factors["Tier: Tin"]["effect"] < 0
    assert factors["Tier: Tin"]["field"] == "custom.tier"


def test_too_little_history_means_no_model_and_no_predicted_scores(in_acme, settings):
    open_leads = make_history(ACME, closed=150, open_=10, seed=3)
    assert retrain_lead_model() == {"model": None, "samples": 0, "active": False, "scored": 0}
    assert not LeadScoreModel.objects.exists()
    assert not Lead.objects.exclude(predicted_score=None).exists()
    lead = Lead.objects.create(last_name="Between trainings", source="referral")
    lead.refresh_from_db()
    assert lead.predicted_score is None
    assert prediction.explain(lead) == []
    assert prediction.min_closed_leads() == 200
    settings.LEAD_PREDICTION_MIN_CLOSED_LEADS = 100  # the threshold is a setting
    assert retrain_lead_model()["samples"] == 150
    assert Lead.objects.get(pk=open_leads[0].pk).predicted_score is not None


def test_a_run_that_does_not_beat_the_rules_is_kept_but_not_used(acme_history):
    retrain_lead_model()
    first = LeadScoreModel.objects.get()
    # Outcomes the rules predict perfectly: referrals convert, nothing else does.
    closed = Lead.objects.filter(status__in=["converted", "disqualified"])
    closed.filter(source="referral").update(status="converted", disqualified_reason="")
    closed.exclude(source="referral").update(status="disqualified", disqualified_reason="x")
    result = retrain_lead_model()
    second = LeadScoreModel.objects.get(pk=result["model"])
    assert second.auc_rules == 1.0
    assert not second.active
    first.refresh_from_db()
    assert not first.active
    assert prediction.active_model() is None
    assert not Lead.objects.exclude(predicted_score=None).exists()  # the rule score alone


def test_a_model_that_cannot_be_loaded_does_not_stop_leads_being_saved(acme_history, caplog):
    retrain_lead_model()
    LeadScoreModel.objects.update(estimator=b"not a model")
    prediction._LOADED.clear()
    lead = Lead.objects.create(last_name="Still saved", source="referral")
    lead.refresh_from_db()
    assert lead.predicted_score is None
    assert prediction.explain(lead) == []
    assert "cannot be loaded" in caplog.text


def test_each_tenant_trains_on_its_own_leads_only(acme_history, globex):
    with tenant_context(globex.tenant):
        globex_rep = get_user_model().objects.get(email="rep@globex.example")
        globex_open = make_history(GLOBEX, closed=300, open_=5, seed=5, owner=globex_rep)
    retrain_lead_model()  # in acme
    acme_scores = dict(Lead.objects.filter(status__in=prediction.OPEN_STATUSES)
                       .values_list("pk", "predicted_score"))
    with tenant_context(globex.tenant):
        assert not LeadScoreModel.objects.exists()
        assert not Lead.objects.exclude(predicted_score=None).exists()
        assert prediction.active_model() is None  # acme's model is nowhere to be found here
        result = retrain_lead_model()
        run = LeadScoreModel.objects.get()
        assert run.n_samples == result["samples"] == 300
        assert run.positives == Lead.objects.filter(status="converted").count()
        globex_weights = {w["feature"]: w["weight"] for w in run.weights}
        assert Lead.objects.get(pk=globex_open[0].pk).predicted_score is not None
    acme_run = LeadScoreModel.objects.get()
    assert acme_run.n_samples == 600
    acme_weights = {w["feature"]: w["weight"] for w in acme_run.weights}
    # Opposite lessons from opposite histories.
    assert acme_weights["industry=retail"] < 0 < globex_weights["industry=retail"]
    assert acme_weights["industry=software"] > 0 > globex_weights["industry=software"]
    assert dict(Lead.objects.filter(status__in=prediction.OPEN_STATUSES)
                .values_list("pk", "predicted_score")) == acme_scores


def test_the_beat_retrains_once_in_each_active_tenant(acme_history, globex):
    assert TASK in {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    with tenant_context(globex.tenant):
        make_history(GLOBEX, closed=250, open_=0, seed=8)
    entry = ScheduleEntry(name="retrain", task=TASK, schedule=86400, app=celery_app,
                          options={"headers": {"_all_tenants_only": True}})
    with schema_context("public"):
        ActiveTenantScheduler(app=celery_app, lazy=True).apply_entry(entry)
    with schema_context("public"), pytest.raises(NoTenantError):
        retrain_lead_model.delay()  # never queued outside a tenant
    assert list(LeadScoreModel.objects.values_list("n_samples", flat=True)) == [600]
    with tenant_context(globex.tenant):
        assert list(LeadScoreModel.objects.values_list("n_samples", flat=True)) == [250]


def test_the_api_gives_the_factors_of_one_lead_and_not_of_a_list(acme_history):
    retrain_lead_model()
    rep = get_user_model().objects.get(email="rep@acme.example")
    hot, _cold = hot_and_cold(owner=rep)
    client = signed_in("acme.localhost", "rep@acme.example")
    body = client.get(f"/api/v1/leads/{hot.pk}/").json()
    assert body["predicted_score"] > 80
    labels = [factor["label"] for factor in body["score_factors"]]
    assert "Industry: Software" in labels
    assert set(body["score_factors"][0]) == {"field", "label", "effect"}
    rows = client.get("/api/v1/leads/?page_size=5").json()["results"]
    assert {row["score_factors"] for row in rows} == {None}
    assert {row["predicted_score"] is None for row in rows} == {False}
    # A field hidden from sales reps is not shown as a factor to them.
    FieldRestriction.objects.create(entity="sales.lead", field="industry",
                                    hidden_from=[SALES_REP])
    hidden = client.get(f"/api/v1/leads/{hot.pk}/").json()
    assert "industry" not in hidden
    assert "industry" not in {factor["field"] for factor in hidden["score_factors"]}
    admin = signed_in("acme.localhost", "admin@acme.example")
    assert "Industry: Software" in {
        f["label"] for f in admin.get(f"/api/v1/leads/{hot.pk}/").json()["score_factors"]}
    # Another tenant cannot reach the lead, nor its factors.
    other = signed_in("globex.localhost", "admin@globex.example")
    assert other.get(f"/api/v1/leads/{hot.pk}/").status_code == 404


def test_a_lead_without_a_model_has_empty_factors_in_the_api(in_acme):
    lead = Lead.objects.create(last_name="Early", owner=get_user_model().objects.get(
        email="admin@acme.example"))
    body = signed_in("acme.localhost", "admin@acme.example").get(
        f"/api/v1/leads/{lead.pk}/").json()
    assert body["predicted_score"] is None
    assert body["score_factors"] == []


def test_tenant_admins_list_the_runs_and_retrain_now(acme_history, globex):
    admin = signed_in("acme.localhost", "admin@acme.example")
    assert admin.get("/api/v1/lead-score-models/").json()["results"] == []
    response = admin.post("/api/v1/lead-score-models/retrain/")
    assert response.status_code == 201, response.content
    run = response.json()
    assert run["n_samples"] == 600
    assert run["active"] is run["beats_rules"] is True
    assert run["auc_model"] > run["auc_rules"]
    assert "estimator" not in run
    assert Lead.objects.filter(status="new").exclude(predicted_score=None).exists()
    admin.post("/api/v1/lead-score-models/retrain/")
    listed = admin.get("/api/v1/lead-score-models/").json()["results"]
    assert [row["active"] for row in listed] == [True, False]  # newest first, one active
    assert [r["id"] for r in admin.get("/api/v1/lead-score-models/?active=false")
            .json()["results"]] == [run["id"]]
    assert admin.get(f"/api/v1/lead-score-models/{run['id']}/").json()["n_samples"] == 600
    bad = admin.get("/api/v1/lead-score-models/?trained_after=yesterday")
    assert bad.status_code == 400
    assert "trained_after" in bad.json()
    rep = signed_in("acme.localhost", "rep@acme.example")
    assert rep.get("/api/v1/lead-score-models/").status_code == 403
    assert rep.post("/api/v1/lead-score-models/retrain/").status_code == 403
    # globex's admin sees none of acme's runs, and globex has no history to learn from.
    other = signed_in("globex.localhost", "admin@globex.example")
    assert other.get("/api/v1/lead-score-models/").json()["results"] == []
    assert other.get(f"/api/v1/lead-score-models/{run['id']}/").status_code == 404
    refused = other.post("/api/v1/lead-score-models/retrain/")
    assert refused.status_code == 409
    assert refused.json()["closed_leads"] == 0
    assert refused.json()["required"] == 200


def test_the_lead_page_shows_the_predicted_score_and_its_factors(acme_history):
    retrain_lead_model()
    hot, cold = hot_and_cold()
    admin = signed_in("acme.localhost", "admin@acme.example")
    page = admin.get(f"/app/sales/leads/{hot.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="lead-predicted-score"' in html
    assert f"{round(Lead.objects.get(pk=hot.pk).predicted_score)}%" in html
    assert "Top factors" in html
    assert "Industry: Software" in html
    assert "Model trained on 600 closed leads" in html
    cold_html = admin.get(f"/app/sales/leads/{cold.pk}/").content.decode()
    assert "Free e-mail address" in cold_html
    chinese = admin.get(f"/app/sales/leads/{hot.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert chinese.status_code == 200
    assert 'id="lead-score-factors"' in chinese.content.decode()


def test_the_lead_page_without_a_model_shows_the_rule_score_alone(in_acme):
    lead = Lead.objects.create(last_name="Plain")
    html = signed_in("acme.localhost", "admin@acme.example").get(
        f"/app/sales/leads/{lead.pk}/").content.decode()
    assert 'id="lead-score"' in html
    assert 'id="lead-prediction"' not in html


@pytest.mark.parametrize(("title", "level"), [
    ("Vice President of Sales", "vp"), ("CEO", "executive"), ("副总裁", "vp"),
    ("总经理", "executive"), ("Director of IT", "director"), ("销售经理", "manager"),
    ("Engineer", "staff"), ("", "none"),
])
def test_job_titles_map_to_seniority(title, level):
    assert prediction.seniority_of(title) == level


def test_email_domains_tell_free_mail_from_company_mail():
    assert prediction.email_kind("someone@QQ.com") == "free"
    assert prediction.email_kind("a@acme.example") == "company"
    assert prediction.email_kind("") == "none"


def test_imported_leads_get_a_predicted_score_in_the_batch(
        acme_history, in_acme, django_capture_on_commit_callbacks):
    retrain_lead_model()
    admin = signed_in(in_acme.host, in_acme.admin_email)
    rows = "First name,Company,E-mail,Industry,Job title\r\n" \
           "Hot,BigCo,ceo@bigco-import.example,Software,CEO\r\n" \
           "Cold,Shop,cold@gmail.com,Retail,\r\n"
    mapping = {"First name": "first_name", "Company": "company", "E-mail": "email",
               "Industry": "industry", "Job title": "title"}
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post("/api/v1/imports/leads/", {
            "file": SimpleUploadedFile("leads.csv", rows.encode(), content_type="text/csv"),
            "mapping": json.dumps(mapping), "duplicates": "skip"})
    assert response.status_code == 202, response.content
    hot = Lead.objects.get(email="ceo@bigco-import.example")
    cold = Lead.objects.get(email="cold@gmail.com")
    assert hot.predicted_score is not None
    assert cold.predicted_score is not None
    assert hot.predicted_score > cold.predicted_score
