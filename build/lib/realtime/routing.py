"""Websocket routes: every route sits behind the tenant, Origin and session middleware."""

from channels.routing import URLRouter
from channels.security.websocket import WebsocketDenier
from django.urls import path, re_path

from realtime.consumers import NotificationConsumer
from realtime.middleware import TenantWebsocketMiddleware

websocket_urlpatterns = [
    path("ws/notifications/", NotificationConsumer.as_asgi()),
    re_path(r"", WebsocketDenier.as_asgi()),  # any other path: refused, not an error
]
websocket_application = TenantWebsocketMiddleware(URLRouter(websocket_urlpatterns))
