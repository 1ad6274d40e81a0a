"""The hour a run works for: the `steward/hour` run tag (replay, backfill) or the current hour.

Every run Steward launches (CLI, schedules, sensors) carries the tag, so re-executing a run from
the UI reproduces the hour it was made for instead of working for the hour of the re-execution.
"""

from datetime import UTC, datetime

import dagster as dg

HOUR_TAG = "steward/hour"
HOUR_FORMAT = "%Y-%m-%dT%H"


def parse_hour(text: str) -> datetime:
    try:
        return datetime.strptime(text, HOUR_FORMAT).replace(tzinfo=UTC)
    except ValueError as exc:
        raise ValueError(
            f"invalid hour {text!r}: use YYYY-MM-DDTHH in UTC, e.g. 2026-11-20T14"
        ) from exc


def run_hour(context: dg.AssetExecutionContext) -> datetime:
    tagged = context.run.tags.get(HOUR_TAG)
    if tagged:
        return parse_hour(tagged)
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def launch_tags(area: str, now: datetime | None = None) -> dict[str, str]:
    """The tags of every run Steward launches: its area and the hour it is for."""
    return {"steward/area": area, HOUR_TAG: (now or datetime.now(UTC)).strftime(HOUR_FORMAT)}
