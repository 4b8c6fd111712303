# syntax=docker/dockerfile:1
# One image for every process of the platform: web (uvicorn), Celery worker, Celery beat and the
# migration job, chosen by the command (scripts/container-entrypoint.sh).

ARG PYTHON_IMAGE=python:3.11-slim
ARG NODE_IMAGE=node:20-slim

# --- Front-end packages: bootstrap, bootstrap-icons and htmx, served by us (no CDN) ---
FROM ${NODE_IMAGE} AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts

# --- Python dependencies in a venv, then the collected static files ---
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
# Dependencies first, read from pyproject.toml: this layer is rebuilt only when they change.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install --upgrade pip \
    && pip install -r /tmp/requirements.txt
COPY . .
COPY --from=assets /src/node_modules ./node_modules
# collectstatic reads the production settings, which refuse to load without these; the values
# only live for this command and no database is contacted.
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
    DATABASE_URL=postgres://build@127.0.0.1:5432/build \
    BASE_DOMAIN=build.invalid \
    STATIC_ROOT=/app/staticfiles \
    DJANGO_SETTINGS_MODULE=core.settings_production \
    python manage.py collectstatic --noinput --verbosity 0 \
    && rm -rf node_modules

# --- Runtime: the venv, the code and the collected static files, run by an unprivileged user ---
FROM ${PYTHON_IMAGE} AS runtime
# pg_dump for tenant exports (tenants/lifecycle.py); nothing else is fetched after the build.
RUN apt-get update \
    && apt-get install --yes --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 crm \
    && useradd --system --uid 10001 --gid crm --home-dir /app --shell /usr/sbin/nologin crm
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=core.settings_production \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/app/.data/media \
    TENANT_EXPORT_DIR=/app/.data/exports \
    CELERY_BEAT_SCHEDULE_FILENAME=/app/.data/celerybeat-schedule \
    PORT=8000 \
    WEB_CONCURRENCY=4
WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
COPY --from=builder --chown=root:root /app /app
# Only the data directory (uploads, exports, beat's schedule) is writable; mount a volume there.
RUN mkdir -p /app/.data/media /app/.data/exports \
    && chown -R crm:crm /app/.data \
    && chmod 0755 /app/scripts/container-entrypoint.sh
USER crm:crm
EXPOSE 8000
VOLUME ["/app/.data"]
# The web process must answer GET /healthz (no database, exempt from the HTTPS redirect); worker
# and beat have no port. See "healthcheck" in scripts/container-entrypoint.sh.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/app/scripts/container-entrypoint.sh", "healthcheck"]
ENTRYPOINT ["/app/scripts/container-entrypoint.sh"]
CMD ["web"]
