"""Email templates: the HTML part keeps the signature's and an alert's line breaks as <br> and
escapes what the tenant or the alert wrote."""

from __future__ import annotations

from resources.mailer.render import render


def test_the_signature_breaks_lines_and_escapes_its_text():
    _subject, text, html = render(
        "deal_follow_up", {"first_name": "Kelly", "deal_title": "Roof <survey>"}, False,
        "Client Services\nDemo & Sons <office>")
    assert "Client Services<br>Demo &amp; Sons &lt;office&gt;" in html
    assert "&lt;br&gt;" not in html
    assert "Roof &lt;survey&gt;" in html
    assert text.endswith("-- \nClient Services\nDemo & Sons <office>\n")


def test_an_alert_keeps_its_detail_lines():
    _subject, _text, html = render(
        "alert", {"title": "Bounces", "detail": "3 bounced\n<b>2</b> soft", "tenant_name": "T",
                  "rule": "r", "occurrences": 1, "last_seen": "now", "severity": "warn"},
        False, None)
    assert "3 bounced<br>&lt;b&gt;2&lt;/b&gt; soft" in html
