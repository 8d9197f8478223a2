"""The guide's content files: both languages say the same things (only the words differ), and a file that names
something it does not define is refused when it is read."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import pytest

from accord.i18n import LANGUAGES
from guide.content import CONTENT_DIR, FILE_OF_LANGUAGE, GUIDED, GuideContent, read


def shape(content: GuideContent) -> dict[str, Any]:
    """Everything about the content but its words: keys, options and where each answer leads."""

    def questions(items: Any) -> list[Any]:
        return [
            (q.key, q.kind, q.fills, q.required, [(o.value, o.rights, o.referral) for o in q.options]) for q in items
        ]

    def placeholders(text: str) -> set[str]:
        return {name for _l, name, _s, _c in string.Formatter().parse(text) if name}

    return {
        "common": questions(content.common),
        "rights": {key: len(topic.paragraphs) for key, topic in content.rights.items()},
        "evidence": sorted(content.evidence),
        "referrals": {key: len(referral.contacts) for key, referral in content.referrals.items()},
        "remedies": sorted(content.remedies),
        "categories": {
            category.value: (
                questions(guide.questions),
                guide.rights,
                guide.evidence,
                guide.remedy,
                placeholders(guide.letter.subject),
                placeholders(guide.letter.body),
            )
            for category, guide in content.categories.items()
        },
    }


def test_both_languages_have_the_same_categories_questions_and_outcomes() -> None:
    english, chinese = (read(language) for language in LANGUAGES)
    assert set(english.categories) == set(chinese.categories) == set(GUIDED)
    assert shape(english) == shape(chinese)


@pytest.mark.parametrize(
    ("change", "fault"),
    [
        (('rights = ["delivery_risk", "platform_responsibility"]', 'rights = ["delivery_risk", "moon_law"]'), "moon_law"),
        (('referral = "customs"', 'referral = "the_pope"'), "the_pope"),
        (("(order number {order_number})", "(order number {order_id})"), "order_id"),
        (('value = "partial_refund"', 'value = "vengeance"'), "vengeance"),
        (("[categories.warranty]", "[categories.warranty_x]"), "warranty_x"),
    ],
)
def test_a_broken_file_is_refused_naming_the_fault(tmp_path: Path, change: tuple[str, str], fault: str) -> None:
    text = (CONTENT_DIR / FILE_OF_LANGUAGE["en"]).read_text(encoding="utf-8")
    assert change[0] in text
    (tmp_path / FILE_OF_LANGUAGE["en"]).write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    with pytest.raises(ValueError, match=fault):
        read("en", tmp_path)
