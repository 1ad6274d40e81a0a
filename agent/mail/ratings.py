"""Explicit ratings in a reply ("4/5", "9 out of 10", "five stars", "Rating: 3", "★★★★☆"), told
apart from the numbers that only look like them.

One place for the pattern: classification uses it to recognise a feedback reply, feedback
scoring to read the score. A slash is the risky form: "closing moved to 3/5" is a date,
"4/5/2026" and "24/7" are no ratings, "#4/5" is an order number. So "x/5" and "x/10" count only
at the start of a line or sentence, after a rating word ("I'd give you 4/5", "Quality: 5/5"),
or before one ("10/10 would recommend", "4/5 stars"); "x out of y", stars and "rating: x" are
unambiguous, except "4 out of 5 reports" (a count) and a negated one ("not 5 stars"); "rate"
only as a verb ("rated us 9"), since "your rate is 9" is a price.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WORDS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
         "eight": 8, "nine": 9, "ten": 10}
NUM = r"\d{1,2}(?:\.\d)?"
WORD = "|".join(WORDS)
RATING = re.compile(
    r"\b(?:(?:rating|score)\b(?:\s*[:=-]|\s+(?:is|was|of)\b)?|(?:rated?|scored)\b)"
    r"(?:\s+(?:you|you guys|it|us|them|this|overall|"
    r"the (?:service|work|report|job|experience|team)))?"
    rf"\s*(?:an?\s+)?(?P<rated>{NUM})"
    r"(?:\s*(?:/|out of|outta)\s*(?P<rated_of>10|5))?(?![\w%:/]|[.,]\d)"
    rf"|(?<![\w/#.,$€£-])(?P<slash>{NUM})\s*/\s*(?P<slash_of>10|5)(?![\w/]|[.,]\d)"
    rf"|\b(?P<out>{NUM}|{WORD})\s+(?:out of|outta)\s+(?P<out_of>10|5|ten|five)\b(?![/.,]\d)"
    rf"|\b(?P<stars>{NUM}|{WORD})\s*-?\s*stars?\b"
    r"|(?P<glyphs>(?:[★⭐]\ufe0f?){1,10})(?P<empty>☆*)",
    re.IGNORECASE)
# Where a slash rating may stand: the start of a line or sentence, after a rating word, an
# aspect ("speed 3/5"), a label or a comma ("Quality: 5/5", "Great job, 4/5"), an article ("a
# solid 4/5"), or before "stars", "would recommend", "!".
SENTENCE_START = re.compile(r"[.!?][\s\-*•]*$")
BULLET = re.compile(r"[\s\-*•]*")
RATING_WORD = re.compile(r"\b(?:rat(?:e|ed|ing)|scor(?:e|ed)|give|gave|giving)\b(?:\s+\w+){0,2}"
                         r"\s*$", re.IGNORECASE)
CUE_BEFORE = re.compile(
    r"(?:\bsay"
    r"|\b(?:overall|solid|easy|easily|strong|honest(?:ly)?|a|an|it'?s|that'?s|quality|speed|"
    r"timeliness|communication|service|value|experience|turnaround|professionalism|accuracy|"
    r"staff|team|job|work)"
    r"|\w\s*[:=(,]|[-–—])\s*$", re.IGNORECASE)
# A label before a colon (or a day before a comma) that makes "x/y" a date or a number.
NOT_A_LABEL = re.compile(
    r"\b(?:date[ds]?|due|deadline|closing|close|eta|deliver(?:ed|y)|inspection|appointment|"
    r"scheduled|when|on|by|ref|order|po|no|number|invoice|file|case|ticket|unit|apt|suite|"
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)day|today|tomorrow)\s*[:=,]\s*$", re.IGNORECASE)
CUE_AFTER = re.compile(r"\s*(?:stars?\b|!|,?\s*(?:would|will|definitely|highly|overall|from "
                       r"(?:me|us)|for (?:the|your) (?:service|work|report|job|team))\b)",
                       re.IGNORECASE)
# "4/5 at 10am", "4/5 works for us", "4/5 for the inspection": a date after all.
DATE_AFTER = re.compile(r"\s*(?:at\s+\d|\d{1,2}(?::\d\d)?\s*[ap]\.?m\b|works\b|(?:for|on) the "
                        r"(?:closing|inspection|appointment|meeting|call|visit)\b)", re.IGNORECASE)
# "9 out of 10 times", "4 out of 5 reports were late": a count of things, not a score.
COUNTED = re.compile(r"\s+(?:of\b|(?!stars\b|thanks\b|cheers\b|guys\b|folks\b|is\b|was\b|as\b)"
                     r"[a-z]+s\b)", re.IGNORECASE)
# "wouldn't give you 5 stars", "not 10/10", "never 5 stars": a score denied ("can't wait" is not).
NEGATED = re.compile(r"(?:\bnot|\bnever|\bhardly|\bbarely|\bcannot|n't)(?<!can't)(?<!cant)"
                     r"(?:\s+(?!more\b|than\b)\w+){0,3}\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Rating:
    """One explicit rating: as written, and its value on its scale (5 or 10)."""

    text: str  # as written: "9 out of 10", "Rating: 4", "five stars"
    value: float
    scale: int
    start: int
    end: int

    @property
    def label(self) -> str:
        """The rating in one spelling: "9/10", "4.5/5"."""
        return f"{self.value:g}/{self.scale}"

    @property
    def fraction(self) -> float:
        """The share of the scale, 0..1: 4/5 -> 0.8."""
        return self.value / self.scale


def _number(word: str) -> float:
    return float(WORDS.get(word.lower(), word))


def _slash_allowed(before: str, line_start: bool, after: str) -> bool:
    if DATE_AFTER.match(after):
        return False
    if (line_start and BULLET.fullmatch(before)) or SENTENCE_START.search(before) or \
            RATING_WORD.search(before) or CUE_AFTER.match(after):
        return True
    return CUE_BEFORE.search(before) is not None and NOT_A_LABEL.search(before) is None


def _read(match: re.Match[str], text: str) -> Rating | None:
    """The rating a match stands for, or None when its context says it is no rating."""
    groups = match.groupdict()
    start, end = match.span()
    line = text.rfind("\n", 0, start) + 1
    before, after = text[max(line, start - 60):start], text[end:end + 40]  # within the line
    if groups["rated"]:
        value = float(groups["rated"])
        scale = int(groups["rated_of"] or (5 if value <= 5 else 10))
    elif groups["slash"]:
        if not _slash_allowed(before, line >= start - 60, after):
            return None
        value, scale = float(groups["slash"]), int(groups["slash_of"])
    elif groups["out"]:
        if COUNTED.match(after):
            return None
        value, scale = _number(groups["out"]), int(_number(groups["out_of"]))
    elif groups["stars"]:
        value, scale = _number(groups["stars"]), 5
    else:
        filled = len(groups["glyphs"].replace("\ufe0f", ""))
        value, scale = float(filled), max(5, filled + len(groups["empty"]))
    if groups["slash"] and value > scale and not (RATING_WORD.search(before)
                                                  or CUE_AFTER.match(after)):
        return None  # "10/5" is the 10th of May; "I'd give you 11/10" is praise
    if NEGATED.search(before):
        return None
    return Rating(match.group().strip(), min(value, scale), scale, start, end)


def ratings(text: str) -> list[Rating]:
    """Every explicit rating in `text`, in order (see the module docstring for what counts)."""
    found = (_read(match, text) for match in RATING.finditer(text))
    return [rating for rating in found if rating is not None]
