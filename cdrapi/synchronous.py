"""Synchronous replication, seen from the application (docs/production.md, "Failover").

With a synchronous standby, a COMMIT returns once the standby has the transaction. A
COMMIT whose wait is cancelled (a cancel request: pg_cancel_backend, a client's or a
pooler's cancel; the statement timeout does not apply to it) returns success all the
same, with only a WARNING saying the transaction "has already committed locally, but
might not have been replicated to the standby". Acknowledging that call would break the
promise that a 2xx means it is on both servers, so `confirm()` turns that warning into an
outage (503 with Retry-After; the consumer does not acknowledge): the client retries and
is answered 200 duplicate once the standby has it.

`standby_count()` is what /metrics reports as cdrapi_database_synchronous_standbys: 0
while the primary acknowledges writes alone (the standby down, Patroni's
synchronous_mode_strict off).
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections, transaction

# The start of PostgreSQL's warning (src/backend/replication/syncrep.c).
CANCELLED_WAIT = "canceling wait for synchronous replication"
_FLAG = "cdrapi_unconfirmed_commit"


def watch(sender, connection, **kwargs) -> None:
    """connection_created receiver: note, on the connection, a commit the standby did not
    confirm."""
    if connection.vendor != "postgresql":
        return

    def notice(diagnostic) -> None:
        if (diagnostic.message_primary or "").startswith(CANCELLED_WAIT):
            setattr(connection, _FLAG, True)

    connection.connection.add_notice_handler(notice)


def confirm(using: str = DEFAULT_DB_ALIAS) -> None:
    """Raise OperationalError (an outage) after the commit of the current transaction, or
    now when it has committed already, if the standby did not confirm it."""
    wrapper = connections[using]
    if wrapper.in_atomic_block:
        setattr(wrapper, _FLAG, False)  # only this transaction's commit counts

    def check() -> None:
        if getattr(wrapper, _FLAG, False):
            setattr(wrapper, _FLAG, False)
            raise OperationalError(
                "the commit was not confirmed by the synchronous standby (its wait was "
                "cancelled): not acknowledged"
            )

    transaction.on_commit(check, using=using)


def standby_count(using: str = DEFAULT_DB_ALIAS) -> int | None:
    """How many synchronous standbys confirm the primary's commits now; None when the
    database is not PostgreSQL or does not answer."""
    wrapper = connections[using]
    if wrapper.vendor != "postgresql":
        return None
    try:
        with wrapper.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum')"
            )
            return int(cursor.fetchone()[0])
    except (OperationalError, InterfaceError):
        return None
