"""Hostile and odd text: nothing crashes, nothing is executed, what is shown is the text, escaped."""

import pytest

from centric.models.text.analyzer import FeedbackAnalyzer
from centric.models.text.normalize import MAX_ANALYSED_CHARS, clean

ODD = {
    "empty": "",
    "spaces": "   \n\t ",
    "emoji": "😡😡😡",
    "huge": "The delivery was late. " * 4_500,  # ~100 kB
    "mixed": "The delivery was great pero la caja llegó rota i el preu era massa car",
    "html": "<script>alert('x')</script><b>Terrible</b> service <img src=x onerror=alert(1)>",
    "control": "bad\x00\x07 product\ufffd",
    "sql": "'; DROP TABLE feedback; --",
    "none": None,
}


@pytest.fixture(scope="module")
def found():
    return FeedbackAnalyzer().analyse(list(ODD), list(ODD.values()), [None] * len(ODD)).set_index("feedback_id")


def test_every_odd_text_gets_a_row(found):
    assert list(found.index) == list(ODD)
    assert set(found["sentiment"]) <= {"negative", "neutral", "positive"}
    assert found["sentiment_score"].between(-1, 1).all()


def test_no_letters_means_no_language(found):
    for key in ("empty", "spaces", "emoji", "none"):
        assert found.loc[key, "language"] is None
    assert found.loc["emoji", "sentiment"] == "negative"


def test_huge_text_is_truncated_not_refused(found):
    assert found.loc["huge", "truncated"] and found.loc["huge", "text_chars"] > 99_000
    assert found.loc["huge", "sentiment"] == "negative" and "delivery" in found.loc["huge", "themes"]
    assert len(clean(ODD["huge"])) <= MAX_ANALYSED_CHARS


def test_markup_is_read_as_words_and_never_kept(found):
    cleaned = clean(ODD["html"])
    assert "<" not in cleaned and "alert" not in cleaned and "Terrible" in cleaned
    assert found.loc["html", "sentiment"] == "negative"
    assert "\x00" not in clean(ODD["control"])


def test_mixed_languages_get_one_language_and_several_themes(found):
    assert found.loc["mixed", "language"] in ("en", "es", "ca")
    assert len(found.loc["mixed", "themes"]) >= 1
