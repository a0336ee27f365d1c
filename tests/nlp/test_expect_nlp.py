"""`expect: nlp:` in conversation tests: a subset match on the turn's last nlp result."""

from __future__ import annotations

from flowbot.testing import Expect, check_expect


def test_nlp_expectation_matches_a_subset_and_reports_a_mismatch() -> None:
    got = {"intent": "주문", "score": 0.5, "slots": {"menu": "아메리카노", "count": "2"}}
    want = Expect.model_validate({"nlp": {"intent": "주문", "slots": {"count": "2"}}})
    assert check_expect(want, [], [], None, {}, None, got) == []
    wrong = Expect.model_validate({"nlp": {"intent": "환불"}})
    (mismatch,) = check_expect(wrong, [], [], None, {}, None, got)
    assert (mismatch.what, mismatch.got) == ("nlp", {"intent": "주문"})
    (missing,) = check_expect(wrong, [], [], None, {}, None, None)
    assert missing.got is None
