"""The hourly segment job on a real worker: beat fans it out to every active tenant, each run
recomputes its own tenant's segments, and globex's run leaves acme's rows alone."""

import time

import pytest
from celery.beat import ScheduleEntry
from django.conf import settings
from django_tenants.utils import schema_context, tenant_context

from core.beat import ActiveTenantScheduler
from crm_apps.customers.models import Contact, Tag
from crm_apps.segments.models import ContactMetrics, Segment, SegmentMembership

pytestmark = pytest.mark.usefixtures("committed")
VIP_RULES = [{"field": "tag", "op": "has", "value": "job-vip"}]


@pytest.fixture
def tenants(committed):
    from tenants.models import Tenant

    return {t.slug: t for t in Tenant.objects.filter(slug__in=["acme", "globex"])}


@pytest.fixture
def vip_worlds(tenants):
    """In each tenant a committed "job-vip" tag, one tagged contact and a VIP segment whose
    members were never computed; removed afterwards."""

    def clean():
        for tenant in tenants.values():
            with tenant_context(tenant):
                Segment.objects.filter(name="Job VIP").delete()
                Contact.everything.filter(first_name="Job").delete()
                Tag.objects.filter(name="job-vip").delete()

    clean()
    made = {}
    for slug, tenant in tenants.items():
        with tenant_context(tenant):
            tag = Tag.objects.create(name="job-vip")
            # Written without events, so only the job under test computes anything.
            contact = Contact.objects.bulk_create([Contact(first_name="Job", last_name=slug)])[0]
            Contact.tags.through.objects.create(contact=contact, tag=tag)
            made[slug] = {"segment": Segment.objects.create(name="Job VIP", rules=VIP_RULES),
                          "contact": contact}
    yield made
    clean()


def wait_until(predicate, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def test_beat_runs_the_segment_job_in_every_tenant(celery_worker, tenants, vip_worlds):
    scheduled = settings.CELERY_BEAT_SCHEDULE["recompute-segments"]
    scheduler = ActiveTenantScheduler(app=celery_worker, lazy=True)
    entry = ScheduleEntry(name="segments", task=scheduled["task"], schedule=3600,
                          app=celery_worker, options={"headers": {"_all_tenants_only": True}})
    with schema_context("public"):
        scheduler.apply_entry(entry)

    def computed():
        done = []
        for tenant in tenants.values():
            with tenant_context(tenant):
                done.append(Segment.objects.filter(name="Job VIP",
                                                   computed_at__isnull=False).exists())
        return all(done)

    wait_until(computed)
    for slug, tenant in tenants.items():
        with tenant_context(tenant):
            segment = Segment.objects.get(name="Job VIP")
            assert segment.member_count == 1
            members = SegmentMembership.objects.filter(segment=segment)
            assert [m.contact_id for m in members] == [vip_worlds[slug]["contact"].pk]
            assert ContactMetrics.objects.filter(contact=vip_worlds[slug]["contact"]).exists()


def test_a_run_in_globex_leaves_acme_alone(celery_worker, tenants, vip_worlds):
    from crm_apps.segments.tasks import recompute_segments

    with tenant_context(tenants["globex"]):
        recompute_segments.apply_async().get(timeout=60)
        assert Segment.objects.get(name="Job VIP").member_count == 1
    with tenant_context(tenants["acme"]):
        acme_segment = Segment.objects.get(name="Job VIP")
        assert acme_segment.computed_at is None
        assert not SegmentMembership.objects.filter(segment=acme_segment).exists()
        assert not ContactMetrics.objects.filter(
            contact=vip_worlds["acme"]["contact"]).exists()
