"""The report's newer sections as Ibis expressions, from tables other commands write:

- funnel_steps_present: which of the Segment eCommerce steps the events hold, with their counts;
- top_paths: the most common paths through a visit (`centric journey`), most taken first;
- rule_segments: the saved rule segments (`centric segments`), largest first;
- survey_responses: per survey, the feedback answers it received and the last one's time;
- survey_scores_by_survey: NPS/CSAT/CES per survey when listening grouped the scores by survey.
"""

from __future__ import annotations

FUNNEL_STEPS = ("Product Viewed", "Product Added", "Checkout Started", "Order Completed")


def funnel_steps_present(events):
    kept = events.filter(events.name.isin(FUNNEL_STEPS))
    return kept.group_by("name").aggregate(events=kept.count())


def top_paths(paths, n: int = 8):
    return paths.order_by([paths.sessions.desc(), paths.path]).limit(n)


def rule_segments(segments, n: int = 12):
    kept = segments.filter(segments.kind == "rule")
    return kept.select("segment", "description", "customers", "customer_share", "revenue_share", "entered",
                       "left", "computed_at").order_by([kept.customers.desc(), kept.segment]).limit(n)


def survey_responses(surveys, feedback):
    answered = feedback.filter(feedback.survey_id.notnull())
    per = answered.group_by("survey_id").aggregate(answers=answered.count(), last_answer=answered.received_at.max())
    joined = surveys.left_join(per, surveys.survey_id == per.survey_id)
    return joined.select(surveys.survey_id, surveys.kind, surveys.status, surveys.created_at,
                         answers=joined.answers.fill_null(0), last_answer=joined.last_answer).order_by(surveys.created_at)


def survey_scores_by_survey(scores):
    kept = scores.filter((scores.dimension == "survey_id") & (scores.period == "all"))
    return kept.select(survey_id=kept.group, metric=kept.metric, n=kept.n, value=kept.value, low=kept.low,
                       high=kept.high)
