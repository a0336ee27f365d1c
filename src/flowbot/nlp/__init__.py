"""Local natural-language understanding for the `nlp` node: intents and entities, in Korean.

No cloud service and no heavy dependency: a TF-IDF matcher over letter and
syllable n-grams (`matcher`), a threshold from the bot's own examples
(`threshold`), entities for lists, numbers, dates and regexes (`entities`),
and the evaluation behind `flowbot nlp eval` (`evaluate`). docs/nlp.md.
"""

from __future__ import annotations

from flowbot.nlp.entities import EntitySpec, ListValue, extract_entities
from flowbot.nlp.matcher import DEFAULT_OPTIONS, IntentMatcher, MatcherOptions, Ranked
from flowbot.nlp.model import NluModel
from flowbot.nlp.spec import Issue, NlpSpec, cloud_engine_message, is_local, parse_spec
from flowbot.nlp.threshold import ThresholdEstimate, estimate_threshold

__all__ = [
    "DEFAULT_OPTIONS",
    "EntitySpec",
    "IntentMatcher",
    "Issue",
    "ListValue",
    "MatcherOptions",
    "NlpSpec",
    "NluModel",
    "Ranked",
    "ThresholdEstimate",
    "cloud_engine_message",
    "estimate_threshold",
    "extract_entities",
    "is_local",
    "parse_spec",
]
