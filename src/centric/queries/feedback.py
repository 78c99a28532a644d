"""Feedback as `centric listen` reads it, and its verbatims.

- rows: every feedback row with the columns listening reads, oldest first (ties by id);
- verbatims: feedback texts with their insights, optionally one theme, one sentiment and one
  language, the strongest opinions first (then the newest), at most ``limit``.
"""

from __future__ import annotations

COLUMNS = ("feedback_id", "customer_id", "received_at", "source", "channel", "rating", "rating_scale", "text",
           "language", "survey_id")


def rows(feedback):
    return feedback.select(*COLUMNS).order_by(["received_at", "feedback_id"])


def verbatims(feedback, insights, theme: str | None = None, sentiment: str | None = None,
              language: str | None = None, limit: int = 10):
    i = insights
    if theme is not None:
        i = i.filter(i.themes.contains(theme))
    if sentiment is not None:
        i = i.filter(i.sentiment == sentiment)
    if language is not None:
        i = i.filter(i.language == language)
    joined = i.join(feedback, "feedback_id")
    out = joined.select("feedback_id", "received_at", "source", "language", "sentiment", "sentiment_score", "themes",
                        "text")
    return out.order_by([out.sentiment_score.abs().desc(), out.received_at.desc()]).limit(int(limit))


def segments(summary):
    return summary.select("customer_id", "rfm_segment")
