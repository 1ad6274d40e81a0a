"""How a client feels about the work, read from their reply to a feedback request.

An explicit rating is what the client chose to say, so it wins: "great work but the report was
late, 3/5" is a 3/5. Without one, VADER (a lexicon and rules tuned for short informal text, with
negation, "but" and intensifiers) gives the compound score. Only the reply's own words count:
our request quoted under it would make every reply sound polite, and the sign-off ("Thanks,
Bob") would make every complaint sound grateful, so both are cut first.

VADER's lexicon is general English; a service business hears some words it lacks ("late",
"sloppy") and some it reads wrong here ("ok" is a shrug, not praise; "lol" under a complaint is
no joke), and a few phrases it cannot see word by word ("could have been better", "took
forever", "will use you again"). Those are set in SERVICE_WORDS and SERVICE_PHRASES. The lexicon
ships inside the vaderSentiment package and is read from there: nothing is downloaded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from agent.mail.ratings import Rating, ratings
from agent.mail.signatures import SIGN_OFF, own_words

Sentiment = Literal["positive", "neutral", "negative"]

# VADER's own convention for the compound score.
POSITIVE_COMPOUND = 0.05
NEGATIVE_COMPOUND = -0.05
# A rating's share of its scale: 4/5 and 8/10 are positive, 2/5 and 4/10 negative.
POSITIVE_RATING = 0.8
NEGATIVE_RATING = 0.4
# How much of a reply is read: what a client thinks is said in its first lines, the rest is
# pasted material, and VADER's negation check grows with the square of the text's length.
MAX_CHARS = 4000

SERVICE_WORDS = {
    "late": -1.5, "overdue": -1.5, "slow": -1.3, "sloppy": -2.0, "inaccurate": -1.8,
    "incomplete": -1.3, "unresponsive": -1.8, "delays": -1.3, "pricey": -1.0, "rushed": -1.0,
    "professional": 1.5, "thorough": 1.5, "timely": 1.3, "prompt": 1.3, "promptly": 1.3,
    "quick": 1.0, "quickly": 0.8, "accurate": 1.2, "smooth": 1.3, "seamless": 1.5,
    "mediocre": -1.0, "ok": 0.0, "okay": 0.0, "lol": 0.0,
}
# Phrase -> a word of the same valence, substituted before scoring (never in the evidence).
SERVICE_PHRASES = [
    (re.compile(p, re.IGNORECASE), word) for p, word in (
        (r"\bcould(?:'ve| have)? (?:been|be) better\b", "disappointing"),
        (r"\bthanks for nothing\b", "insulting"),
        (r"\btook (?:forever|ages|too long)\b", "slow"),
        (r"\bhad to (?:chase|keep chasing|remind)\b", "frustrating"),
        (r"\broom for improvement\b", "mediocre"),
        (r"\bnot (?:quite )?(?:what|the \w+) (?:we|i) (?:hoped|expected|asked|paid|wanted)"
         r"(?: for)?\b", "disappointing"),
        (r"\b(?:longer|later|slower) than (?:promised|expected|quoted|agreed)\b", "late"),
        (r"\bwithout (?:a|any) (?:hitch|hiccup|glitch)(?:es|s)?\b", "smooth"),
        (r"\b(?:nobody|no one|no-one|never) (?:picked up|called (?:me |us )?back|answered|"
         r"responded|replied|got back to (?:me|us)|returned (?:my|our) (?:calls?|e-?mails?))\b",
         "unresponsive"),
        (r"\b(?:double|twice|more than|higher than) (?:what )?(?:you|was|we were) (?:quoted|"
         r"told)\b", "wrong"),
        (r"\b(?:use|hire|book|work with) (?:you|u|you guys|your team|your firm|them) again\b",
         "excellent"),
        (r"\b(?:you|u|you guys|u guys|y'all) rock\b", "awesome"),
        (r"👍", " good "), (r"👎", " bad "), (r"😡|🤬", " angry "), (r"\u2764\ufe0f?", " love "),
        (r"🙏", " thanks "), (r"💯", " excellent "))]
# A sentence ends at a line break or at ".", "!", "?" before a space ("4.5/5" goes on).
SENTENCE = re.compile(r"(?:[^.!?\n]|[.!?](?![\s.!?]|$))+[.!?]*")


@dataclass(frozen=True)
class FeedbackScore:
    """A feedback reply's sentiment, the score it comes from, and the words that show it."""

    sentiment: Sentiment
    score: float  # -1..1: the rating on that scale when there is one, else VADER's compound
    rating: str | None  # "4/5", "9/10"; several are listed "5/5, 3/5" and averaged
    evidence: str  # the sentence(s) holding the rating, else the sentence that weighs most
    method: Literal["rating", "vader", "empty"]  # empty: the reply has no words of its own

    def describe(self) -> str:
        what = f"rating {self.rating}" if self.rating else f"{self.method} {self.score:+.2f}"
        return f"{self.sentiment} ({what}): '{self.evidence}'"


@cache
def analyzer() -> SentimentIntensityAnalyzer:
    """VADER with the service words; built once per process (it reads its lexicon file)."""
    vader = SentimentIntensityAnalyzer()
    vader.lexicon.update(SERVICE_WORDS)
    return vader


def _own_text(text: str) -> str:
    """The reply's own words: quoted lines and the signature cut (own_words, again, in case the
    caller passed raw text), curly apostrophes made straight (VADER and the patterns read
    "wouldn't", not "wouldn’t"), and a closing sign-off dropped with the name under it."""
    lines = own_words(text.replace("\u2019", "'")).split("\n")
    for i in range(len(lines) - 1, 0, -1):
        tail = [line for line in lines[i + 1:] if line.strip()]
        if SIGN_OFF.match(lines[i]) and len(tail) <= 2 and all(len(t) <= 40 for t in tail):
            if any(line.strip() for line in lines[:i]):
                lines = lines[:i]
            break
    return "\n".join(lines).strip()[:MAX_CHARS]


def rating_score(rating: Rating) -> float:
    """A rating on -1..1 with its scale's neutral point at 0: stars run 1..5 (3 is neutral,
    4/5 -> 0.5, 2/5 -> -0.5), ten-point scores 0..10 (9/10 -> 0.8); 0 stars is -1."""
    centre, half = (3, 2) if rating.scale == 5 else (rating.scale / 2, rating.scale / 2)
    return max(-1.0, min(1.0, (rating.value - centre) / half))


def _by_rating(found: list[Rating], text: str) -> FeedbackScore:
    fraction = sum(r.fraction for r in found) / len(found)
    sentiment: Sentiment = ("positive" if fraction >= POSITIVE_RATING else
                            "negative" if fraction <= NEGATIVE_RATING else "neutral")
    score = sum(rating_score(r) for r in found) / len(found)
    spans = [m for m in SENTENCE.finditer(text) if any(m.start() <= r.start < m.end()
                                                       for r in found)]
    return FeedbackScore(sentiment, round(score, 4), ", ".join(r.label for r in found),
                         " ".join(m.group().strip() for m in spans), "rating")


def _compound(text: str) -> float:
    for pattern, word in SERVICE_PHRASES:
        text = pattern.sub(word, text)
    return analyzer().polarity_scores(text)["compound"]


def _by_vader(text: str) -> FeedbackScore:
    score = _compound(text)
    sentiment: Sentiment = ("positive" if score >= POSITIVE_COMPOUND else
                            "negative" if score <= NEGATIVE_COMPOUND else "neutral")
    sentences = [s.strip() for s in SENTENCE.findall(text) if s.strip()]
    sign = 1 if score >= 0 else -1
    strongest = max(sentences, key=lambda s: sign * _compound(s)) if sentences else text
    return FeedbackScore(sentiment, score, None, strongest, "vader")


def score_feedback(text: str) -> FeedbackScore:
    """The sentiment of a feedback reply's own text: its explicit ratings when it has any (the
    average of several), else VADER's compound score. Quoted lines are ignored even if the
    caller left them in."""
    own = _own_text(text)
    if not own:
        return FeedbackScore("neutral", 0.0, None, "", "empty")
    if found := ratings(own):
        return _by_rating(found, own)
    return _by_vader(own)
