"""The hour a run works for: the `steward/hour` run tag (replay, backfill) or the current hour."""

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
