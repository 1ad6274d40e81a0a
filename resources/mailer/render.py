"""Email content from Jinja2 templates: subject, plain text and HTML, signed, with an unsubscribe
line where the mail is not a one-to-one conversation.

Templates live beside this module as `<name>.subject.j2`, `<name>.txt.j2` and `<name>.html.j2`;
the name is the action's `payload["template"]`, or its kind. Variables come from
`payload["vars"]` plus the tenant's name; a variable a template needs but the action lacks is an
error with the variable's name (StrictUndefined), never a blank in a customer's inbox.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from agent.actions import Action
from resources.database import Tenant

TEMPLATES = Path(__file__).parent / "templates"
UNSUBSCRIBE_KINDS = {"follow_up"}
# Reserved (RFC 2606): an address under it can never be delivered to or from.
PLACEHOLDER_DOMAIN = "steward.invalid"
UNSUBSCRIBE_LINE = 'Rather not hear from us? Reply with "unsubscribe" and we will stop.'

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    undefined=jinja2.StrictUndefined,
    autoescape=jinja2.select_autoescape(["html.j2"]),
    keep_trailing_newline=False,
)


class RenderError(ValueError):
    """A message could not be rendered (unknown template, missing variable, bad syntax)."""


def sender(tenant: Tenant) -> str:
    """The tenant's From address (agent.settings: from_address, else an own address); without
    one a placeholder under .invalid, which only dry-run mail may carry: the dispatcher puts the
    tenant's sender in its place before live mail goes, or makes the mail wait for one."""
    return tenant.settings.sender_address or f"{tenant.slug}@{PLACEHOLDER_DOMAIN}"


def is_placeholder(address: str) -> bool:
    return address.endswith(f"@{PLACEHOLDER_DOMAIN}")


def render(name: str, variables: dict[str, Any], unsubscribe: bool, signature: str | None):
    context = {
        **variables,
        "signature": signature,
        "unsubscribe": unsubscribe,
        "unsubscribe_line": UNSUBSCRIBE_LINE,
    }
    try:
        subject = _env.get_template(f"{name}.subject.j2").render(context)
        text = _env.get_template(f"{name}.txt.j2").render(context)
        html = _env.get_template(f"{name}.html.j2").render(context)
    except jinja2.TemplateNotFound as exc:
        raise RenderError(f"no email template {name!r} ({exc.name} is missing)") from exc
    except jinja2.UndefinedError as exc:
        raise RenderError(f"template {name!r}: {exc.message}") from exc
    except jinja2.TemplateError as exc:
        raise RenderError(f"template {name!r} is broken: {exc}") from exc
    return " ".join(subject.split()), with_footer(text, signature, unsubscribe), html


def with_footer(text: str, signature: str | None, unsubscribe: bool) -> str:
    """The plain text with the tenant's signature and, for mail that is not a one-to-one
    conversation, the unsubscribe line."""
    footer = [f"-- \n{signature}"] if signature else []
    if unsubscribe:
        footer.append(UNSUBSCRIBE_LINE)
    return "\n\n".join([text.strip(), *footer]) + "\n"


def render_email(tenant: Tenant, action: Action) -> dict[str, Any]:
    """What the outbox stores for an email: everything needed to send it, nothing to look up."""
    name = str(action.payload.get("template") or action.kind)
    variables = dict(action.payload.get("vars") or {})
    variables.setdefault("tenant_name", tenant.name)
    unsubscribe = action.kind in UNSUBSCRIBE_KINDS or bool(action.payload.get("marketing"))
    subject, text, html = render(name, variables, unsubscribe, tenant.settings.signature)
    if not subject:
        raise RenderError(f"template {name!r} rendered an empty subject")
    return {
        "template": name,
        "from": sender(tenant),
        "to": action.target,
        "subject": subject,
        "text": text,
        "html": html,
        "unsubscribe": unsubscribe,
        "in_reply_to": action.payload.get("in_reply_to"),
    }
