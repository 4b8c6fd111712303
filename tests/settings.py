"""Settings of a test run: the project's settings with test defaults set in the environment first.

Servers the tests start inherit this environment, so they agree with the tests (cache namespace,
password hasher, export and media folders).
"""

import os
import tempfile
import uuid

os.environ.setdefault("CACHE_KEY_PREFIX", f"test-{uuid.uuid4().hex[:8]}")
os.environ.setdefault("PASSWORD_HASHERS", "django.contrib.auth.hashers.MD5PasswordHasher")
os.environ.setdefault("TENANT_SPARE_POOL_SIZE", "0")
os.environ.setdefault("TENANT_EXPORT_DIR", tempfile.mkdtemp(prefix="crm-exports-"))
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="crm-media-"))
# The test process talks to the database from one thread, and a pool would outlive
# pytest-django's switch to the test database; servers started by the tests set DB_POOL=true.
os.environ["DB_POOL"] = "false"
# Playwright's sync API keeps an event loop in the test thread; Django would otherwise refuse
# the tests' own synchronous database calls made beside it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# Real Redis for the cache, the channel layer and Celery: the machine's (REDIS_URL) or a
# private redis-server started here. Servers and workers the tests start inherit it.
if not os.environ.get("REDIS_URL"):
    from tests.fixtures.private_redis import start_private_redis

    os.environ["REDIS_URL"] = start_private_redis()
# Tasks run in the caller unless a test asks for the real worker (fixture celery_worker),
# which switches this off for its duration.
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")

from core.settings import *  # noqa: E402, F403
