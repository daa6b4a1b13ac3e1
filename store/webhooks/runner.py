"""The sender's loop (`cs webhook run`): fan out, claim, send in parallel, record; wait out
a database that went away; on stop, finish the attempts under way and give back the rest."""

import itertools
import logging
import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor, as_completed

from peewee import IntegrityError, InterfaceError, OperationalError

from models.base import db, utcnow
from store.webhooks.http import Outcome
from store.webhooks.sender import claim, fan_out, prepare, record, release, send

log = logging.getLogger("community_store.webhooks")
DATABASE_ERRORS = (OperationalError, InterfaceError)
# Seconds between tries while the database is away: doubling up to the last.
BACKOFF = (0.5, 1, 2, 5)
# How long a stopping sender keeps trying to record attempts it made.
RECORD_GRACE = 30
HOUR = 3600


def _discard_connection(database):
    """Drop this thread's connection for good: after a failure it may be dead."""
    try:
        while database.in_transaction():
            database.pop_transaction()
        database.manual_close()
    except DATABASE_ERRORS:
        pass


class Sender:
    """One sender process; `stop` is a threading.Event that asks it to finish."""

    def __init__(self, database, settings, stop, workers=8, hourly=()):
        self.database = database
        self.settings = settings
        self.webhooks = settings.webhooks
        self.stop = stop
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="webhook")
        self.hourly = list(hourly)
        self.next_hourly = time.monotonic()
        self._claims = itertools.count(1)
        self._name = f"{socket.gethostname()[:40]}:{os.getpid()}"

    def _owner(self):
        return f"{self._name}:{next(self._claims)}"[-64:]

    def run(self):
        """Loop until asked to stop; exits cleanly (leases given back)."""
        failures = 0
        log.info("webhook sender %s started", self._name)
        while not self.stop.is_set():
            try:
                busy = self.step()
                failures = 0
            except DATABASE_ERRORS as error:
                _discard_connection(self.database)
                wait = BACKOFF[min(failures, len(BACKOFF) - 1)]
                failures += 1
                log.warning("database unavailable (%s); trying again in %ss", error, wait)
                self.stop.wait(wait)
                continue
            if not busy:
                self.stop.wait(self.webhooks.poll_interval)
        self.pool.shutdown(wait=True)
        log.info("webhook sender %s stopped", self._name)

    def step(self):
        """One round; whether it found work (a busy sender goes on at once)."""
        with db.bound(self.database), self.database.connection_context():
            self._maintain()
            made = fan_out()
            owner = self._owner()
            claimed = claim(owner, self.webhooks.lease)
            requests = prepare(claimed, self.settings) if claimed else []
        if requests:
            self._send_all(owner, requests)
        return bool(made or requests)

    def _maintain(self):
        if not self.hourly or time.monotonic() < self.next_hourly:
            return
        self.next_hourly = time.monotonic() + HOUR
        for task in self.hourly:
            log.info("hourly: %s", task(self.settings))

    def _attempt(self, request):
        if request.body is None:
            return Outcome(None, None, None, 0), utcnow()
        attempted_at = utcnow()
        return send(request, self.webhooks), attempted_at

    def _send_all(self, owner, requests):
        futures = {self.pool.submit(self._attempt, request): request for request in requests}
        for future in as_completed(futures):
            if self.stop.is_set():
                # Attempts not started yet stay unsent; their leases are given back below.
                for other in futures:
                    other.cancel()
            if future.cancelled():
                continue
            outcome, attempted_at = future.result()
            self._record(futures[future], outcome, owner, attempted_at)
        if any(future.cancelled() for future in futures):
            self._with_database(lambda: release(owner))

    def _record(self, request, outcome, owner, attempted_at):
        try:
            kept = self._with_database(
                lambda: record(request, outcome, owner, self.webhooks, attempted_at)
            )
        except IntegrityError as error:
            # The delivery vanished in a way the lock order did not foresee: one lost log
            # line must not stop the sender.
            log.warning("attempt of delivery %s not recorded: %s", request.delivery.id, error)
            return
        if kept is False:
            log.warning("lease of delivery %s lapsed during its attempt", request.delivery.id)

    def _with_database(self, work):
        """Run `work` on the database, waiting for it while it is away (an attempt already
        made must be recorded, or it would be made again)."""
        failures, started = 0, time.monotonic()
        while True:
            try:
                with db.bound(self.database), self.database.connection_context():
                    return work()
            except DATABASE_ERRORS as error:
                _discard_connection(self.database)
                if self.stop.is_set() and time.monotonic() - started > RECORD_GRACE:
                    log.error("giving up recording after %ss: %s", RECORD_GRACE, error)
                    return None
                wait = BACKOFF[min(failures, len(BACKOFF) - 1)]
                failures += 1
                log.warning("database unavailable (%s); trying again in %ss", error, wait)
                time.sleep(wait)
