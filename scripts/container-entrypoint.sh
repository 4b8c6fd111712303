#!/bin/sh
# Starts one process of the platform from the image: web, worker, beat, migrate or manage.
set -eu

# The image keeps the code in /app; from a checkout, the repository root.
cd "$(dirname "$0")/.."

usage() {
    echo "usage: container-entrypoint.sh web|worker|beat|migrate|manage <command> [args...]|healthcheck" >&2
    exit 64
}

role="${1:-web}"
[ "$#" -gt 0 ] && shift

case "$role" in
    web)
        # Several workers: one process serves one core; websockets need the ASGI server.
        exec uvicorn core.asgi:application \
            --host 0.0.0.0 --port "${PORT:-8000}" \
            --workers "${WEB_CONCURRENCY:-4}" \
            --proxy-headers --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}" \
            --no-server-header "$@"
        ;;
    worker)
        exec celery -A core worker --loglevel "${LOG_LEVEL:-INFO}" \
            --concurrency "${CELERY_CONCURRENCY:-2}" "$@"
        ;;
    beat)
        # Exactly one beat per deployment: two would send every periodic job twice.
        exec celery -A core beat --loglevel "${LOG_LEVEL:-INFO}" "$@"
        ;;
    migrate)
        # migrate_fleet (public, then the template and every tenant behind the code, in
        # parallel; one run at a time), then the public host's record and the spare tenant
        # schemas; safe to run again on every release.
        exec python manage.py bootstrap "$@"
        ;;
    manage)
        [ "$#" -gt 0 ] || usage
        exec python manage.py "$@"
        ;;
    healthcheck)
        # The web process answers /healthz (no database, exempt from the HTTPS redirect); the
        # worker and beat have no HTTP port, and a dead one ends the container anyway. Any
        # process, not only PID 1, may be uvicorn: under --init PID 1 is the init shim.
        if grep -qs uvicorn /proc/[0-9]*/cmdline; then
            exec python -c 'import os, sys, urllib.request
request = urllib.request.Request(
    "http://127.0.0.1:%s/healthz" % os.environ.get("PORT", "8000"),
    headers={"Host": os.environ.get("BASE_DOMAIN", "localhost")})
try:
    urllib.request.urlopen(request, timeout=4)
except OSError as exc:
    sys.exit("unhealthy: %s" % exc)'
        fi
        exit 0
        ;;
    -h|--help|help)
        usage
        ;;
    *)
        # Anything else runs as given (a shell for debugging, a one-off script).
        exec "$role" "$@"
        ;;
esac
