"""Email out: templates (render), MIME building (message), SMTP (smtp) and the Mailer resource."""

from resources.mailer.render import RenderError, render_email
from resources.mailer.resource import Mailer

__all__ = ["Mailer", "RenderError", "render_email"]
