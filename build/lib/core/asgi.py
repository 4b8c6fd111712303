"""ASGI entry point: HTTP through Django, websockets through the routes realtime/ defines."""

import gc
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")
os.environ.setdefault("DB_POOL", "true")  # the server reuses pooled connections (settings.py)

from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from realtime.routing import websocket_application  # noqa: E402

application = ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_application})

# Everything loaded at start-up lives as long as the process: move it out of the collector's
# sight, and collect less often. Full collections over it paused a server holding a thousand
# sockets for 100-400 ms at a time (docs/benchmarks.md, websockets).
gc.collect()
gc.freeze()
gc.set_threshold(50_000, 20, 100)
