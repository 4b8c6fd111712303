"""The job page names the keys of a job's result in the reader's language."""

from django.contrib.auth import get_user_model

from realtime.models import Job
from tests.fixtures.world import signed_in


def test_result_keys_have_labels_and_booleans_read_as_words(in_acme):
    owner = get_user_model().objects.get(email=in_acme.rep_email)
    job = Job.objects.create(owner=owner, kind="customers.import_accounts", title="Import",
                             status=Job.Status.SUCCEEDED,
                             result={"rows": 12, "failed": 2, "dry_run": True, "custom_key": 5})
    page = signed_in(in_acme.host, in_acme.rep_email).get(f"/app/jobs/{job.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<dt>Rows read</dt><dd>12</dd>" in html
    assert "<dt>Rows with errors</dt><dd>2</dd>" in html
    assert "<dt>Validation only (nothing saved)</dt><dd>Yes</dd>" in html
    assert "<dt>custom_key</dt><dd>5</dd>" in html  # a key without a label shows as it is
    # The live script finds the same labels in the page's template element.
    assert '<span data-key="failed">Rows with errors</span>' in html


def test_another_users_job_page_is_not_found(in_acme):
    owner = get_user_model().objects.get(email=in_acme.rep_email)
    job = Job.objects.create(owner=owner, kind="customers.import_accounts", title="Import")
    page = signed_in(in_acme.host, in_acme.admin_email).get(f"/app/jobs/{job.pk}/")
    assert page.status_code == 404
