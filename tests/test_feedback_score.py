"""Feedback replies scored on their own words: explicit ratings first, else VADER."""

from __future__ import annotations

import socket

import pytest

from agent.feedback_score import FeedbackScore, rating_score, score_feedback
from agent.mail.ratings import ratings

# (reply, sentiment, rating, words the evidence must hold)
RATED = [
    ("4/5", "positive", "4/5", "4/5"),
    ("4 / 5, the report was thorough.", "positive", "4/5", "4 / 5"),
    ("I'd give you 9 out of 10.", "positive", "9/10", "9 out of 10"),
    ("10/10 would recommend!", "positive", "10/10", "10/10 would recommend"),
    ("2 stars. The appraiser showed up late and the report had errors.", "negative", "2/5",
     "2 stars"),
    ("Five stars, thank you so much!", "positive", "5/5", "Five stars"),
    ("Rating: 3", "neutral", "3/5", "Rating: 3"),
    ("8/10 would recommend", "positive", "8/10", "8/10"),
    ("Great work but the report was late. 3/5", "neutral", "3/5", "3/5"),
    ("Honestly? 6/10. The inspection was fine but communication was poor.", "neutral", "6/10",
     "6/10"),
    ("Not happy at all. 1 out of 5.", "negative", "1/5", "1 out of 5"),
    ("Quality: 5/5\nSpeed: 2/5", "neutral", "5/5, 2/5", "Speed: 2/5"),
    ("★★★★☆ — solid job", "positive", "4/5", "★★★★☆"),
    ("I would rate you guys a 7 out of 10, could have been quicker.", "neutral", "7/10",
     "7 out of 10"),
    ("zero stars, never again", "negative", "0/5", "zero stars"),
    ("4 out of 10. Report came back with the wrong square footage.", "negative", "4/10",
     "4 out of 10"),
    ("4.5/5 — only knock is the turnaround.", "positive", "4.5/5", "4.5/5"),
    ("I wouldn't give you 5 stars, more like 3 stars.", "neutral", "3/5", "3 stars"),
    ("Hi Tom,\n\n9/10, very professional.\n\nThanks,\nMaria", "positive", "9/10",
     "9/10, very professional"),
    ("Great job, 4/5. Thanks!", "positive", "4/5", "Great job, 4/5."),
    ("I\u2019d rate the service an 8, the report was spot on.", "positive", "8/10",
     "rate the service an 8"),
    ("⭐️⭐️⭐️⭐️⭐️ Amazing!", "positive", "5/5", "⭐"),
    ("Very happy with how quickly you turned it around. 5/5", "positive", "5/5", "5/5"),
    ("Overall 3 out of 5 - the report was fine but nobody told us about the delay.", "neutral",
     "3/5", "3 out of 5"),
    ("I'd say 2/10, we had to redo half of it ourselves.", "negative", "2/10", "2/10"),
    ("Rated 4 stars on Google for you!", "positive", "4/5", "4 stars"),
    ("9/10 - only because parking was a nightmare lol", "positive", "9/10", "9/10"),
    ("Score: 8", "positive", "8/10", "Score: 8"),
    ("1/5. Never using you again.", "negative", "1/5", "1/5"),
    ("We'd give 11/10 if we could!", "positive", "10/10", "11/10"),
]
# Numbers that look like ratings and are not, then replies with no rating at all.
UNRATED = [
    ("The inspection on 4/5 went smoothly, thanks!", "positive", "went smoothly"),
    ("You guys are available 24/7 which is great.", "positive", "24/7"),
    ("Order 4/10 arrived damaged and nobody called back.", "negative", "damaged"),
    ("We closed on 4/5/2026 without a hitch, great job.", "positive", "great job"),
    ("9 out of 10 times you're on time, this wasn't one of them. The report was late.",
     "negative", "late"),
    ("Meeting at 4:30 works. The report looked good.", "positive", "looked good"),
    ("Thanks!", "positive", "Thanks!"),
    ("ok", "neutral", "ok"),
    ("Not happy at all.", "negative", "Not happy"),
    ("I wouldn\u2019t recommend you to anyone.", "negative", "recommend"),
    ("Great work but the report was late.", "negative", "late"),
    ("Fantastic service, very professional and quick. Will definitely use you again!",
     "positive", "Fantastic"),
    ("The report was late and had several errors. Very disappointed.", "negative", "errors"),
    ("No complaints, everything went smoothly.", "positive", "No complaints"),
    ("It was fine.", "positive", "fine"),
    ("Could have been better, honestly.", "negative", "Could have been better"),
    ("Thanks for nothing.", "negative", "Thanks for nothing"),
    ("thx, gr8 job!!", "positive", "gr8"),
    ("lol the report was a mess", "negative", "mess"),
    ("meh", "negative", "meh"),
    ("Took forever to get the report back and nobody returned my calls.", "negative",
     "Took forever"),
    ("The appraiser was rude to my tenant.", "negative", "rude"),
    ("👍", "positive", "👍"),
    ("Received, thanks.", "positive", "thanks"),
    ("Terrible service.\n\nOn Mon, Jan 5, 2026 at 9:00 AM Acme <info@acme.example> wrote:\n"
     "> We'd love your feedback! Rate us 1-5 stars.\n> Thanks for choosing Acme, we appreciate "
     "you!", "negative", "Terrible service"),
    ("Hi,\n\nThe appraiser, Dan, was very friendly and knowledgeable. Unfortunately the report "
     "took two weeks longer than promised and we almost missed our closing. I had to chase your "
     "office three times for updates. Not the experience we hoped for.\n\nRegards,\nKaren",
     "negative", "missed our closing"),
    ("Absolutely thrilled with the work \u2014 the report was thorough, accurate and early. 😊",
     "positive", "thrilled"),
    ("The report was ok I guess. Nothing special.", "negative", "Nothing special"),
    ("Not bad at all, thank you.", "positive", "Not bad"),
    ("Your team was great, but the invoice was wrong and nobody answered my emails.",
     "negative", "wrong"),
    ("u guys rock, see you next time", "positive", "rock"),
    ("Still waiting on the corrected report. Not impressed.", "negative", "Not impressed"),
    ("The appraisal came in on 3/5 as agreed, thanks a lot.", "positive", "thanks a lot"),
    ("Honestly the worst experience we've had with a vendor.", "negative", "worst"),
    ("All good, thank you", "positive", "All good"),
    ("Fine.", "positive", "Fine."),
    ("Nobody picked up the phone for three days.", "negative", "Nobody picked up"),
    ("Superb job as always, Dave is a star", "positive", "Superb"),
    ("The inspector missed the water damage in the basement. Very frustrating.", "negative",
     "missed the water damage"),
    ("n/a", "neutral", "n/a"),
    ("We were really impressed with the level of detail!", "positive", "impressed"),
    ("Report was accurate but the invoice was double what you quoted.", "negative",
     "double what you quoted"),
    ("Good.", "positive", "Good."),
    ("Everything was perfect, thank you Jen!", "positive", "perfect"),
    ("The report was delivered three days late and we had to push our closing.", "negative",
     "late"),
    ("Not as good as last time.", "negative", "Not as good"),
    ("You were great to work with.", "positive", "great"),
    ("Very slow and the appraiser seemed rushed.", "negative", "slow"),
    ("I have no complaints whatsoever, the team was lovely.", "positive", "lovely"),
    ("We'll definitely recommend you to our friends", "positive", "recommend"),
    ("the report is wrong, the square footage is off by 300 sq ft", "negative", "wrong"),
    ("Thank you, received.", "positive", "Thank you"),
    ("Amazing turnaround!!! 🙌", "positive", "Amazing"),
    ("Can you send me a copy of the invoice?", "neutral", "invoice"),
    ("Had some issues with scheduling but the final report was excellent.", "positive",
     "excellent"),
]


@pytest.mark.parametrize("text, sentiment, rating, evidence", RATED)
def test_an_explicit_rating_wins(text: str, sentiment: str, rating: str, evidence: str) -> None:
    score = score_feedback(text)
    assert (score.sentiment, score.rating, score.method) == (sentiment, rating, "rating")
    assert evidence in score.evidence
    assert -1.0 <= score.score <= 1.0


@pytest.mark.parametrize("text, sentiment, evidence", UNRATED)
def test_without_a_rating_vader_decides(text: str, sentiment: str, evidence: str) -> None:
    score = score_feedback(text)
    assert (score.sentiment, score.rating, score.method) == (sentiment, None, "vader")
    assert evidence in score.evidence


@pytest.mark.parametrize("text, expected", [
    ("4/5", 0.5), ("9 out of 10", 0.8), ("2 stars", -0.5), ("3/5", 0.0), ("10/10", 1.0),
    ("0 stars", -1.0), ("1/5", -1.0), ("5/10", 0.0), ("4.5/5", 0.75),
])
def test_ratings_are_normalised_around_the_scale_s_neutral_point(text: str,
                                                                 expected: float) -> None:
    assert rating_score(ratings(text)[0]) == pytest.approx(expected)
    assert score_feedback(text).score == pytest.approx(expected)


@pytest.mark.parametrize("text, sentiment", [
    ("2/5", "negative"), ("4/10", "negative"), ("3/5", "neutral"), ("7/10", "neutral"),
    ("4/5", "positive"), ("8/10", "positive"),
])
def test_rating_thresholds(text: str, sentiment: str) -> None:
    assert score_feedback(text).sentiment == sentiment


@pytest.mark.parametrize("text", [
    "Closing moved to 3/5.", "We close 4/5/2026", "We are available 24/7", "Order #4/5 shipped",
    "order 4/10 shipped", "Date: 4/5", "4/5 at 10am works", "9 out of 10 times it works",
    "4 out of 5 reports were late", "Thanks, 4/5 works for the closing", "Tuesday, 4/5",
    "we meet at 9:10", "ORD-4/5", "invoice: 10/10", "10/5 is the day", "Your rate is 9 per sq ft",
])
def test_numbers_that_are_not_ratings(text: str) -> None:
    assert ratings(text) == []


def test_quoted_text_is_never_scored() -> None:
    only_quoted = score_feedback("> How did we do?\n> Five stars? Let us know!")
    assert only_quoted == FeedbackScore("neutral", 0.0, None, "", "empty")
    reply = score_feedback("Report was late again.\n> Rate us: 5 stars?\n> We love our clients!")
    assert (reply.sentiment, reply.rating, reply.evidence) == ("negative", None,
                                                               "Report was late again.")


def test_a_sign_off_does_not_soften_a_complaint() -> None:
    score = score_feedback("The report had mistakes and came in late.\n\nThanks,\nBob")
    assert score.sentiment == "negative"
    assert "Thanks" not in score.evidence


def test_describe_names_the_rating_or_the_compound() -> None:
    assert score_feedback("Solid 4 out of 5.").describe() == (
        "positive (rating 4/5): 'Solid 4 out of 5.'")
    assert score_feedback("Terrible.").describe().startswith("negative (vader -0.")


def test_the_lexicon_is_read_from_the_package_not_the_network(monkeypatch) -> None:
    from agent import feedback_score

    def refuse(*args, **kwargs):
        raise AssertionError("network used")

    feedback_score.analyzer.cache_clear()
    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    assert score_feedback("Wonderful job!").sentiment == "positive"
    assert len(feedback_score.analyzer().lexicon) > 7000
