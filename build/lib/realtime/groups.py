"""Channel-layer group names and pushes. Every group name starts with the tenant's schema."""

import asyncio
import hashlib
import logging
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)


def user_group(schema_name: str, user_id: int) -> str:
    """The group of one user's sockets: ``<schema>.user.<id>``. User ids restart in every
    schema, so the schema prefix is what keeps tenant A's user 1 apart from tenant B's."""
    return f"{schema_name}.user.{int(user_id)}"


def session_group(schema_name: str, session_key: str) -> str:
    """The group of the sockets opened with one session (closed when it signs out)."""
    digest = hashlib.sha256(session_key.encode()).hexdigest()[:32]
    return f"{schema_name}.session.{digest}"


async def _send_all(layer, messages) -> None:
    results = await asyncio.gather(
        *(layer.group_send(group, message) for group, message in messages),
        return_exceptions=True)
    for result in results:
        if isinstance(result, Exception):
            # A push is a hint: clients catch up from the stored rows, so log and go on.
            logger.warning("push failed: %r", result)


def _send_now(layer, messages) -> None:
    try:
        async_to_sync(_send_all)(layer, messages)
    except Exception:  # the channel layer being down must not fail the caller's work
        logger.exception("could not push %d messages", len(messages))


def push(messages: list[tuple[str, dict]]) -> None:
    """Send ``(group, message)`` pairs concurrently, from synchronous code."""
    if not messages:
        return
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        _send_now(layer, messages)
    else:
        # Synchronous code running on an event loop's thread cannot block on that loop.
        _pusher.submit(_send_now, layer, messages)


_pusher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="push")
