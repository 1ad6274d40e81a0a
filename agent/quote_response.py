"""Whether a client's answer to a quote accepts it, rejects it, or needs a person to read it.

A wrong "accepted" starts work nobody ordered and a wrong "rejected" drops a live deal, so the
reader decides only on a plain statement and says "unclear" for everything else: a negated
acceptance ("we can't proceed", "don't go ahead yet"), a condition ("we'd accept if ...", "before
we proceed, ..."), a hedge ("we might go ahead"), a question about the decision ("should we go
ahead?"), haggling ("can you do it for less?"), a question about what the quote covers ("what
does it include?"), an acceptance put off ("looks good, I'll run it by my partner"), or both an
acceptance and a rejection. The caller turns "unclear" into an approval for a person, with the
evidence. A stated refusal ("we won't be moving forward", "not interested") is a rejection even
though it holds a "not".

A rejection keeps the reason the client gave and maps it to a code of REASON_CODES, the default
vocabulary a tenant's own list narrows ("no_response" is for a quote that expired unanswered and
is never read from a reply; a reason outside the tenant's list, or none stated, is "other").
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from agent.mail.signals import any_of
from agent.mail.signatures import own_words

Decision = Literal["accepted", "rejected", "unclear"]
REASON_CODES = ("price", "timing", "competitor", "scope", "no_response", "cancelled", "other")
# How much of a reply is read: a decision is stated in the first lines, the rest is pasted
# material (and each phrase found is weighed against the words before it).
MAX_CHARS = 4000

ACCEPTANCE = any_of(
    r"\baccept(?:ed|ing|s)?\b(?!\s+(?:new|credit|cards?|payments?|checks?|cheques?))",
    r"(?<!pre-)(?<!pre)\bapproved\b"
    r"(?!\s+for\s+(?:a |the |our )?(?:loan|mortgage|financing|credit))",
    r"\b(?:we|i) approve\b", r"\bgo(?:ing)?[- ]ahead\b", r"\bgreen light\b",
    r"\bproceed(?:ing)?\b", r"\b(?:move|moving|go|going) forward\b",
    r"\b(?:go(?:ing)?|went|decided to go) with (?:you|your (?:firm|company|team|quote|proposal|"
    r"offer|bid|estimate))\b",
    r"\bsigned\b[^.!?\n]{0,40}\b(?:attached|enclosed|back)\b",
    r"\b(?:attached|enclosed)\b[^.!?\n]{0,40}\bsigned\b", r"\b(?:i|we)(?:'ve| have)? signed\b",
    r"\bsign(?:ed|s)? off\b",
    r"\bsigned (?:the |your |our )?(?:quote|proposal|estimate|agreement|contract|"
    r"engagement letter|copy|form)\b",
    r"\blet'?s (?:do it|do this|go for it|go ahead|book it|get (?:it |this |things )?"
    r"(?:started|going|booked|scheduled))\b",
    r"\b(?:looks|sounds|seems) (?:good|great|fine|perfect|reasonable|fair)\b",
    r"\bworks for (?:us|me)\b", r"\b(?:you'?re|you are) hired\b", r"\bcount (?:us|me) in\b",
    r"\bbook (?:it|us|me) in\b", r"\b(?:it'?s a|you'?ve got a|we have a) deal\b", r"^\W*deal\b",
    r"\b(?:we|i) (?:hereby )?confirm\b", r"\b(?:we|i) agree to\b", r"^\W*agreed\b",
    r"\b(?:purchase order|p\.?o\.?)\s[^.!?\n]{0,30}\b(?:attached|enclosed|issued|sent)\b",
    r"\bdeposit\b[^.!?\n]{0,20}\b(?:sent|paid|made|transferred|wired)\b",
    r"\bplease (?:start|begin|schedule|book)\b")
# A whole reply of "Yes!" or "Yes please, go ahead" answers the quote's own question.
YES = re.compile(r"\s*(?:yes|yep|yup|yeah|sure|absolutely)\b[\s,!.]*(?:please|thanks|"
                 r"thank you)?[\s,!.]*$", re.IGNORECASE)
COMPETITOR_NOUN = r"(?:\s+(?!and\b|but\b|for\b|as\b|because\b|since\b|who\b|that\b)[a-z]+)?"
# "We're going with our ...": said by the client of itself (an order "go with our team to the
# site" is not an answer).
WE_GO = r"(?:we|i)(?:'ll|'re|'ve| will| are| have| had)?(?: be| been)? (?:go(?:ing)?|gone|went)"
# Phrases that decide a rejection, with the reason they state (None: no reason in the words).
REJECTIONS = [(any_of(*patterns), code) for patterns, code in (
    ((r"\bdeclin(?:e|ed|ing)\b", r"\bnot interested\b",
      r"\bno longer (?:interested|pursuing|considering)\b",
      r"\b(?:we|i|we'?ll|i'?ll|will|going to|gonna|have to|must|decided to|need to|like to)"
      r"\s+pass\b(?!\s+(?:it|this|that|them|the \w+|your \w+)?(?:\s+on)?\s*(?:along|to|over)\b)",
      r"\bpass(?:ing)? on (?:this|it|that|your|the)\b(?![^.!?\n]*\b(?:to|along)\b)",
      r"\b(?:take|taking) a pass\b",
      r"\b(?:won'?t|will not|aren'?t|are not|'re not|am not|'m not|not going to|decided not to|"
      r"chosen not to|chose not to|not to|will no longer)\s+(?:be\s+)?(?:mov(?:e|ing)\s+forward|"
      r"go(?:ing)?\s+(?:ahead|forward)|proceed(?:ing)?|pursu(?:e|ing))\b",
      r"\bnot (?:moving|going) forward\b"), None),
    ((r"\b(?:went|gone|go(?:ing)?|decided to go|chose|chosen|selected|picked|hired|engaged|"
      r"awarded (?:it|the \w+) to|decided on)\s+(?:with\s+)?(?:another|a different|someone else|"
      r"somebody else|an?(?: \w+)? competitor|(?:an?|the) other|an? (?:local|cheaper|different|"
      rf"other) \w+){COMPETITOR_NOUN}",
      r"\b(?:found|using|use|stay(?:ing)? with|stick(?:ing)? with|keep(?:ing)?) (?:someone|"
      r"somebody|a firm|a company|another \w+|our (?:current|existing|usual|regular|own) \w+|"
      r"the other \w+)(?: (?:else|cheaper|closer|local))?\b",
      rf"\b(?:{WE_GO} with|decided to go with|chose|chosen|selected|picked) our "
      r"(?:[a-z-]+ ){0,2}(?:panel|vendors?|providers?|appraisers?|inspectors?|firm|company|"
      r"team|network|amc|partners?|suppliers?|contractors?|agency|people|staff)\b"),
     "competitor"),
    ((r"(?:\b(?:the |your |this |that )?(?:price|quote|fee|cost|estimate|bid|rate|pricing)s?\s+"
      r"(?:is|was|are|were|seems?|looks?|'s)\s+(?:a (?:bit|little) |way |just |far |rather |"
      r"simply |much |slightly )?too much\b)",
      r"(?:\b(?:the |your |this |that )?(?:price|quote|fee|cost|estimate|bid|rate|pricing)s?\s+"
      r"(?:is|was|are|were|seems?|looks?|'s)\s+(?:a (?:bit|little) |way |just |far |rather |"
      r"simply |much |slightly )?)?\btoo (?:expensive|high|pricey|costly|steep)\b",
      r"\b(?:over|above|exceeds?|outside(?: of)?|out of|beyond) (?:our |the |my )?"
      r"(?:budget|price range)\b",
      r"\b(?:can'?t|cannot|can not|couldn'?t) afford\b",
      r"\b(?:doesn'?t|does not|won'?t) fit (?:in )?(?:our|the|my) budget\b"), "price"),
    ((r"\b(?:not the right|not a good|bad) time\b", r"\bbad timing\b",
      r"\b(?:timeline|turnaround|schedule|timing)\s+(?:doesn'?t|does not|won'?t|will not)\s+"
      r"work\b"), "timing"),
    ((r"(?:\bnot|n't) what (?:we|i) (?:need|needed|were looking for|want|wanted|asked for)\b",
      r"\bnot a (?:good )?fit\b"), "scope"),
    ((r"\b(?:project|job|sale|purchase|deal|order|refinance|refi|loan|closing|transaction|"
      r"listing|plans?|build|renovation|move|event)\s+(?:(?:was|is|has been|got|have been|"
      r"had been)\s+)?(?:cancel+ed|called off|scrapped|shelved|fell through|is off|is dead)\b",
      r"\b(?:fell|falling) through\b",
      r"\bno longer (?:need(?:ed)?|required|necessary|going ahead|happening|selling|buying|"
      r"refinancing)\b",
      r"\b(?:don'?t|do not|won'?t|will not) need (?:it|this|the \w+|your \w+|an? \w+)(?: \w+)? "
      r"(?:any ?more|after all)\b",
      r"\b(?:we|i)(?:'ve| have)? (?:had to )?cancel+(?:ed)? (?:the|our|this)\b",
      r"\bcancel+ed (?:the|our|their|this) (?:project|job|sale|purchase|deal|order|refinance|"
      r"loan|closing|transaction|listing|plans?|build|renovation|move|event)\b",
      r"\b(?:won'?t|will not) be needing\b",
      r"\b(?:client|buyer|seller|owner|borrower)s? (?:has |have )?(?:backed|pulled) out\b"),
     "cancelled"))]
# Reasons that do not decide anything on their own ("the budget is tight" may still be a yes).
REASONS = [(any_of(*patterns), code) for patterns, code in (
    ((r"\bon hold\b", r"\bhold(?:ing)? off\b", r"\bpostpon\w*", r"\btimeline\b",
      r"\bdelay(?:ed|ing)? (?:the|our|this)\b", r"\bturnaround\b", r"\btoo (?:long|late|slow)\b",
      r"\b(?:next|later this) (?:year|quarter|spring|summer|fall|autumn|winter|month)\b",
      r"\bneed(?:ed)? (?:it|this|them|the \w+) (?:sooner|faster|earlier)\b"), "timing"),
    ((r"\b(?:another|a different|a competing|a cheaper|a lower|a better) (?:firm|company|"
      r"vendor|provider|appraiser|inspector|contractor|supplier|agency|bid|quote|offer|"
      r"proposal|price)\b", r"\bin-?house\b"), "competitor"),
    ((r"\bbudget\b", r"\b(?:price|cost|fee|pricing)\b", r"\bcheaper\b", r"\bexpensive\b",
      r"\bafford\b"), "price"),
    ((r"\bscope\b", r"\b(?:doesn'?t|does not|didn'?t|did not) (?:cover|include)\b",
      r"\bonly need(?:ed)?\b", r"\b(?:more|less) than (?:we|i) need\b"), "scope"),
    ((r"\bcancel\w*", r"\bbacked out\b", r"\bdenied\b"), "cancelled"))]
BECAUSE = re.compile(r"\b(?:because|due to|since (?:we|our|the|it)|as (?:we|our|the))\b\s*"
                     r"(?P<why>[^.!?;\n]{3,100})", re.IGNORECASE)
# Haggling and questions about what the quote covers: a person answers these, whatever else
# the reply says.
NEGOTIATION = any_of(
    r"\bfor less\b", r"\b(?:lower|reduce|better|best|drop) (?:the |your |that )?(?:price|fee|"
    r"rate|quote|number|deal)\b", r"\bdiscount\w*", r"\bflexib\w*", r"\bnegotiat\w*",
    r"\bmatch (?:their|the other|a competitor'?s?|that) (?:price|quote|bid|offer)\b",
    r"\bbest (?:you can do|you can offer)\b", r"\bcome down\b",
    r"\b(?:meet (?:us )?)?(?:in the middle|halfway)\b",
    r"\bknock (?:off|down|some)\b", r"\b(?:do|make) it cheaper\b",
    r"\b(?:would|could|can|will) you (?:do|take|accept|consider) \$?\d",
    r"\brevised (?:quote|proposal|estimate|price)\b")
SCOPE_QUESTION = any_of(
    r"\bwhat (?:does|do|would|will) (?:it|this|that|the (?:quote|price|fee|estimate)) "
    r"(?:include|cover)\b", r"\b(?:does|do|would|will) (?:it|this|that|the (?:quote|price|fee|"
    r"estimate)) (?:include|cover)\b", r"\bis (?:[^.?!\n]{1,40}) included\?")
# An acceptance put off: "sounds good, I'll run it by my partner and get back to you".
DEFERRAL = any_of(
    r"\bget back to you\b", r"\blet you know\b", r"\bnot sure\b", r"\bthink (?:it )?over\b",
    r"\bthink about it\b", r"\bsleep on it\b", r"\bcircle back\b",
    r"\bdiscuss (?:it |this )?(?:with|internally)\b", r"\brun (?:it|this) (?:by|past)\b",
    r"\bcheck with (?:my|our|the)\b", r"\btalk (?:it over )?(?:to|with) (?:my|our|the)\b",
    r"\breview (?:it |this )?internally\b", r"\bneed (?:some )?(?:more )?time\b",
    r"\bwaiting (?:on|for) (?:approval|the|our|my)\b",
    r"\bstill (?:deciding|reviewing|considering)\b", r"\bpending (?:approval|review)\b",
    r"\bneeds? (?:to (?:be|get) )?approv(?:al|ed)\b")
# In the words before a phrase, within its clause: a denial, a hedge, a condition.
NEGATOR = re.compile(r"\b(?:not|never|cannot|unable|no longer)\b|n't\b|\bno\s+$", re.IGNORECASE)
NOT_NEGATORS = re.compile(r"\b(?:can'?t wait|no(?:t a)? (?:problem|worries|issue)s?)\b",
                          re.IGNORECASE)
HEDGE = re.compile(r"\b(?:might|may|maybe|perhaps|possibly|probably|hop(?:e|ing) to|"
                   r"considering|thinking (?:about|of)|lean(?:ing)? towards?)\b", re.IGNORECASE)
CONDITION_BEFORE = re.compile(r"\b(?:if|unless|provided|providing|as long as|assuming|once|"
                              r"before|subject to|pending|only when)\b", re.IGNORECASE)
CONDITION_AFTER = re.compile(r"\s*,?\s*(?:but )?(?:only )?(?:if|unless|provided|providing|"
                             r"as long as|assuming|once|subject to|pending|on condition)\b",
                             re.IGNORECASE)
# "I'd love to go ahead but my manager hasn't signed off": an acceptance taken back.
BUT_NOT = re.compile(r"\bbut\b[^.!?;]*?(?:\b(?:not|never|cannot|unable|no longer)\b|n't\b)",
                     re.IGNORECASE)
POLITE_REQUEST = re.compile(r"\b(?:can|could|would|will) you(?: please| kindly)?\s+$",
                            re.IGNORECASE)
CLAUSE_MARKS = (",", ";", ":", "(", "\u2013", "\u2014", " - ")
CLAUSE_BREAK = re.compile(r"[,;:(\u2013\u2014]|\s-\s")
# A clause that asks: "Can we proceed, or should we wait?"
INTERROGATIVE = re.compile(r"\W*(?:can|could|should|shall|do|does|would|will|may|is|are|am|"
                           r"when|how)\s", re.IGNORECASE)
# A denial right before a reason ("not the price"), narrower than a clause: "we decided not to
# proceed because of the budget" still gives the budget as the reason.
DENIED = re.compile(r"(?:\b(?:not|never|no)\b|n't)(?:\s+\w+){0,2}\s*$", re.IGNORECASE)
# A sentence ends at a line break or at ".", "!", "?", ";" before a space; it keeps its mark.
SENTENCE = re.compile(r"(?:[^.!?;\n]|[.!?;](?![\s.!?;]|$))+[.!?;]*")


@dataclass(frozen=True)
class QuoteDecision:
    """What a quote response decides, the rule and words that show it, and for a rejection the
    reason given."""

    decision: Decision
    rule: str  # acceptance | rejection | both | negated | hedged | conditional | question |
    #            negotiation | scope question | deferral | no decision | empty
    phrase: str  # the words the rule matched
    evidence: str  # the sentence holding them
    reason: str | None = None  # a rejection's stated reason, in the client's words
    reason_code: str | None = None  # a rejection's code from the tenant's list

    def describe(self) -> str:
        text = f"{self.decision} by {self.rule} '{self.phrase}': '{self.evidence}'"
        if self.reason_code:
            text += f" (reason {self.reason_code}" + (f": {self.reason})" if self.reason else ")")
        return text


@dataclass(frozen=True)
class _Found:
    kind: str  # acceptance | rejection | negated | hedged | conditional | question
    phrase: str
    sentence: str
    code: str | None = None


def _clause_before(text: str) -> str:
    """The end of `text` from its last clause mark ("," ";" ":" "(" a dash) on."""
    return text[max((text.rfind(m) + len(m) for m in CLAUSE_MARKS if m in text), default=0):]


def _doubt(sentence: str, start: int, end: int) -> str | None:
    """Why a phrase at sentence[start:end] does not decide: denied or hedged in its clause,
    conditioned in its sentence, or asked about; None when it stands."""
    before = sentence[:start]
    clause = NOT_NEGATORS.sub("", _clause_before(before))
    if NEGATOR.search(clause):
        return "negated"
    if HEDGE.search(clause):
        return "hedged"
    after = re.split(r",?\s+and\b|[,;]\s+(?:so|then)\b", sentence[end:], maxsplit=1)[0]
    if CONDITION_BEFORE.search(before) or CONDITION_AFTER.match(after):
        return "conditional"
    if sentence.rstrip().endswith("?") and not POLITE_REQUEST.search(before):
        if not CLAUSE_BREAK.search(sentence[end:]) or INTERROGATIVE.match(clause):
            return "question"  # not "We'd like to move forward - can you start Tuesday?"
    return None


def _found(sentence: str) -> list[_Found]:
    """The decisive phrases of one sentence; an acceptance inside a rejection ("decided not to
    proceed") belongs to the rejection."""
    found: list[tuple[int, _Found]] = []
    taken: list[tuple[int, int]] = []
    for pattern, code in REJECTIONS:
        for match in pattern.finditer(sentence):
            taken.append(match.span())
            kind = _doubt(sentence, *match.span()) or "rejection"
            if kind != "negated":  # "not too expensive" is no reason to refuse
                found.append((match.start(), _Found(kind, match.group().strip(), sentence, code)))
    for match in ACCEPTANCE.finditer(sentence):
        if not any(s < match.end() and match.start() < e for s, e in taken):
            kind = _doubt(sentence, *match.span()) or (
                "conditional" if BUT_NOT.search(sentence, match.end()) else "acceptance")
            found.append((match.start(), _Found(kind, match.group().strip(), sentence)))
    return [f for _, f in sorted(found, key=lambda pair: pair[0])]


def _clause(sentence: str, start: int, end: int) -> str:
    """The clause around sentence[start:end], as the client's reason."""
    left = start - len(_clause_before(sentence[:start]))
    right = min((i for i in (sentence.find(c, end) for c in ",;.!?") if i != -1),
                default=len(sentence))
    return sentence[left:right].strip()


def _reason(rejections: list[_Found], sentences: list[str]) -> tuple[str | None, str]:
    """The stated reason and its code: a rejection's own words ("went with another firm"),
    else the first reason mentioned (in the rejection's sentence first), else a "because ..."
    clause."""
    if coded := next((f for f in rejections if f.code), None):
        return coded.phrase, str(coded.code)
    first = sentences.index(rejections[0].sentence)
    for scope in (sentences[first:first + 1], sentences):
        hits = [(m.start(), s, m, code) for s in scope for pattern, code in REASONS
                for m in pattern.finditer(s) if not DENIED.search(s[:m.start()])]
        if hits:
            _, sentence, match, code = min(hits, key=lambda h: (scope.index(h[1]), h[0]))
            return _clause(sentence, *match.span()), code
    for sentence in sentences[first:first + 2]:
        if because := BECAUSE.search(sentence):
            return because.group("why").strip(), "other"
    return None, "other"


def _hint(pattern: re.Pattern[str], sentences: list[str]) -> tuple[str, str] | None:
    for sentence in sentences:
        if match := pattern.search(sentence):
            return match.group().strip(), sentence
    return None


def read_quote_response(text: str, codes: Collection[str] = REASON_CODES) -> QuoteDecision:
    """Accepted, rejected or unclear, from the reply's own words (quoted lines are ignored even
    if the caller left them in), with the rule, the words, and a rejection's reason mapped to a
    code of `codes` (the tenant's list; outside it, "other")."""
    own = own_words(text.replace("\u2019", "'"))[:MAX_CHARS]
    sentences = [s.strip() for s in SENTENCE.findall(own) if s.strip()]
    if not sentences:
        return QuoteDecision("unclear", "empty", "", "")
    found = [f for sentence in sentences for f in _found(sentence)]
    if not found and YES.match(own):
        found = [_Found("acceptance", own.strip(), own.strip())]
    for rule, pattern in (("negotiation", NEGOTIATION), ("scope question", SCOPE_QUESTION)):
        if hint := _hint(pattern, sentences):
            return QuoteDecision("unclear", rule, *hint)
    accepted = [f for f in found if f.kind == "acceptance"]
    rejected = [f for f in found if f.kind == "rejection"]
    if accepted and rejected:
        return QuoteDecision("unclear", "both", f"{accepted[0].phrase} + {rejected[0].phrase}",
                             " ".join(dict.fromkeys([accepted[0].sentence, rejected[0].sentence])))
    if rejected:
        reason, code = _reason(rejected, sentences)
        return QuoteDecision("rejected", "rejection", rejected[0].phrase, rejected[0].sentence,
                             reason, code if code in codes else "other")
    doubtful = [f for f in found if f.kind not in ("acceptance", "rejection")]
    deferral = _hint(DEFERRAL, sentences)
    if accepted and not doubtful and not deferral:
        return QuoteDecision("accepted", "acceptance", accepted[0].phrase, accepted[0].sentence)
    if doubtful:
        return QuoteDecision("unclear", doubtful[0].kind, doubtful[0].phrase, doubtful[0].sentence)
    if deferral:
        return QuoteDecision("unclear", "deferral", *deferral)
    question = next((s for s in sentences if s.endswith("?")), None)
    if question:
        return QuoteDecision("unclear", "question", question, question)
    return QuoteDecision("unclear", "no decision", "", sentences[0])
