"""Korean particles (조사) chosen by the final consonant (받침) of a noun.

``attach_josa("멍멍이", "이")`` → ``"멍멍이가"``: the particle may be given in
either of its two forms. The last character decides:

- a Hangul syllable: its 받침 (any 받침 picks the first form; for 으로/로 a ㄹ
  받침 picks 로, as in 서울로);
- a digit: its Sino-Korean reading, taking trailing zeros as the unit that is
  read last (3 → 삼 → 을, 10 → 십 → 을, 100 → 백, 1000 → 천, 10000 → 만, 1억 …);
- a Latin letter: its usual Korean letter name (L 엘, M 엠, N 엔, R 알 have a
  받침; A 에이, B 비 … do not). Whole English words are not guessed at.

Closing quotes and brackets are looked through ("(주)" → 주). When the last
sounding character is none of these (other punctuation, an empty noun), the
combined form is used, as Korean software customarily prints it: 이(가),
은(는), (으)로.
"""

from __future__ import annotations

__all__ = ["attach_josa", "final_consonant"]

_HANGUL_FIRST = 0xAC00
_HANGUL_LAST = 0xD7A3
_RIEUL = 8  # index of ㄹ among the 28 final-consonant slots (0 = none)

# (after a final consonant, after a vowel)
_PAIRS: tuple[tuple[str, str], ...] = (
    ("이", "가"),
    ("은", "는"),
    ("을", "를"),
    ("과", "와"),
    ("아", "야"),
    ("이여", "여"),
    ("이랑", "랑"),
    ("이나", "나"),
    ("이라", "라"),
    ("이란", "란"),
    ("이며", "며"),
    ("이다", "다"),
    ("이든", "든"),
    ("이든지", "든지"),
    ("으로", "로"),
    ("으로서", "로서"),
    ("으로써", "로써"),
    ("으로부터", "로부터"),
)
_PAIR_OF: dict[str, tuple[str, str]] = {form: pair for pair in _PAIRS for form in pair}

# Final consonant slot of each digit's reading: 영 일 이 삼 사 오 육 칠 팔 구.
_DIGIT_FINAL = {"0": 21, "1": 8, "2": 0, "3": 16, "4": 0, "5": 0, "6": 1, "7": 8, "8": 8, "9": 0}
# Units read last when a number ends in zeros: 십 백 천 만 (십만 백만 천만 end in 만) 억 … 조.
# Beyond 억 the units are 조 (no 받침) up to the rare 경, so the default is none.
_UNIT_FINAL = {1: 17, 2: 1, 3: 4, 4: 4, 5: 4, 6: 4, 7: 4, 8: 1, 9: 1, 10: 1, 11: 1}
# Letters whose Korean names end in a consonant: 엘 엠 엔 알.
_LETTER_FINAL = {"l": 8, "m": 16, "n": 4, "r": 8}
# Closing quotes, brackets and spaces are not pronounced: the sound before them decides.
_LOOK_THROUGH = ")]}>\"'”’」』》〉） \t"


def final_consonant(noun: str) -> int | None:
    """Index (0-27, 0 = none, 8 = ㄹ) of the 받침 the noun ends in, None if unknown."""
    noun = noun.rstrip(_LOOK_THROUGH)
    if not noun:
        return None
    last = noun[-1]
    code = ord(last)
    if _HANGUL_FIRST <= code <= _HANGUL_LAST:
        return (code - _HANGUL_FIRST) % 28
    if last.isascii() and last.isdigit():
        number = noun.replace(",", "")
        digits = number[len(number.rstrip("0123456789")) :]
        stripped = digits.rstrip("0")
        zeros = len(digits) - len(stripped)
        if zeros and stripped:
            return _UNIT_FINAL.get(zeros, 0)
        return _DIGIT_FINAL[last]
    if last.isascii() and last.isalpha():
        return _LETTER_FINAL.get(last.lower(), 0)
    return None


def attach_josa(noun: str, particle: str) -> str:
    """The noun followed by the form of `particle` that fits its last sound."""
    pair = _PAIR_OF.get(particle)
    if pair is None:
        return noun + particle
    with_final, without_final = pair
    final = final_consonant(noun)
    if final is None:
        if with_final.startswith("으"):
            return noun + "(으)" + without_final
        return noun + with_final + "(" + without_final + ")"
    if with_final.startswith("으"):
        return noun + (with_final if final not in (0, _RIEUL) else without_final)
    return noun + (with_final if final else without_final)
