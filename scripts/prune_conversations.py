"""Delete conversations whose last message is older than N days from the tracker store.

Usage: python scripts/prune_conversations.py --days 30 [--url SQLALCHEMY_URL] [--dry-run]
The URL defaults to $TRACKER_STORE_URL, else the embedded sqlite:///storage/conversations.db.
Whole conversations go (never half of one), in one transaction.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import sqlalchemy as sa

DEFAULT_URL = "sqlite:///storage/conversations.db"


def prune(url: str, days: float, dry_run: bool = False) -> tuple[int, int]:
    """Returns (conversations, events) deleted (or that would be, with dry_run)."""
    cutoff = time.time() - days * 86400
    engine = sa.create_engine(url)
    if not sa.inspect(engine).has_table("events"):
        return 0, 0
    stale = sa.text("SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < :cutoff")
    with engine.begin() as connection:
        senders = [row[0] for row in connection.execute(stale, {"cutoff": cutoff})]
        if not senders:
            return 0, 0
        count = sa.text("SELECT COUNT(*) FROM events WHERE sender_id IN :senders").bindparams(
            sa.bindparam("senders", expanding=True)
        )
        events = connection.execute(count, {"senders": senders}).scalar_one()
        if not dry_run:
            delete = sa.text("DELETE FROM events WHERE sender_id IN :senders").bindparams(
                sa.bindparam("senders", expanding=True)
            )
            connection.execute(delete, {"senders": senders})
    return len(senders), events


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
