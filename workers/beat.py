"""RedBeat's scheduler, kept ticking through a Redis restart (issue 17).

RedBeat 2.4 leaves the beat to die when Redis goes away: ``tick`` extends its lock with no
guard, so the first tick after a restart raises ``ConnectionError`` (Redis down) or
``LockNotOwnedError`` (Redis back, empty: the lock key is gone), and a standby beat whose
start-up lock wait was cut by the restart has no lock at all and dies on
``AttributeError: 'NoneType' object has no attribute 'extend'`` (sibson/redbeat#285).  Celery's
beat service lets any error out of ``tick`` end the process, so polling stopped until a person
restarted the beat.

:class:`ResilientRedBeatScheduler` keeps RedBeat's rule (only the holder of the lock ticks) and
adds three things to ``tick``:

- Redis unreachable: log one warning and try again in :data:`RETRY_S` seconds (at start-up
  too: the static schedule is installed once Redis answers);
- lock lost (or never taken): take it again, waiting as a standby while another beat holds it,
  before anything is sent, so two beats never tick at once;
- schedule gone (Redis restarted without its data): install the static entries again, the
  minute ticks due at once.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import redis
from celery.schedules import schedule
from redbeat import RedBeatScheduler
from redbeat.schedulers import LUA_EXTEND_TO_SCRIPT, get_redis

logger = logging.getLogger(__name__)

#: seconds between two tries while Redis cannot be reached
RETRY_S = 2.0
REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError)


class ResilientRedBeatScheduler(RedBeatScheduler):  # type: ignore[misc]  # redbeat is untyped
    """RedBeat that survives Redis restarts (see the module's docstring)."""

    lock: Any = None  # redis-py's Lock once taken

    def tick(self, *args: Any, **kwargs: Any) -> float:
        try:
            if self.lock_key:
                if self.lock is None:
                    self._take_lock()
                self.lock.extend(int(self.lock_timeout))  # still ours? (raises LockError if not)
            self._restore_schedule()
            interval: float = super().tick(*args, **kwargs)
        except redis.exceptions.LockError as exc:
            logger.warning("beat: lost the lock (%s); taking it again before ticking", exc)
            self.lock = None
            return 0.0
        except REDIS_DOWN as exc:
            logger.warning("beat: Redis unreachable (%s); trying again in %s s", exc, RETRY_S)
            return RETRY_S
        return interval

    def setup_schedule(self) -> None:
        """RedBeat's, tried again while Redis cannot be reached (a beat started before Redis,
        or while it restarts), instead of ending the beat."""
        while True:
            try:
                super().setup_schedule()
                return
            except REDIS_DOWN as exc:
                logger.warning("beat: Redis unreachable (%s); trying again in %s s", exc, RETRY_S)
                time.sleep(RETRY_S)

    def _take_lock(self) -> None:
        """Take RedBeat's lock as its start-up does: blocks while another beat holds it."""
        client = get_redis(self.app)
        lock = client.lock(self.lock_key, timeout=self.lock_timeout, sleep=self.max_interval)
        lock.lua_extend = client.register_script(LUA_EXTEND_TO_SCRIPT)
        logger.info("beat: waiting for the lock %s", self.lock_key)
        lock.acquire()
        logger.info("beat: Acquired lock")
        self.lock = lock

    def _restore_schedule(self) -> None:
        """Install the static entries again if Redis lost them (restarted without its data).

        The entries that run at intervals (every minute: find the due feeds, pages, baselines)
        are made due at once: the restart lost the tasks they had queued, and what they do is
        idempotent.  Entries on a calendar (the daily deadline check) keep their next time."""
        conf = self.app.redbeat_conf
        if get_redis(self.app).exists(conf.statics_key):
            return
        logger.warning("beat: the schedule is gone from Redis; installing it again")
        self.setup_schedule()
        for name in conf.schedule:
            entry = self.Entry.from_key(self.Entry.generate_key(self.app, name), app=self.app)
            if isinstance(entry.schedule, schedule):  # not a crontab
                entry.reschedule(last_run_at=self.app.now() - entry.schedule.run_every)

    def close(self) -> None:
        """Release the lock if Redis can be reached; otherwise it expires on its own."""
        try:
            super().close()
        except REDIS_DOWN as exc:
            logger.warning("beat: could not release the lock (%s); it expires on its own", exc)
            self.lock = None
