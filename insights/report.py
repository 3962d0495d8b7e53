"""Conversation insights report for the advising office: one HTML page plus the same numbers as JSON.

Usage: python -m insights.report [--since 2026-11-01] [--until 2026-11-30] [--redact]
                                 [--url SQLALCHEMY_URL] [--timezone America/Chicago] [--out results/report]
Reads the tracker store `make run` uses ($TRACKER_STORE_URL, else storage/conversations.db);
writes OUT/report.html (self-contained, opens offline) and OUT/report.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Optional, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2

from insights import charts, metrics
from insights.privacy import redact
from insights.store import StoreError, read_conversations, tracker_store_url

TEMPLATES = Path(__file__).resolve().parent / "templates"
DEFAULT_DAYS = 30  # without --since: the last 30 days up to --until
DEFAULT_OUT = Path("results/report")


def period_from_args(since: Optional[str], until: Optional[str], zone_name: str) -> metrics.Period:
    """The report period; raises ValueError with a readable reason for bad input."""
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {zone_name!r} (use a name such as UTC or America/Chicago)") from None
    last = _date(until, "--until") if until else datetime.now(zone).date()
    first = _date(since, "--since") if since else last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise ValueError(f"--since {first} is after --until {last}")
    return metrics.Period(first, last, zone)


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{option} {text!r} is not a date like 2026-11-30") from None


def period_text(period: metrics.Period) -> str:
    """ "1 Nov 2026 to 30 Nov 2026" (or one day)."""

    def day(d: date) -> str:
        return f"{d.day} {d:%b %Y}"

    return day(period.since) if period.since == period.until else f"{day(period.since)} to {day(period.until)}"


def render_html(report: Dict[str, Any], period: metrics.Period, redacted: bool) -> str:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined
    )
    questions = [row for row in report["topics"] if row["kind"] == "question"]
    return environment.get_template("report.html").render(
        report=report,
        redacted=redacted,
        period_text=period_text(period),
        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        charts={
            "per_day": charts.per_day(report["per_day"]) if report["totals"]["messages"] else "",
            "topics": charts.topics(questions) if questions else "",
        },
    )


def subject_labels() -> Dict[str, str]:
    """Names of the knowledge file's gaps and roles for the "cannot answer" list (ids if the file is unreadable)."""
    from actions.knowledge import KnowledgeError, load_knowledge

    try:
        kb = load_knowledge()
    except KnowledgeError:
        return {}
    labels = {f"{metrics.GAP}:{gap.id}": gap.label or gap.subject for gap in kb.not_covered}
    labels.update(
        {
            f"{metrics.ROLE}:{role.id}": f"Compared with {role.plural}"
            if role.synonyms
            else "Jobs the file does not list"
            for role in kb.roles
        }
    )
    return labels


def write_report(url: str, period: metrics.Period, out: Path, redacted: bool = False) -> Dict[str, Any]:
    """Reads the store, writes OUT/report.html and OUT/report.json; returns the numbers."""
    conversations = read_conversations(url, period.start, period.end)
    report = metrics.build(
        conversations, period, clean=redact if redacted else lambda text: text, subject_labels=subject_labels()
    )
    report["redacted"] = redacted
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "report.html").write_text(render_html(report, period, redacted), encoding="utf-8")
    return report


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--since", help=f"first day, YYYY-MM-DD (default: {DEFAULT_DAYS} days before --until)")
    parser.add_argument("--until", help="last day, YYYY-MM-DD, included (default: today)")
    parser.add_argument(
        "--redact",
        action="store_true",
        help="mask e-mail addresses, phone, card and ID numbers and dates of birth in messages",
    )
    parser.add_argument("--url", default=tracker_store_url(), help="tracker store SQLAlchemy URL")
    parser.add_argument(
        "--timezone",
        default=os.environ.get("REPORT_TIMEZONE", "UTC"),
        help="where days begin and end (default: $REPORT_TIMEZONE, else UTC)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for report.html and report.json")
    args = parser.parse_args(argv)
    try:
        period = period_from_args(args.since, args.until, args.timezone)
    except ValueError as error:
        parser.error(str(error))
    try:
        report = write_report(args.url, period, args.out, args.redact)
    except StoreError as error:
        print(error, file=sys.stderr)
        return 1
    totals = report["totals"]
    print(
        f"{period_text(period)}: {totals['conversations']} conversation(s), {totals['messages']} message(s), "
        f"{report['fallback']['messages']} not understood, {report['feedback']['negative']} rated 👎"
    )
    print(f"wrote {args.out / 'report.html'} and {args.out / 'report.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
