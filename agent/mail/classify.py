"""One class per message: transparent rules first, a small model only when no rule fires.

Every label explains itself (DESIGN invariant 6): a rule label names the rule and the words it
matched; a model label names the class and the probability. Rules come first because they are
exact on the mail that matters most (bounces, opt-outs, orders, complaints) and a person can read
why they fired; the model only sorts what the rules left into business classes (never bounce,
unsubscribe or out-of-office, which change state), and says "other" when unsure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from agent.mail.examples import EXAMPLES
from agent.mail.model import Bounce, HumanRequest, Label, ParsedMessage, Reference
from agent.mail.ratings import ratings
from agent.mail.signals import Hit, any_of, search

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

MODEL_THRESHOLD = 0.4  # below this the model is unsure: the label is "other", with its best guess

FEEDBACK_SUBJECT = any_of(r"\bhow did we do\b", r"\bfeedback\b", r"\bsurvey\b",
                          r"\brate (?:us|our)\b", r"\byour (?:experience|review)\b")
QUOTE_WORDS = any_of(
    r"\bmove forward\b", r"\baccept(?:ed|ing)?\b", r"\bapprove[sd]?\b", r"\bgo ahead\b",
    r"\bproceed\b", r"\bengagement letter\b", r"\bdecided to go with\b", r"\bdeclin\w*\b",
    r"\bgo(?:ing)? with (?:another|our|a different)\b", r"\bpass on\b", r"\bprice\b",
    r"\btoo (?:high|expensive)\b", r"\bnot (?:moving|going) forward\b", r"\banother firm\b",
    r"\bflexib\w*\b", r"\bdiscount\b", r"\bnegotiat\w*\b", r"\bquestions?\b", r"\?")
ORDER_WORDS = any_of(r"\bnew order\b", r"\border (?:request|form)\b", r"\bpurchase contract\b",
                     r"\b(?:place|submit|placing|submitting) (?:an|a new|the|this) order\b",
                     r"\bnew (?:assignment|appraisal request|inspection request)\b",
                     r"\bcan you (?:take|handle) (?:it|this|this one|the file|the assignment)\b",
                     r"\b(?:we|i) (?:have|got) (?:a|another) (?:new )?(?:refinance|refi|purchase|"
                     r"file|assignment)\b")
SCHEDULING_WORDS = any_of(r"\bre-?schedul\w*\b", r"\bwhat time works\b",
                          r"\bare you (?:free|available) (?:on|at|this|next|to|for)\b",
                          r"\bcalendar invite\b")
INQUIRY_WORDS = any_of(
    r"\bquote request\b", r"\brequest(?:ing)? a (?:quote|bid)\b", r"\bhow much\b",
    r"\b(?:your|what are your|what is your) (?:fees?|pricing|prices|rates|turn ?times?|"
    r"turnaround|availability)\b", r"\bturn ?times?\b", r"\bpricing\b",
    r"\bdo you (?:offer|cover|service|do|provide|handle)\b", r"\bfee (?:sheet|schedule)\b",
    r"\bare you (?:accepting|taking) (?:on )?(?:new )?(?:clients|orders|work)\b",
    r"\blooking for an? (?:appraiser|inspector|appraisal|inspection)\b")


@dataclass(frozen=True)
class Findings:
    """What the detectors found before classification, so the rules reuse their evidence."""

    body: str  # the sender's own words: quotes and signature removed
    bounce: Bounce | None = None
    unsubscribe: Hit | None = None
    out_of_office: Hit | None = None
    human_request: HumanRequest | None = None
    references: list[Reference] = field(default_factory=list)
    signals: dict[str, Hit] = field(default_factory=dict)
    replied_to_ours: str | None = None  # the Message-ID of ours this message answers
    sent_by_us: str | None = None  # our own sender address: the classes describe inbound mail
    machine: str | None = None  # why no person wrote it (agent/mail/machine.py), or None


@cache
def model() -> Pipeline:
    """TF-IDF + logistic regression on the hand-written examples, trained once per process on
    first use (~20 ms; scikit-learn is imported here so importing this module stays cheap).
    Deterministic: fixed data order, lbfgs, no randomness. Unigrams: bigrams cost 20x the
    training time for no gain in cross-validation on this little data."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    texts = [text for label in sorted(EXAMPLES) for text in EXAMPLES[label]]
    labels = [label for label in sorted(EXAMPLES) for _ in EXAMPLES[label]]
    pipeline = make_pipeline(
        TfidfVectorizer(sublinear_tf=True, lowercase=True),
        LogisticRegression(C=10.0, max_iter=1000))
    return pipeline.fit(texts, labels)


def _model_label(msg: ParsedMessage, found: Findings) -> Label:
    pipeline = model()
    probabilities = pipeline.predict_proba([f"{msg.subject}\n{found.body[:2000]}"])[0]
    best = int(probabilities.argmax())
    name, p = str(pipeline.classes_[best]), float(probabilities[best])
    if p < MODEL_THRESHOLD or name == "other":
        return Label("other", f"model: best guess {name} p={p:.2f} below {MODEL_THRESHOLD}"
                     if name != "other" else f"model: other p={p:.2f}", p)
    return Label(name, f"model: {name} p={p:.2f}", p)


def _quote_rule(msg: ParsedMessage, found: Findings) -> Label | None:
    quote = next((r for r in found.references if r.kind == "quote"), None)
    if quote is None:
        return None
    if hit := search(QUOTE_WORDS, "", found.body, negatable=False) or search(
            QUOTE_WORDS, msg.subject, "", negatable=False):
        return Label("quote_response", f"rule quote_response: {quote.number} "
                     f"({quote.rule}) + {hit.describe()}", 0.85)
    return None


def _order_rule(msg: ParsedMessage, found: Findings) -> Label | None:
    order = next((r for r in found.references if r.kind == "order"), None)
    if order is not None:
        return Label("order", f"rule order: {order.number} ({order.rule})", 0.85)
    if hit := search(ORDER_WORDS, msg.subject, found.body):
        return Label("order", f"rule order: {hit.describe()}", 0.75)
    return None


def _scheduling_rule(msg: ParsedMessage, found: Findings) -> Label | None:
    if request := found.human_request:
        return Label("scheduling_request", f"rule scheduling_request: {request.action} request "
                     f"'{request.evidence}'", 0.85)
    if hit := search(SCHEDULING_WORDS, msg.subject, found.body):
        return Label("scheduling_request", f"rule scheduling_request: {hit.describe()}", 0.7)
    return None


def _feedback_rule(msg: ParsedMessage, found: Findings) -> Label | None:
    """A rating in a reply or under a feedback subject, or any reply to a feedback request: what
    the reply answers decides, even when the request named an order."""
    is_reply = bool(msg.in_reply_to or msg.references)
    subject = search(FEEDBACK_SUBJECT, msg.subject, "", negatable=False)
    rating = next(iter(ratings(found.body)), None)
    if rating and (is_reply or subject):
        return Label("feedback_reply", f"rule feedback_reply: rating '{rating.text}' in body",
                     0.85)
    if subject and is_reply:
        return Label("feedback_reply", f"rule feedback_reply: reply to {subject.describe()}", 0.7)
    return None


def classify(msg: ParsedMessage, facts_so_far: Findings) -> Label:
    """The first rule that fires, else the model (see the module docstring)."""
    found = facts_so_far
    if msg.fatal:
        return Label("other", "rule fatal: the message could not be parsed", 1.0)
    if found.sent_by_us and not found.bounce:
        return Label("other", f"rule outbound: sent from our own address {found.sent_by_us}", 1.0)
    if bounce := found.bounce:
        return Label("bounce", "rule bounce: " + "; ".join(
            f"{f.reason} ({f.outcome}) {f.status} for {f.recipient}" for f in bounce.failures),
            0.99)
    if found.unsubscribe:
        return Label("unsubscribe", f"rule unsubscribe: {found.unsubscribe.describe()}", 0.95)
    if found.out_of_office:
        return Label("out_of_office", f"rule out_of_office: {found.out_of_office.describe()}",
                     0.95)
    if found.machine:
        # Reports, daemons, auto-replies and list mail: no business class (a delay notice naming
        # an order is not an order, a delivery report quoting a complaint is not one).
        return Label("other", f"rule machine mail: {found.machine}", 0.95)
    if complaint := found.signals.get("complaint"):
        return Label("complaint", f"rule complaint: {complaint.describe()}", 0.85)
    label = (_feedback_rule(msg, found) or _quote_rule(msg, found) or _order_rule(msg, found)
             or _scheduling_rule(msg, found))
    if label:
        return label
    if not (msg.in_reply_to or msg.references) and (
            hit := search(INQUIRY_WORDS, msg.subject, found.body)):
        return Label("inquiry", f"rule inquiry: new thread + {hit.describe()}", 0.8)
    if found.replied_to_ours:
        return Label("reply", f"rule reply: answers our message <{found.replied_to_ours}>", 0.8)
    return _model_label(msg, found)
