"""A Redis lock store that really serialises a conversation across several Rasa instances.

Rasa 3.6's `RedisLockStore` keeps each conversation's ticket lock as one JSON value and changes it
by read, modify, write. Two instances that take a message of the same conversation at the same
moment both read "no tickets", both write ticket 0, and both go ahead: the two turns run at once and
one turn's events are lost (RasaHQ/rasa#9213; the fix, `ConcurrentRedisLockStore`, was withdrawn
from Rasa Open Source in RasaHQ/rasa#11428). The scale-out test shows it with two instances on
loopback.

This store makes every change of a lock one optimistic Redis transaction (WATCH the key, read,
change, MULTI/SET/EXEC, start again if another instance changed the key meanwhile). Tickets are
therefore unique, and a lock is deleted only if nobody took a ticket since it was read.

    lock_store:
      type: rasa_llm.AtomicRedisLockStore
      url: redis.internal
      port: 6379
      db: 1
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

Result = TypeVar("Result")
# What a change returns: the lock to store (None deletes it) and the caller's result.
Change = Callable[[TicketLock | None], tuple[TicketLock | None, Result]]


class AtomicRedisLockStore(RedisLockStore):
    """`RedisLockStore` whose ticket changes are atomic across processes."""

    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        # Rasa builds a lock store named by module path with `endpoint_config=` only.
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)

    def _transaction(self, conversation_id: str, change: Change) -> Result:
        import redis

        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    serialised = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(serialised)) if serialised else None
                    new_lock, result = change(lock)
                    pipe.multi()
                    if new_lock is None:
                        pipe.delete(key)
                    else:
                        pipe.set(key, new_lock.dumps())
                    pipe.execute()
                    return result
                except redis.WatchError:
                    logger.debug("Lock of conversation '%s' changed meanwhile; retrying.", conversation_id)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Issue the next ticket of the conversation's lock, creating the lock if needed."""
        logger.debug("Issuing ticket for conversation '%s'.", conversation_id)

        def add_ticket(lock: TicketLock | None) -> tuple[TicketLock, int]:
            lock = lock or TicketLock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._transaction(conversation_id, add_ticket)
        except Exception as error:  # noqa: BLE001 - Rasa expects LockError for any store failure
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        """Drop the expired tickets of the conversation's lock."""

        def drop_expired(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._transaction(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Remove the served ticket from the conversation's lock."""

        def remove_ticket(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return lock, None

        self._transaction(conversation_id, remove_ticket)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Remove the served ticket and delete the lock if no other ticket waits, in one step:
        a ticket another instance issues in between keeps the lock alive."""

        def remove_ticket_and_maybe_lock(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return (lock if lock.is_someone_waiting() else None), None

        self._transaction(conversation_id, remove_ticket_and_maybe_lock)
