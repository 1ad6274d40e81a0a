"""Validation errors as one line a person can act on: `field.path: message; ...`."""

from __future__ import annotations

import pydantic


def problems(exc: pydantic.ValidationError, whole: str = "value") -> str:
    """Each error with its field path; `whole` names an error about the object itself."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or whole}: {e['msg']}" for e in exc.errors()
    )
