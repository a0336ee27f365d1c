from __future__ import annotations

import pytest

from flowbot.template.josa import attach_josa, final_consonant


@pytest.mark.parametrize(
    ("noun", "particle", "expected"),
    [
        ("멍멍이", "이", "멍멍이가"),
        ("떡볶이", "을", "떡볶이를"),
        ("책", "가", "책이"),
        ("사과", "은", "사과는"),
        ("바람", "는", "바람은"),
        ("고양이", "과", "고양이와"),
        ("빵", "와", "빵과"),
        ("철수", "아", "철수야"),
        ("길동", "야", "길동아"),
        ("친구", "이여", "친구여"),
        ("동생", "랑", "동생이랑"),
        ("커피", "이나", "커피나"),
        ("서울", "으로", "서울로"),  # ㄹ받침 takes 로
        ("부산", "로", "부산으로"),
        ("학교", "으로", "학교로"),
    ],
)
def test_hangul_nouns(noun: str, particle: str, expected: str) -> None:
    assert attach_josa(noun, particle) == expected


@pytest.mark.parametrize(
    ("noun", "particle", "expected"),
    [
        ("1", "이", "1이"),  # 일
        ("2", "이", "2가"),  # 이
        ("3", "을", "3을"),  # 삼
        ("6", "은", "6은"),  # 육
        ("9", "를", "9를"),  # 구
        ("10", "가", "10이"),  # 십
        ("100", "가", "100이"),  # 백
        ("1,000", "가", "1,000이"),  # 천
        ("7", "로", "7로"),  # 칠: ㄹ
        ("3", "로", "3으로"),  # 삼
        ("0", "가", "0이"),  # 영
    ],
)
def test_numbers_read_in_korean(noun: str, particle: str, expected: str) -> None:
    assert attach_josa(noun, particle) == expected


@pytest.mark.parametrize(
    ("noun", "particle", "expected"),
    [
        ("URL", "을", "URL을"),  # 엘
        ("CLOSER", "가", "CLOSER이"),  # 알
        ("PDF", "를", "PDF를"),  # 에프
        ("KT", "은", "KT는"),  # 티
        ("LG", "가", "LG가"),  # 지
        ("BMW", "을", "BMW를"),  # 더블유
        ("SNS", "으로", "SNS로"),  # 에스
    ],
)
def test_latin_letters_read_by_their_korean_names(noun: str, particle: str, expected: str) -> None:
    assert attach_josa(noun, particle) == expected


def test_undecidable_last_character_gets_the_combined_form() -> None:
    assert attach_josa("...", "이") == "...이(가)"
    assert attach_josa("", "을") == "을(를)"
    assert attach_josa("?!", "으로") == "?!(으)로"


def test_closing_quotes_and_brackets_are_looked_through() -> None:
    assert attach_josa("(주)", "이") == "(주)가"
    assert attach_josa('"떡볶이"', "을") == '"떡볶이"를'
    assert attach_josa("「책」 ", "은") == "「책」 은"


def test_unknown_particles_are_appended_as_given() -> None:
    assert attach_josa("철수", "님") == "철수님"


def test_final_consonant_indices() -> None:
    assert final_consonant("가") == 0
    assert final_consonant("각") == 1
    assert final_consonant("갈") == 8
    assert final_consonant("!") is None
