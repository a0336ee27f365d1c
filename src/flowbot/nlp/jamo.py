"""Hangul decomposed into letters (jamo), and the normalised text the matcher reads.

Korean as users type it varies inside syllables: a typo changes one letter
(아메리까노), an ending changes a final consonant (해 / 했어 / 했어요). Split
into its letters, such a variant still shares most of its letter n-grams with
the phrase it stands for, where its syllables would share few.

Compound vowels and consonants are split into their parts (ㅘ → ㅗㅏ,
ㄳ → ㄱㅅ), so that a near-miss vowel (왜 / 웨) shares a letter. A final
consonant is written as its own letter, uppercase-free but distinct from
the initial one (`FINAL_MARK` follows it), because 각 and 가ㄱ… are different
sounds at a different place in the word.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

__all__ = ["decompose", "is_hangul_syllable", "jamo_of", "normalise"]

_BASE: Final = 0xAC00
_LAST: Final = 0xD7A3
_INITIALS: Final = (
    "ㄱ",
    "ㄱㄱ",
    "ㄴ",
    "ㄷ",
    "ㄷㄷ",
    "ㄹ",
    "ㅁ",
    "ㅂ",
    "ㅂㅂ",
    "ㅅ",
    "ㅅㅅ",
    "ㅇ",
    "ㅈ",
    "ㅈㅈ",
    "ㅊ",
    "ㅋ",
    "ㅌ",
    "ㅍ",
    "ㅎ",
)
_VOWELS: Final = (
    "ㅏ",
    "ㅏㅣ",
    "ㅑ",
    "ㅑㅣ",
    "ㅓ",
    "ㅓㅣ",
    "ㅕ",
    "ㅕㅣ",
    "ㅗ",
    "ㅗㅏ",
    "ㅗㅏㅣ",
    "ㅗㅣ",
    "ㅛ",
    "ㅜ",
    "ㅜㅓ",
    "ㅜㅓㅣ",
    "ㅜㅣ",
    "ㅠ",
    "ㅡ",
    "ㅡㅣ",
    "ㅣ",
)
_FINALS: Final = (
    "",
    "ㄱ",
    "ㄱㄱ",
    "ㄱㅅ",
    "ㄴ",
    "ㄴㅈ",
    "ㄴㅎ",
    "ㄷ",
    "ㄹ",
    "ㄹㄱ",
    "ㄹㅁ",
    "ㄹㅂ",
    "ㄹㅅ",
    "ㄹㅌ",
    "ㄹㅍ",
    "ㄹㅎ",
    "ㅁ",
    "ㅂ",
    "ㅂㅅ",
    "ㅅ",
    "ㅅㅅ",
    "ㅇ",
    "ㅈ",
    "ㅊ",
    "ㅋ",
    "ㅌ",
    "ㅍ",
    "ㅎ",
)
# after a final consonant's letters: 각 is ㄱㅏㄱ_, not the start of 가그…
FINAL_MARK: Final = "_"

# what is not a letter or a digit is a separator (punctuation, emoji, spaces)
_SEPARATORS: Final = re.compile(r"[^0-9a-z\u3131-\u318e\uac00-\ud7a3]+")
# ㅋㅋㅋㅋ, 요~~~, ??? say no more than two of them
_REPEATS: Final = re.compile(r"(.)\1{2,}")


def is_hangul_syllable(char: str) -> bool:
    return _BASE <= ord(char) <= _LAST


def decompose(char: str, *, mark_final: bool = True) -> str:
    """The letters of one character: a Hangul syllable's jamo, anything else as it is."""
    code = ord(char) - _BASE
    if code < 0 or code > _LAST - _BASE:
        return char
    initial, rest = divmod(code, 588)
    vowel, final = divmod(rest, 28)
    tail = _FINALS[final]
    if tail and mark_final:
        tail += FINAL_MARK
    return _INITIALS[initial] + _VOWELS[vowel] + tail


def jamo_of(text: str, *, mark_final: bool = True) -> str:
    """`text` with every Hangul syllable written as its letters."""
    return "".join(decompose(char, mark_final=mark_final) for char in text)


def normalise(text: str, *, spaces: bool = False) -> str:
    """Lowercase NFC text with separators removed (or, with `spaces`, one space each).

    Spacing is the error Korean users make most, so by default it is not
    information at all: 배송 조회 and 배송조회 read the same.
    """
    # NFC, not NFKC: NFKC turns a typed ㅋ (compatibility jamo) into a conjoining one
    folded = unicodedata.normalize("NFC", text).lower()
    folded = _REPEATS.sub(r"\1\1", folded)
    return _SEPARATORS.sub(" " if spaces else "", folded).strip()
