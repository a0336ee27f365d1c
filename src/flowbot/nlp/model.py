"""One trained local nlp node: its matcher, threshold and entities; `analyse` fills `nlp`.

Trained once when the bot loads (the node compiles); `analyse` is a pure
function of the text and the clock: the same bot and message give the same
result. The user's text is data throughout: it is never rendered as a
template, and comes back in `entities[].text` verbatim.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from flowbot.nlp.entities import MAX_TEXT, extract_entities
from flowbot.nlp.matcher import DEFAULT_OPTIONS, IntentMatcher, MatcherOptions
from flowbot.nlp.spec import NlpSpec
from flowbot.nlp.threshold import ThresholdEstimate, estimate_threshold

__all__ = ["RANKING_SIZE", "NluModel"]

RANKING_SIZE: Final = 5  # intents listed in `nlp.ranking`


class NluModel:
    __slots__ = ("estimate", "matcher", "spec", "threshold")

    def __init__(self, spec: NlpSpec, options: MatcherOptions = DEFAULT_OPTIONS) -> None:
        self.spec = spec
        self.matcher = IntentMatcher(spec.intents, options)
        self.estimate: ThresholdEstimate | None = None
        if spec.threshold is None:
            self.estimate = estimate_threshold(self.matcher)
            self.threshold = self.estimate.threshold
        else:
            self.threshold = spec.threshold

    def classify(self, text: str) -> tuple[str, float, list[dict[str, Any]]]:
        """(intent or the fallback, the best score, the ranking of the top intents)."""
        ranking = self.matcher.rank(text[:MAX_TEXT])
        shown = [{"intent": r.intent, "score": r.score} for r in ranking[:RANKING_SIZE]]
        if not ranking:
            return self.spec.fallback, 0.0, shown
        best = ranking[0]
        second = ranking[1].score if len(ranking) > 1 else 0.0
        if best.score < self.threshold or best.score - second < self.spec.margin:
            return self.spec.fallback, best.score, shown
        return best.intent, best.score, shown

    def analyse(self, text: Any, now: datetime) -> dict[str, Any]:
        """The `nlp` context value for a message text (None or not text: an error)."""
        if not isinstance(text, str) or not text.strip():
            return {
                "intent": self.spec.fallback,
                "score": 0.0,
                "entities": [],
                "slots": {},
                "ranking": [],
                "error": "the message has no text to analyse",
            }
        intent, score, ranking = self.classify(text)
        entities = extract_entities(self.spec.entities, text, now.astimezone(self.spec.timezone))
        slots: dict[str, str] = {}
        for entity in entities:
            slots.setdefault(entity["entity"], entity["value"])
        result: dict[str, Any] = {
            "intent": intent,
            "score": score,
            "entities": entities,
            "slots": slots,
            "ranking": ranking,
            "error": None,
        }
        answer = self.spec.answers.get(intent)
        if answer is not None:
            result["answer"] = answer
        return result
