"""A campaign's message for one recipient: the tenant's own template text (subject, text, HTML)
rendered with the recipient's fields, with the unsubscribe footer and the headers bulk mail
must carry.

The templates are checked when the campaign is created: a syntax error, or a variable no
recipient has (agent/broadcast.py VARIABLES), is refused with one line naming it, so no batch
can fail halfway on a typo. Each template is compiled once per process and source (a 10,000
recipient campaign renders the same three templates 10,000 times). Without an HTML part the
text goes out as escaped paragraphs.
"""

from __future__ import annotations

import hashlib
import html
from functools import lru_cache
from typing import Any

import jinja2
from jinja2 import meta

from agent.broadcast import VARIABLES
from resources.database import Tenant
from resources.mailer.render import UNSUBSCRIBE_LINE, RenderError, sender, with_footer

_env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
_html_env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=True)


def template_problem(template: dict[str, Any]) -> str | None:
    """Why this campaign template cannot be sent, in one line, or None."""
    for part in ("subject", "text", "html"):
        source = template.get(part)
        if source is None:
            continue
        env = _html_env if part == "html" else _env
        try:
            names = meta.find_undeclared_variables(env.parse(source))
        except jinja2.TemplateSyntaxError as exc:
            return f"the {part} template is broken: {exc.message} (line {exc.lineno})"
        unknown = sorted(names - set(VARIABLES))
        if unknown:
            return (f"the {part} template uses {{{{ {unknown[0]} }}}}, which a recipient does "
                    f"not have (known: {', '.join(VARIABLES)})")
    return None


@lru_cache(maxsize=64)
def _compiled(source: str, as_html: bool) -> jinja2.Template:
    return (_html_env if as_html else _env).from_string(source)


def unsubscribe_token(tenant_slug: str, key: str) -> str:
    return hashlib.sha256(f"unsubscribe\0{tenant_slug}\0{key}".encode()).hexdigest()[:32]


def render_recipient(
    tenant: Tenant, template: dict[str, Any], variables: dict[str, Any], address: str, key: str
) -> dict[str, Any]:
    """What the outbox stores for one recipient's mail."""
    context = {name: variables.get(name) or "" for name in VARIABLES}
    context["tenant_name"] = tenant.name
    try:
        subject = " ".join(_compiled(template["subject"], False).render(context).split())
        text = _compiled(template["text"], False).render(context).strip()
        body = (_compiled(template["html"], True).render(context) if template.get("html")
                else "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n\n")))
    except jinja2.TemplateError as exc:
        raise RenderError(f"campaign template: {exc}") from exc
    url = tenant.settings.broadcasts.unsubscribe_url
    one_click = None
    if url:
        one_click = f"{url}{'&' if '?' in url else '?'}t={unsubscribe_token(tenant.slug, key)}"
    return {
        "template": "broadcast",
        "from": sender(tenant),
        "to": address,
        "subject": subject,
        "text": with_footer(text, tenant.settings.signature, True),
        "html": f"{body}<p style=\"color:#666;font-size:12px\">{html.escape(UNSUBSCRIBE_LINE)}"
                "</p>",
        "unsubscribe": True,
        "bulk": True,
        "one_click_url": one_click,
        "in_reply_to": None,
    }
