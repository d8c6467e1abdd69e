"""Who has a chat socket open on which room, counted in the cache (Redis in `scaled`, shared by
every worker process; local memory in `embedded`, where there is one process).

A counter per (room, user): +1 when a socket opens, -1 when it closes. The key lives
CHAT_PRESENCE_TTL_SECONDS and every open socket refreshes it a few times within that time, so
a worker that is killed with sockets open leaves its users "online" for at most that long.
"""

from uuid import UUID

from django.conf import settings
from django.core.cache import cache


def _key(*, room_id: UUID | str, user_id: UUID | str) -> str:
    return f"chat:presence:{room_id}:{user_id}"


def presence_add(*, room_id: UUID | str, user_id: UUID | str) -> None:
    key = _key(room_id=room_id, user_id=user_id)
    ttl = settings.CHAT_PRESENCE_TTL_SECONDS
    cache.add(key, 0, timeout=ttl)
    try:
        cache.incr(key)
    except ValueError:
        # The key expired between add and incr.
        cache.set(key, 1, timeout=ttl)
    cache.touch(key, timeout=ttl)


def presence_touch(*, room_id: UUID | str, user_id: UUID | str) -> None:
    cache.touch(_key(room_id=room_id, user_id=user_id), timeout=settings.CHAT_PRESENCE_TTL_SECONDS)


def presence_remove(*, room_id: UUID | str, user_id: UUID | str) -> None:
    key = _key(room_id=room_id, user_id=user_id)
    try:
        if cache.decr(key) < 0:
            cache.set(key, 0, timeout=settings.CHAT_PRESENCE_TTL_SECONDS)
    except ValueError:
        # Expired already: nothing to count down.
        return


def presence_online(*, room_id: UUID | str, user_id: UUID | str) -> bool:
    """Whether the user has at least one chat socket open on the room."""
    return (cache.get(_key(room_id=room_id, user_id=user_id)) or 0) > 0
