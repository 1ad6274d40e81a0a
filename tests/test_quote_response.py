"""Quote responses read for acceptance or rejection, with evidence; anything less plain is
unclear (a person decides)."""

from __future__ import annotations

import pytest

from agent.quote_response import REASON_CODES, QuoteDecision, read_quote_response

# (reply, words the evidence must hold)
ACCEPTED = [
    ("We accept the quote, please schedule the inspection.", "We accept the quote"),
    ("Approved. Please send the engagement letter.", "Approved."),
    ("Go ahead.", "Go ahead."),
    ("Please proceed with the appraisal at 12 Oak St.", "proceed with the appraisal"),
    ("Signed and attached. Looking forward to working with you.", "Signed and attached"),
    ("Let's do it!", "Let's do it!"),
    ("Looks good, proceed.", "Looks good, proceed."),
    ("Hi Jane,\n\nThe quote looks good to us. We'd like to move forward - can you start next "
     "Tuesday?\n\nThanks,\nPaul", "looks good to us"),
    ("Yes, please go ahead and book it.", "go ahead"),
    ("Quote approved by our finance team. PO attached.", "approved by our finance team"),
    ("Thanks Mark, we've signed the proposal and sent the deposit today.", "signed the proposal"),
    ("You're hired! When can you start?", "You're hired!"),
    ("Can you go ahead and schedule it for Friday?", "go ahead and schedule"),
    ("Sounds good, let's get it booked.", "Sounds good"),
    ("We've decided to go with your firm for the project.", "go with your firm"),
    ("Count us in. Please send the invoice to ap@client.example.", "Count us in"),
    ("It's a deal.", "It's a deal"),
    ("Please proceed, and if you need access to the property call Bob at 555-0101.",
     "Please proceed"),
    ("yes", "yes"),
    ("Great, we\u2019re happy to proceed with option B.", "happy to proceed"),
    ("Thanks Sam, we're good to go. Please proceed.", "Please proceed."),
    ("Please go ahead with the full inspection package.", "full inspection package"),
    ("Attached is the signed quote.", "signed quote"),
    ("We approve the estimate as quoted.", "approve the estimate"),
    ("Happy to move forward, send over the paperwork.", "move forward"),
    ("We're ready to go, please book the inspection for Monday.", "book the inspection"),
    ("Yes, we accept your proposal. Invoice us at the end of the month.", "accept your proposal"),
    ("OK, proceed.", "proceed"),
    ("Let's go ahead with the standard package.", "standard package"),
    ("Signed copy attached, see you Thursday.", "Signed copy attached"),
]
# (reply, words the evidence must hold, reason code, words the reason must hold or None)
REJECTED = [
    ("Thanks, but we'll pass.", "we'll pass", "other", None),
    ("We have decided to decline your proposal.", "decline your proposal", "other", None),
    ("We are not moving forward with this project at this time.", "not moving forward",
     "other", None),
    ("We went with another firm.", "went with another firm", "competitor", "another firm"),
    ("Too expensive for us, sorry.", "Too expensive", "price", "Too expensive"),
    ("The appraisal is no longer needed \u2014 the sale fell through.", "no longer needed",
     "cancelled", "no longer needed"),
    ("Unfortunately the price is too high for our budget, so we'll pass.", "too high", "price",
     "price is too high"),
    ("We've decided to go with a local appraiser who quoted less.", "local appraiser",
     "competitor", "local appraiser"),
    ("The project was cancelled, so we won't need the inspection after all.",
     "project was cancelled", "cancelled", "cancelled"),
    ("We won't be proceeding. The owners decided to wait until next year.", "won't be proceeding",
     "timing", "next year"),
    ("Not interested.", "Not interested", "other", None),
    ("We're going to pass on this one \u2014 timing doesn't work for us.", "pass on this one",
     "timing", "timing doesn't work"),
    ("Sorry, we can't afford it right now.", "can't afford", "price", "can't afford"),
    ("The client backed out, so please cancel the quote.", "client backed out", "cancelled",
     "backed out"),
    ("This isn't what we need, we only need a desktop review.", "isn't what we need", "scope",
     "what we need"),
    ("Please don't proceed \u2014 we found someone cheaper.", "found someone cheaper",
     "competitor", "someone cheaper"),
    ("We've decided not to proceed because the board wants to revisit the budget in the spring.",
     "decided not to proceed", "price", "budget"),
    ("Hi,\n\nThank you for the detailed proposal. After discussing internally we have chosen "
     "to go with another vendor whose timeline better suited ours.\n\nBest regards,\nAnn",
     "go with another vendor", "competitor", "another vendor"),
    ("We won't be moving forward, we're keeping it in-house.", "won't be moving forward",
     "competitor", "in-house"),
    ("Respectfully declining - we are staying with our current appraiser.", "declining",
     "competitor", "our current appraiser"),
    ("We'll be going with another company this time, thanks anyway.", "another company",
     "competitor", "another company"),
    ("The homeowner has decided not to sell, so we won't need the appraisal anymore.",
     "won't need the appraisal anymore", "cancelled", "anymore"),
    ("Unfortunately your quote was well above our budget.", "above our budget", "price",
     "above our budget"),
    ("Thank you but we have decided to decline.", "decline", "other", None),
    ("We're no longer pursuing this.", "no longer pursuing", "other", None),
    ("We've chosen another provider, thank you for your time.", "another provider",
     "competitor", "another provider"),
    ("Our client cancelled the purchase, so we won't be needing this.", "cancelled the purchase",
     "cancelled", "cancelled the purchase"),
    ("Thanks, we'll take a pass.", "take a pass", "other", None),
    ("Your price is way too high compared to the other quotes we received.", "too high",
     "price", "price is way too high"),
    ("The deal is off, sorry.", "deal is off", "cancelled", "deal is off"),
    ("We have decided to go with our AMC panel for this one.", "our AMC panel", "competitor",
     "our AMC panel"),
    ("Thanks, but we are going with our usual vendor.", "our usual vendor", "competitor",
     "our usual vendor"),
]
# (reply, rule, words the evidence must hold)
UNCLEAR = [
    ("We can't proceed.", "negated", "can't proceed"),
    ("Not approved.", "negated", "Not approved"),
    ("Don't go ahead yet, we're waiting on the lender.", "negated", "go ahead yet"),
    ("Can you do it for less?", "negotiation", "for less"),
    ("We'd accept if you can deliver by the 15th.", "conditional", "accept if"),
    ("What does it include?", "scope question", "include"),
    ("Looks good, but is there any flexibility on the fee?", "negotiation", "flexibility"),
    ("Approved for the first property, but we'll pass on the second.", "both", "pass on"),
    ("Sounds good. I'll run it by my partner and get back to you.", "deferral", "run it by"),
    ("Should we go ahead now or wait until the appraisal is back?", "question", "go ahead"),
    ("We might go ahead next month.", "hedged", "might go ahead"),
    ("Before we proceed, can you confirm the turnaround time?", "conditional", "Before we"),
    ("Thanks for the quote.", "no decision", "Thanks for the quote"),
    ("Is the site visit included?", "scope question", "site visit included"),
    ("Got it.\n\nOn Tue, 3 Mar 2026 at 10:00, Acme <quotes@acme.example> wrote:\n> Please reply "
     "to accept the quote or let us know if you'd like to proceed.", "no decision", "Got it"),
    ("> Can we go ahead?\n> Please proceed.", "empty", ""),
    ("We'll go ahead once the loan is approved.", "conditional", "once the loan"),
    ("Would you take $350 instead? If so, we'll proceed.", "negotiation", "take $350"),
    ("We were going to go with another firm, but your reviews convinced us. Please proceed.",
     "both", "another firm"),
    ("Please hold off for now, the project is on hold.", "no decision", "hold off"),
    ("We will not accept this price.", "negated", "accept this price"),
    ("Approved, provided the report is ready by Friday.", "conditional", "provided"),
    ("Can we proceed next week?", "question", "proceed next week"),
    ("Do you accept credit cards?", "question", "credit cards"),
    ("Looks great, we're still reviewing it internally and will let you know.", "deferral",
     "reviewing it internally"),
    ("Is that the best you can do on price?", "negotiation", "best you can do on price"),
    ("Can we talk about the timeline first?", "question", "timeline"),
    ("We need to wait for the board's approval before going ahead.", "conditional",
     "before going ahead"),
    ("I'm not sure yet, let me check with my wife.", "deferral", "check with my wife"),
    ("Looks fine but please don't start until I confirm the date.", "conditional",
     "don't start"),
    ("Could you break down the costs for me?", "question", "break down the costs"),
    ("We're interested but need to see references first.", "no decision", "references"),
    ("If you can start this week, consider it accepted.", "conditional", "start this week"),
    ("Hmm, let me think about it.", "deferral", "think about it"),
    ("We haven't decided yet.", "no decision", "decided yet"),
    ("I'd love to go ahead but my manager hasn't signed off.", "conditional", "signed off"),
    ("We accept, but only if the report is delivered by March 3.", "conditional", "only if"),
    ("Received, thanks.", "no decision", "Received"),
    ("Does the price include travel?", "scope question", "include"),
]


@pytest.mark.parametrize("text, evidence", ACCEPTED)
def test_plain_acceptances(text: str, evidence: str) -> None:
    decision = read_quote_response(text)
    assert (decision.decision, decision.rule) == ("accepted", "acceptance"), decision
    assert evidence in decision.evidence and decision.phrase.lower() in text.lower()
    assert decision.reason is None and decision.reason_code is None


@pytest.mark.parametrize("text, evidence, code, reason", REJECTED)
def test_plain_rejections_with_their_reason(text: str, evidence: str, code: str,
                                            reason: str | None) -> None:
    decision = read_quote_response(text)
    assert (decision.decision, decision.rule, decision.reason_code) == (
        "rejected", "rejection", code), decision
    assert evidence in decision.evidence
    assert decision.reason == reason if reason is None else reason in decision.reason


@pytest.mark.parametrize("text, rule, evidence", UNCLEAR)
def test_anything_less_plain_is_unclear(text: str, rule: str, evidence: str) -> None:
    decision = read_quote_response(text)
    assert (decision.decision, decision.rule) == ("unclear", rule), decision
    assert evidence in decision.evidence
    assert decision.reason_code is None


def test_a_reason_outside_the_tenant_s_list_is_other() -> None:
    text = "We went with another firm."
    assert read_quote_response(text, codes=("price", "other")).reason_code == "other"
    assert read_quote_response(text).reason_code == "competitor"
    assert "competitor" in REASON_CODES and "no_response" in REASON_CODES


def test_quoted_text_never_decides() -> None:
    reply = read_quote_response("We'll pass, thanks.\n\n> Please proceed?\n> Signed and attached")
    assert (reply.decision, reply.phrase) == ("rejected", "We'll pass")


def test_describe_says_what_decided_and_why() -> None:
    assert read_quote_response("Too expensive, we'll pass.").describe() == (
        "rejected by rejection 'Too expensive': 'Too expensive, we'll pass.' "
        "(reason price: Too expensive)")
    assert read_quote_response("We can't proceed.") == QuoteDecision(
        "unclear", "negated", "proceed", "We can't proceed.")
