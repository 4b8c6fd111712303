"""The notifications socket: one per open page, joined to the user's own group."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from core.observability.metrics import websocket_closed, websocket_opened
from realtime.groups import session_group, user_group
from realtime.services import unread_count
from realtime.tenancy import in_tenant

SESSION_ENDED = 4401  # close code the page reads as "signed out": it stops reconnecting


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    """Pushes new notifications, unread counts and job progress to one signed-in user.

    The scope's tenant and user come from TenantWebsocketMiddleware; every database call goes
    through ``in_tenant`` (see realtime/tenancy.py).
    """

    async def connect(self):
        self.tenant, self.user = self.scope["tenant"], self.scope["user"]
        self.groups_joined = [
            user_group(self.tenant.schema_name, self.user.pk),
            session_group(self.tenant.schema_name, self.scope["session_key"]),
        ]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        websocket_opened()  # the open-sockets gauge of /metrics
        self.counted = True
        # Counted after joining the group: a notification stored from here on is pushed too.
        unread = await in_tenant(self.tenant, unread_count, self.user.pk)
        await self.send_json({"type": "hello", "unread": unread, "user": self.user.pk})

    async def disconnect(self, code):
        if getattr(self, "counted", False):  # a refused socket was never counted
            websocket_closed()
            self.counted = False
        for group in getattr(self, "groups_joined", ()):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        # Clients only ping (to keep proxies from closing idle sockets); the rest is HTTP.
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    @classmethod
    async def decode_json(cls, text_data):
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None  # a malformed frame is ignored, not a crash of the socket

    async def notification_new(self, event):
        await self.send_json({"type": "notification", "notification": event["notification"],
                              "unread": event["unread"]})

    async def notification_unread(self, event):
        await self.send_json({"type": "unread", "unread": event["unread"]})

    async def session_ended(self, event):
        # Signed out (in this tab or another): the socket is no longer authenticated.
        await self.close(code=SESSION_ENDED)

    async def job_progress(self, event):
        await self.send_json({"type": "job", "job": event["job"]})

    async def board_move(self, event):
        # A card moved on a sales board (sent only to users who may see that opportunity).
        await self.send_json({"type": "board", "board": event["board"]})

    async def ticket_update(self, event):
        # A ticket changed (sent only to staff who see it and to its customer's portal users,
        # whose copy carries public messages only: crm_apps/service/live.py).
        await self.send_json({"type": "ticket", "ticket": event["ticket"]})
