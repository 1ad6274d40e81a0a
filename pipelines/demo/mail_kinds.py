"""One builder per kind of inbound mail the inbox has to handle.

Order and quote mail names real order and quote numbers of the tenant, replies point at
Message-IDs in the tenant's own domain, and bounces are proper RFC 3464 delivery status
notifications, so linking, threading and suppression can all be exercised against this inbox.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage, Message

from pipelines.demo.documents import pdf_bytes
from pipelines.demo.mail_context import MailContext
from pipelines.demo.orders import DELIVERY_AGES
from pipelines.demo.randomness import phone, slugify
from pipelines.demo.spec import Row


def reply(ctx: MailContext) -> EmailMessage:
    person = ctx.person()
    topic = ctx.rng.choice(("Checking in", "Turn times this month", "Fee schedule update"))
    msg = ctx.reply_to_us(ctx.message(person, f"Re: {topic}"))
    msg.set_content(ctx.rng.choice((
        "Thanks for reaching out. We have a few files coming next week and will send them over.",
        "Good to hear from you. Turn times have been fine on our side, keep it up.",
        "Appreciate the update. Please send the new fee schedule to our vendor manager too.",
    )) + ctx.signature(person) + f"\n> {topic}: a quick note from {ctx.spec.name}.\n")
    return msg


def inquiry(ctx: MailContext) -> EmailMessage:
    """A prospect the tenant has never heard from, so ingest has a contact to create."""
    first, last, company = ctx.fake.first_name(), ctx.fake.last_name(), ctx.fake.company()
    prospect: Row = {
        "full_name": f"{first} {last}", "title": "Loan Officer", "company": company,
        "email": f"{slugify(first)}.{slugify(last)}@{slugify(company)}.example",
        "phone": phone(ctx.rng), "linkedin_url": None,
    }
    address = ctx.fake.street_address()
    msg = ctx.message(prospect, f"Appraisal quote request - {address}")
    msg.set_content(
        f"Hello,\n\nWe are a lender in your area and need a 1004 appraisal for {address}, a "
        f"single-family purchase. What are your fee and turn time? We may have steady volume "
        f"for the right partner." + ctx.signature(prospect))
    return msg


def _order_or_none(ctx: MailContext, **where: object) -> Row | None:
    return ctx.pick("orders", **where) or ctx.pick("orders")


def order(ctx: MailContext) -> EmailMessage:
    found = _order_or_none(ctx, status=("validated", "in_progress"))
    number = found["order_number"] if found else "ORD-00000"
    person = ctx.sender_for(found)
    code = ctx.rng.randint(1000, 9999)
    subject, body = ctx.rng.choice((
        (f"Status update on {number}?",
         f"Can you tell me where {number} stands? The closing date moved up."),
        (f"{number} - access instructions",
         f"For {number}, the lockbox code is {code}; the tenant works days."),
        (f"RE: Order {number} - revised loan amount",
         f"The loan amount on {number} changed; please note it on the report."),
    ))
    msg = ctx.message(person, subject, to="orders")
    msg.set_content(f"Hi,\n\n{body}" + ctx.signature(person))
    return msg


def quote_response(ctx: MailContext) -> EmailMessage:
    found = ctx.pick("quotes", status=("sent", "viewed", "accepted", "rejected"))
    number = found["quote_number"] if found else "Q-0000"
    person = ctx.sender_for(found)
    msg = ctx.reply_to_us(ctx.message(person, f"Re: Quote {number}"))
    msg.set_content(ctx.rng.choice((
        f"We would like to move forward with quote {number}. Please send the engagement letter.",
        f"Is there any flexibility on the price in {number}? Another firm came in lower.",
        f"Thanks for quote {number}, but we have decided to go with our AMC panel this time.",
    )) + ctx.signature(person))
    return msg


def complaint(ctx: MailContext) -> EmailMessage:
    found = _order_or_none(ctx, status="delivered")
    number = found["order_number"] if found else "our last order"
    person = ctx.sender_for(found)
    msg = ctx.message(person, f"Problem with the report for {number}", to="orders")
    msg.set_content(
        f"I'm frustrated with the report for {number}. It arrived late, the comparables are "
        "over a mile away, and the underwriter rejected it. I need this corrected today."
        + ctx.signature(person))
    return msg


# The clients' answers to feedback requests, in the order the demo hands them out: the first
# opens a service-recovery case, the second may earn a review or referral request.
FEEDBACK_ANSWERS = (
    "The report came back two days late and nobody returned my calls. Very disappointed.",
    "5 out of 5. Fast turnaround and the appraiser was great with the homeowner.",
    "3/5 - the report was fine but we had to chase the status twice.",
    "Great work as always, thank you. The underwriter had no questions at all.",
    "1 out of 5. Late, and we had to ask for two revisions.",
)


def feedback(ctx: MailContext) -> EmailMessage:
    """A client's answer to the feedback request of an order delivered a week ago, in its
    thread, our request quoted under it; without such an order, a rating about any delivery."""
    low, high = DELIVERY_AGES["feedback_due"]
    due = [o for o in ctx.rows["orders"]
           if o["order_number"] in ctx.requests and o["order_number"] not in ctx.answered
           and o["contact_email"] and o["delivered_at"]
           and timedelta(days=low) <= ctx.now - o["delivered_at"] <= timedelta(days=high)]
    if not due:
        return _rating(ctx)
    found = due[0]
    number = found["order_number"]
    person = ctx.sender_for(found)
    text = FEEDBACK_ANSWERS[len(ctx.answered) % len(FEEDBACK_ANSWERS)]
    ctx.answered.append(number)
    ctx.date = ctx.now - timedelta(minutes=ctx.rng.randint(5, 25))  # answered just now
    msg = ctx.reply_to_us(ctx.message(person, f"Re: How did we do on {number}?"),
                          ctx.requests[number])
    asked = found["delivered_at"] + timedelta(days=low)
    msg.set_content(
        f"{text}{ctx.signature(person)}\nOn {asked:%a, %b %d, %Y}, {ctx.spec.name} wrote:\n"
        f"> Hi {person['first_name']},\n>\n> We delivered {number} on "
        f"{found['delivered_at']:%B %d}, and we would like to know how it went for you. How "
        "did we do?\n")
    return msg


def _rating(ctx: MailContext) -> EmailMessage:
    found = _order_or_none(ctx, status="delivered")
    number = found["order_number"] if found else "your order"
    person = ctx.sender_for(found)
    msg = ctx.reply_to_us(ctx.message(person, f"Re: How did we do on {number}?"))
    msg.set_content(ctx.rng.choice((
        "5 out of 5. Fast turnaround and the appraiser was great with the homeowner.",
        "3/5 - the report was fine but we had to chase the status twice.",
        "1 out of 5. Late and we had to ask for two revisions.",
    )) + ctx.signature(person))
    return msg


def scheduling(ctx: MailContext) -> EmailMessage:
    person = ctx.person()
    day = ctx.rng.choice(("Thursday", "Tuesday", "Friday"))
    msg = ctx.message(person, f"Quick call {day}?")
    msg.set_content(
        f"Can you call me {day} around {ctx.rng.randint(1, 4)}pm? I'd like to talk about "
        "adding you to our approved panel." + ctx.signature(person))
    return msg


def out_of_office(ctx: MailContext) -> EmailMessage:
    person = ctx.person()
    back = ctx.date + timedelta(days=ctx.rng.randint(3, 14))
    msg = ctx.reply_to_us(ctx.message(person, "Automatic reply: Checking in"))
    msg["Auto-Submitted"] = "auto-replied"
    msg["X-Autoreply"] = "yes"
    msg.set_content(
        f"I am out of the office until {back:%A, %B %d, %Y} with limited access to email. "
        "For urgent orders please contact our processing team.\n")
    return msg


def unsubscribe(ctx: MailContext) -> EmailMessage:
    person = ctx.person()
    msg = ctx.reply_to_us(ctx.message(person, ctx.rng.choice(("Unsubscribe", "Remove me"))))
    msg.set_content("Please unsubscribe me from your mailing list and stop emailing me.\n")
    return msg


def bounce(ctx: MailContext) -> EmailMessage:
    """A delivery status notification for mail we sent to a contact's dead address."""
    person = ctx.person()
    mta = f"mx.{ctx.spec.domain}"
    daemon = {"full_name": "Mail Delivery System", "email": f"MAILER-DAEMON@{mta}"}
    msg = ctx.message(daemon, "Undelivered Mail Returned to Sender", to="outreach")
    msg["Auto-Submitted"] = "auto-replied"
    msg.set_content(f"This is the mail system at host {mta}.\n\nYour message could not be "
                    f"delivered to <{person['email']}>: the mailbox does not exist.\n")
    msg.make_mixed()
    msg.replace_header("Content-Type", 'multipart/report; report-type="delivery-status"')
    status, per_message, per_recipient = Message(), Message(), Message()
    status["Content-Type"] = "message/delivery-status"
    per_message["Reporting-MTA"] = f"dns; {mta}"
    per_recipient["Final-Recipient"] = f"rfc822; {person['email']}"
    per_recipient["Action"] = "failed"
    per_recipient["Status"] = "5.1.1"
    per_recipient["Diagnostic-Code"] = "smtp; 550 5.1.1 Recipient address rejected: User unknown"
    status.set_payload([per_message, per_recipient])
    msg.attach(status)
    original = EmailMessage()
    original.set_content(f"From: outreach@{ctx.spec.domain}\nTo: {person['email']}\n"
                         f"Message-ID: {ctx.our_id()}\nSubject: Checking in\n",
                         subtype="rfc822-headers")
    del original["MIME-Version"]
    msg.attach(original)
    return msg


def html_only(ctx: MailContext) -> EmailMessage:
    person = ctx.person()
    msg = ctx.message(person, "New order request")
    signature = ctx.signature(person).strip().replace("\n", "<br>")
    msg.set_content(
        "<html><body><p>Hi team,</p><p>We have a <b>new purchase</b> that needs an appraisal "
        "this week. Can you take it?</p>"
        f"<p>{signature}</p></body></html>", subtype="html")
    return msg


def attachment(ctx: MailContext) -> EmailMessage:
    found = _order_or_none(ctx, status=("new", "validated"))
    number = found["order_number"] if found else "the new order"
    person = ctx.sender_for(found)
    msg = ctx.message(person, f"Purchase contract for {number}", to="orders")
    msg.set_content(f"Attached is the signed purchase contract for {number}." +
                    ctx.signature(person))
    contract = pdf_bytes("Residential Purchase Contract",
                         [f"Reference: {number}", "Signed by buyer and seller."], ctx.date)
    msg.add_attachment(contract, maintype="application", subtype="pdf",
                       filename=f"purchase-contract-{slugify(number)}.pdf")
    return msg


BUILDERS: dict[str, Callable[[MailContext], EmailMessage]] = {
    "reply": reply, "inquiry": inquiry, "order": order, "quote_response": quote_response,
    "complaint": complaint, "feedback": feedback, "scheduling": scheduling,
    "out_of_office": out_of_office, "unsubscribe": unsubscribe, "bounce": bounce,
    "html_only": html_only, "attachment": attachment,
}
KINDS = tuple(BUILDERS)
# Shares for the messages beyond one of each kind: mostly ordinary business mail.
MIX = {"reply": 6, "order": 5, "quote_response": 3, "scheduling": 2, "inquiry": 2,
       "feedback": 2, "complaint": 1, "out_of_office": 1, "unsubscribe": 1, "bounce": 1}
