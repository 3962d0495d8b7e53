"""Delete conversations whose last message is older than N days from the tracker store.

Usage: python scripts/prune_conversations.py --days 30 [--url SQLALCHEMY_URL] [--dry-run]
The URL defaults to $TRACKER_STORE_URL, else the embedded sqlite:///storage/conversations.db.
Whole conversations go (never half of one), in one transaction.

The bot keeps writing while this runs, so choosing the old conversations and deleting
them is one statement: a conversation with a message newer than the cut-off, even one
that arrived a moment ago, is not deleted. On PostgreSQL the statement first waits for
messages being saved (a table lock that holds back writes, not reads, until the commit);
SQLite lets only one writer in at a time anyway.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import sqlalchemy as sa

DEFAULT_URL = "sqlite:///storage/conversations.db"

STALE = "SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < :cutoff"
COUNT_STALE = sa.text(f"SELECT COUNT(DISTINCT sender_id), COUNT(*) FROM events WHERE sender_id IN ({STALE})")
# RETURNING (PostgreSQL; SQLite 3.35+) counts what was deleted without a second, separate look.
DELETE_STALE = sa.text(f"DELETE FROM events WHERE sender_id IN ({STALE}) RETURNING sender_id")
# Conflicts with the inserts of a message being saved (and with another prune), not with readers.
LOCK_OUT_WRITERS = sa.text("LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE")


def prune(url: str, days: float, dry_run: bool = False) -> tuple[int, int]:
    """Returns (conversations, events) deleted (or that would be, with dry_run)."""
    cutoff = time.time() - days * 86400
    engine = sa.create_engine(url)
    try:
        if not sa.inspect(engine).has_table("events"):
            return 0, 0
        with engine.begin() as connection:
            if dry_run:
                conversations, events = connection.execute(COUNT_STALE, {"cutoff": cutoff}).one()
                return conversations, events
            if engine.dialect.name == "postgresql":
                connection.execute(LOCK_OUT_WRITERS)
            senders = [row[0] for row in connection.execute(DELETE_STALE, {"cutoff": cutoff})]
        return len(set(senders)), len(senders)
    finally:
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, required=True, help="keep conversations active in the last N days")
    parser.add_argument("--url", default=os.environ.get("TRACKER_STORE_URL") or DEFAULT_URL)
    parser.add_argument("--dry-run", action="store_true", help="only count what would be deleted")
    args = parser.parse_args()
    if args.days < 0:
        parser.error("--days must be 0 or more")
    conversations, events = prune(args.url, args.days, args.dry_run)
    verb = "would delete" if args.dry_run else "deleted"
    print(f"{verb} {conversations} conversation(s), {events} event(s) older than {args.days:g} day(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
