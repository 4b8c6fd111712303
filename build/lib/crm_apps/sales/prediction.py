"""Predictive lead scores: a model per tenant, trained on that tenant's own closed leads.

Converted leads are the positives and disqualified leads the negatives. The model is a
DictVectorizer feeding a class-balanced logistic regression: a linear model, so each score can
be explained as a sum of per-field contributions. Training needs ``MIN_CLOSED_LEADS`` closed
leads (setting ``LEAD_PREDICTION_MIN_CLOSED_LEADS``); with fewer there is no model and
``Lead.predicted_score`` stays null. A stratified quarter of the closed leads is held out to
compare the model's ROC AUC with the scoring rules' on the same leads; the stored estimator is
then refit on every closed lead. Every run is stored (``LeadScoreModel``); the newest run is
used only when it beats the rules on its holdout, otherwise no model is active and leads show
their rule score alone. Everything here reads and writes the current schema only.
"""

import io
import logging
import re
from collections import OrderedDict, defaultdict

import joblib
import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crm_apps.activities.models import Activity
from crm_apps.customization.access import hidden_fields
from crm_apps.customization.models import CustomField
from crm_apps.sales import scoring
from crm_apps.sales.models import Lead, LeadScoreModel

logger = logging.getLogger(__name__)

MIN_CLOSED_LEADS = 200
MIN_PER_OUTCOME = 20  # a holdout needs both outcomes to rank anything
HOLDOUT_SHARE = 0.25
RANDOM_STATE = 7
TOP_FACTORS = 5
MAX_ACTIVITY_COUNT = 20  # a lead with 200 notes is not ten times as likely as one with 20
OPEN_STATUSES = (Lead.Status.NEW, Lead.Status.WORKING, Lead.Status.QUALIFIED)
CLOSED_STATUSES = (Lead.Status.CONVERTED, Lead.Status.DISQUALIFIED)
CUSTOM_TYPES = (CustomField.Type.CHOICE, CustomField.Type.MULTI_CHOICE)
LEAD_FIELDS = ("id", "source", "industry", "country", "region", "title", "email", "phone",
               "website", "company", "campaign", "territory", "status", "custom",
               "predicted_score")

FREE_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "hotmail.com", "outlook.com", "live.com",
    "msn.com", "aol.com", "icloud.com", "me.com", "proton.me", "protonmail.com", "gmx.com",
    "mail.com", "qq.com", "foxmail.com", "163.com", "126.com", "yeah.net", "sina.com",
    "sina.cn", "sohu.com", "139.com", "aliyun.com",
})
# Checked in order: "vice president" is a VP, not a president; 总经理 is an executive.
SENIORITY_WORDS = (
    ("vp", {"vp", "svp", "evp", "avp", "vice"}, ("副总",)),
    ("executive", {"ceo", "cto", "cfo", "coo", "cio", "cmo", "chief", "founder", "cofounder",
                   "owner", "president", "partner", "principal"},
     ("首席", "总裁", "董事", "创始人", "总经理", "合伙人")),
    ("director", {"director", "head"}, ("总监", "主任")),
    ("manager", {"manager", "lead", "supervisor"}, ("经理", "主管")),
)


def min_closed_leads() -> int:
    return getattr(settings, "LEAD_PREDICTION_MIN_CLOSED_LEADS", MIN_CLOSED_LEADS)


# --- features ----------------------------------------------------------------------------

def seniority_of(title: str) -> str:
    text = (title or "").strip().lower()
    if not text:
        return "none"
    words = set(re.findall(r"[a-z]+", text))
    for level, english, chinese in SENIORITY_WORDS:
        if words & english or any(word in text for word in chinese):
            return level
    return "staff"


def email_kind(email: str) -> str:
    domain = (email or "").rpartition("@")[2].strip().lower()
    if not domain:
        return "none"
    return "free" if domain in FREE_MAIL_DOMAINS else "company"


def _given(value: str) -> str:
    return "yes" if (value or "").strip() else "no"


def _text(value: str) -> str:
    return (value or "").strip().lower() or "none"


def features_of(lead, counts: dict[str, int], custom_fields: list[tuple[str, str]]) -> dict:
    """What the model sees of a lead: strings are one-hot encoded ("source=referral"),
    numbers used as they are. Nothing that is only known once a lead is closed."""
    features = {
        "source": lead.source or "none", "industry": _text(lead.industry),
        "country": (lead.country or "").upper() or "none", "region": _text(lead.region),
        "seniority": seniority_of(lead.title), "email": email_kind(lead.email),
        "phone": _given(lead.phone), "website": _given(lead.website),
        "company": _given(lead.company),
    }
    for kind in Activity.Kind.values:
        features[f"activity.{kind}"] = min(counts.get(kind, 0), MAX_ACTIVITY_COUNT)
    stored = lead.custom or {}
    for code, kind in custom_fields:
        value = stored.get(code)
        if kind == CustomField.Type.MULTI_CHOICE and isinstance(value, list) and value:
            features[f"custom.{code}"] = [str(item) for item in value]
        elif isinstance(value, str) and value:
            features[f"custom.{code}"] = value
    return features


def activity_counts(leads) -> dict[int, dict[str, int]]:
    """Live activities per lead and kind, in one query for a queryset (or list) of leads."""
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    rows = (Activity.objects.filter(lead__in=leads).values("lead_id", "kind")
            .annotate(n=Count("pk")).order_by())
    for row in rows:
        counts[row["lead_id"]][row["kind"]] = row["n"]
    return counts


def _custom_fields() -> list[tuple[str, str]]:
    return list(CustomField.objects.filter(entity="sales.lead", type__in=CUSTOM_TYPES)
                .order_by("code").values_list("code", "type"))


def _rule_points(lead, counts, field_rules, per_kind) -> int:
    # The sum scoring.score_of makes, from activity counts read once for all leads.
    points = sum(rule.points for rule in field_rules if rule.applies_to(lead))
    return points + sum(per_kind.get(kind, 0) * n for kind, n in counts.items())


# --- training ----------------------------------------------------------------------------

def _new_pipeline():
    # scikit-learn is imported here, not at start-up: it takes a second and most processes
    # only ever load a stored model (which imports what it needs).
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    return Pipeline([
        ("features", DictVectorizer()),
        ("model", LogisticRegression(class_weight="balanced", C=1.0, max_iter=1000)),
    ])


def _dump(bundle: dict) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(bundle, buffer)
    return buffer.getvalue()


def train() -> LeadScoreModel | None:
    """Train on this tenant's closed leads and store the run; rescoring is separate
    (:func:`score_open_leads`). None, and nothing stored, when the history is too short."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    closed = Lead.objects.filter(status__in=CLOSED_STATUSES)
    leads = list(closed.only(*LEAD_FIELDS).order_by("pk"))
    outcomes = np.array([lead.status == Lead.Status.CONVERTED for lead in leads], dtype=int)
    positives = int(outcomes.sum())
    if len(leads) < min_closed_leads() or min(positives, len(leads) - positives) < (
            MIN_PER_OUTCOME):
        return None
    counts = activity_counts(closed)
    custom_fields = _custom_fields()
    rows = [features_of(lead, counts.get(lead.pk, {}), custom_fields) for lead in leads]
    field_rules, per_kind = scoring.rules()
    rule_scores = np.array([_rule_points(lead, counts.get(lead.pk, {}), field_rules, per_kind)
                            for lead in leads], dtype=float)

    train_at, test_at = train_test_split(np.arange(len(leads)), test_size=HOLDOUT_SHARE,
                                         stratify=outcomes, random_state=RANDOM_STATE)
    checked = _new_pipeline().fit([rows[i] for i in train_at], outcomes[train_at])
    predicted = checked.predict_proba([rows[i] for i in test_at])[:, 1]
    auc_model = float(roc_auc_score(outcomes[test_at], predicted))
    auc_rules = float(roc_auc_score(outcomes[test_at], rule_scores[test_at]))

    pipeline = _new_pipeline().fit(rows, outcomes)
    vectorizer, model = pipeline.named_steps["features"], pipeline.named_steps["model"]
    # The average closed lead: contributions are measured from it (see explain()).
    baseline = np.asarray(vectorizer.transform(rows).mean(axis=0)).ravel()
    names = vectorizer.get_feature_names_out()
    largest = np.argsort(-np.abs(model.coef_[0]))[:20]
    weights = [{"feature": str(names[i]), "weight": round(float(model.coef_[0][i]), 4)}
               for i in largest]
    bundle = {"pipeline": pipeline, "baseline": baseline, "custom_fields": custom_fields}
    with transaction.atomic():
        with connection.cursor() as cursor:
            # Two trainings at once in a tenant (the nightly job, an admin's "retrain now")
            # take turns here, so the second sees the first's active run and retires it.
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))",
                           [f"{connection.schema_name}.lead-score-model"])
        LeadScoreModel.objects.filter(active=True).update(active=False)
        return LeadScoreModel.objects.create(
            n_samples=len(leads), positives=positives, holdout_size=len(test_at),
            auc_model=auc_model, auc_rules=auc_rules, weights=weights,
            estimator=_dump(bundle), active=auc_model > auc_rules)


# --- scoring -----------------------------------------------------------------------------

# Estimators loaded in this process, by (schema, model id): a new run has a new id, so an
# entry never goes stale, and the schema in the key keeps tenants apart.
_LOADED: OrderedDict[tuple[str, int], dict] = OrderedDict()
_LOADED_MAX = 32


def active_model() -> dict | None:
    """The active run's estimator bundle (plus its ``run``), or None. One small query."""
    run = (LeadScoreModel.objects.filter(active=True)
           .defer("estimator", "weights").first())
    if run is None:
        return None
    key = (connection.schema_name, run.pk)
    bundle = _LOADED.get(key)
    if bundle is None:
        stored = LeadScoreModel.objects.filter(pk=run.pk).values_list("estimator", flat=True)
        try:
            bundle = joblib.load(io.BytesIO(bytes(stored[0])))
        except Exception:  # e.g. stored by another scikit-learn: saving a lead must still work
            logger.exception("lead score model %s of %s cannot be loaded", run.pk,
                             connection.schema_name)
            return None
        _LOADED[key] = bundle
        while len(_LOADED) > _LOADED_MAX:
            _LOADED.popitem(last=False)
    return {**bundle, "run": run}


def _probabilities(bundle, leads, counts) -> np.ndarray:
    rows = [features_of(lead, counts.get(lead.pk, {}), bundle["custom_fields"])
            for lead in leads]
    return bundle["pipeline"].predict_proba(rows)[:, 1]


def _as_score(probability: float) -> float:
    return round(float(probability) * 100, 1)


def score_open_leads(chunk_size: int = 1000) -> int:
    """Store the active model's score (0-100) on every open lead, or clear the scores when no
    model is active. Returns how many leads changed."""
    open_leads = Lead.objects.filter(status__in=OPEN_STATUSES)
    bundle = active_model()
    if bundle is None:
        return open_leads.exclude(predicted_score=None).update(predicted_score=None)
    changed, last_pk = 0, 0
    while True:
        leads = list(open_leads.filter(pk__gt=last_pk).only(*LEAD_FIELDS)
                     .order_by("pk")[:chunk_size])
        if not leads:
            return changed
        last_pk = leads[-1].pk
        scores = _probabilities(bundle, leads, activity_counts([lead.pk for lead in leads]))
        updated = []
        for lead, probability in zip(leads, scores, strict=True):
            if lead.predicted_score != (score := _as_score(probability)):
                lead.predicted_score = score
                updated.append(lead)
        # An UPDATE of the column alone: no signals, no history entry, "updated" untouched.
        Lead.everything.bulk_update(updated, ["predicted_score"], batch_size=500)
        changed += len(updated)


def predict_in_bulk(leads) -> None:
    """Set the active model's score on a batch of leads about to be stored (an import), with
    one model lookup and one activity query for the whole batch."""
    open_leads = [lead for lead in leads if lead.status in OPEN_STATUSES]
    bundle = active_model() if open_leads else None
    if bundle is None:
        return
    counts = activity_counts([lead.pk for lead in open_leads if lead.pk])
    for lead, probability in zip(open_leads, _probabilities(bundle, open_leads, counts),
                                 strict=True):
        lead.predicted_score = _as_score(probability)


def refresh_predicted_score(lead, *, has_activities: bool = True) -> float | None:
    """Score one open lead with the active model (new leads between two trainings)."""
    if lead.status not in OPEN_STATUSES or lead.deleted_at is not None:
        return lead.predicted_score
    bundle = active_model()
    if bundle is None:
        return lead.predicted_score  # the periodic job clears scores when a model goes
    counts = activity_counts([lead.pk]) if has_activities else {}
    score = _as_score(_probabilities(bundle, [lead], counts)[0])
    if score != lead.predicted_score:
        Lead.everything.filter(pk=lead.pk).update(predicted_score=score)
        lead.predicted_score = score
    return score


# --- explanations ------------------------------------------------------------------------

# The lead field each feature comes from, so a field hidden from a role hides its factor.
SOURCE_FIELD = {"seniority": "title"}
ACTIVITY_FIELD = "activities"


def _field_of(feature: str) -> str:
    name = feature.split("=", 1)[0]
    if name.startswith("activity."):
        return name
    return SOURCE_FIELD.get(name, name)


def _activity_label(kind: str, n: int) -> str:
    if n == 0:
        none = {"call": _("No calls logged"), "meeting": _("No meetings logged"),
                "email": _("No e-mails logged"), "note": _("No notes logged"),
                "task": _("No tasks logged")}
        return none.get(kind, "0")
    labels = {
        "call": ngettext("%(count)d call logged", "%(count)d calls logged", n),
        "meeting": ngettext("%(count)d meeting logged", "%(count)d meetings logged", n),
        "email": ngettext("%(count)d e-mail logged", "%(count)d e-mails logged", n),
        "note": ngettext("%(count)d note logged", "%(count)d notes logged", n),
        "task": ngettext("%(count)d task logged", "%(count)d tasks logged", n),
    }
    return labels.get(kind, "%(count)d") % {"count": n}


def _label(field: str, lead, counts, definitions) -> str:
    """A person's words for the value the lead has in ``field``."""
    if field.startswith("activity."):
        kind = field.removeprefix("activity.")
        return _activity_label(kind, counts.get(kind, 0))
    if field.startswith("custom."):
        definition = definitions.get(field.removeprefix("custom."))
        value = (lead.custom or {}).get(field.removeprefix("custom."))
        values = value if isinstance(value, list) else [value] if value else []
        label = definition.display_label if definition else field.removeprefix("custom.")
        shown = ", ".join(definition.choice_label(v) if definition else str(v) for v in values)
        return _("%(field)s: %(value)s") % {"field": label, "value": shown or _("not set")}
    given = {
        "phone": (_("Phone number given"), _("No phone number")),
        "website": (_("Website given"), _("No website")),
        "company": (_("Company given"), _("No company")),
    }
    if field in given:
        return given[field][0] if (getattr(lead, field) or "").strip() else given[field][1]
    if field == "email":
        return {"free": _("Free e-mail address"), "company": _("Company e-mail address"),
                "none": _("No e-mail address")}[email_kind(lead.email)]
    if field == "title":
        levels = {"vp": _("Vice president"), "executive": _("Executive"),
                  "director": _("Director"), "manager": _("Manager"), "staff": _("Staff")}
        level = seniority_of(lead.title)
        if level == "none":
            return _("No job title")
        return _("Seniority: %(value)s") % {"value": levels[level]}
    if field == "source":
        return _("Source: %(value)s") % {"value": lead.get_source_display()}
    named = {"industry": (_("Industry: %(value)s"), _("No industry given")),
             "country": (_("Country: %(value)s"), _("No country given")),
             "region": (_("Region: %(value)s"), _("No region given"))}
    present, missing = named[field]
    value = (getattr(lead, field) or "").strip()
    return present % {"value": value} if value else missing


def explain(lead, user=None, *, bundle=None, limit: int = TOP_FACTORS) -> list[dict]:
    """The fields that move this lead's predicted score most, largest first.

    A field's effect is the sum of weight × (the lead's value − the average closed lead's
    value) over the field's features: the change in log-odds against an average lead, so
    having no phone shows up as a factor as well as having one. Fields hidden from ``user``
    are left out. Costs a few queries: for one lead's page, not for every row of a list.
    """
    bundle = bundle or active_model()
    if bundle is None or not lead.pk:
        return []
    counts = activity_counts([lead.pk]).get(lead.pk, {})
    vectorizer = bundle["pipeline"].named_steps["features"]
    weights = bundle["pipeline"].named_steps["model"].coef_[0]
    values = vectorizer.transform([features_of(lead, counts, bundle["custom_fields"])])
    contributions = weights * (values.toarray().ravel() - bundle["baseline"])
    effects: dict[str, float] = defaultdict(float)
    for feature, contribution in zip(vectorizer.get_feature_names_out(), contributions,
                                     strict=True):
        effects[_field_of(str(feature))] += float(contribution)
    hidden = hidden_fields(Lead, user) if user is not None else frozenset()
    definitions = {}
    if any(field.startswith("custom.") for field in effects):
        definitions = {d.code: d for d in CustomField.objects.filter(entity="sales.lead")}
    ranked = sorted(effects.items(), key=lambda item: -abs(item[1]))
    factors = []
    for field, effect in ranked:
        shown_as = ACTIVITY_FIELD if field.startswith("activity.") else field
        if abs(effect) < 0.01 or shown_as in hidden:  # custom fields: "custom.<code>"
            continue
        factors.append({"field": shown_as, "label": _label(field, lead, counts, definitions),
                        "effect": round(effect, 2)})
        if len(factors) == limit:
            break
    return factors
