"""The guide's content: one TOML file per language (`guide/content/<catalog folder>.toml`), read and validated
once when the module is imported (a broken file stops the process at start-up, naming what is wrong).

A category's diagnosis asks the common questions (asked in every category) then its own. A choice may lead out
of remit (`referral`: the diagnosis ends there, in the first such answer's referral), add rights topics to the
outcome (`rights`), or stand for a remedy (the question that `fills = "desired_remedy"`). Free-text answers
fill the filing form's field they name (`fills`) and the letter to the merchant (`{order_number}`, ...).
"""

from __future__ import annotations

import string
import tomllib
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from accord.i18n import LANGUAGES
from cases.tables import Category, RemedyType

CONTENT_DIR = Path(__file__).resolve().parent / "content"
FILE_OF_LANGUAGE = {"en": "en.toml", "zh-Hans": "zh_Hans.toml"}
IN_REMIT = "in_remit"  # the outcome of a diagnosis no answer referred elsewhere
# The filing form's fields a free-text answer may fill, with the form's length limits.
TEXT_FIELDS = {"order_number": 100, "product_name": 300, "platform": 200}
# What a letter may name: the text answers and the remedy asked for.
LETTER_FIELDS = frozenset({*TEXT_FIELDS, "remedy"})
Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Text = Annotated[str, Field(min_length=1, max_length=4000)]


class Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(Closed):
    value: Key
    label: Text
    rights: tuple[Key, ...] = ()  # rights topics this answer adds to the outcome
    referral: Key | None = None  # this answer is out of remit: the diagnosis ends in this referral


class Question(Closed):
    key: Key
    text: Text
    hint: str = ""
    kind: Literal["choice", "text"] = "choice"
    options: tuple[Option, ...] = ()
    fills: str | None = None  # the filing form's field the answer fills
    required: bool = True

    @model_validator(mode="after")
    def fits_its_kind(self) -> Question:
        if self.kind == "choice":
            if len(self.options) < 2:
                raise ValueError(f"question {self.key}: a choice offers at least two options")
            if len({option.value for option in self.options}) != len(self.options):
                raise ValueError(f"question {self.key}: an option's value is given twice")
            if self.fills not in (None, "desired_remedy"):
                raise ValueError(f"question {self.key}: a choice fills only desired_remedy")
            if self.fills == "desired_remedy":
                wrong = [o.value for o in self.options if o.value not in RemedyType.__members__]
                if wrong:
                    raise ValueError(f"question {self.key}: {wrong} are no remedies")
        else:
            if self.options:
                raise ValueError(f"question {self.key}: a text question has no options")
            if self.fills is not None and self.fills not in TEXT_FIELDS:
                raise ValueError(f"question {self.key}: fills an unknown field {self.fills}")
        return self

    @property
    def max_length(self) -> int:
        return TEXT_FIELDS.get(self.fills or "", 200)


class Topic(Closed):
    title: Text
    paragraphs: tuple[Text, ...] = Field(min_length=1)


class Referral(Closed):
    title: Text
    paragraphs: tuple[Text, ...] = Field(min_length=1)
    contacts: tuple[Text, ...] = ()  # where to turn: court, arbitration, customs, 12315


class Letter(Closed):
    subject: Text
    body: Text

    @model_validator(mode="after")
    def names_known_fields(self) -> Letter:
        for text in (self.subject, self.body):
            for _literal, name, _spec, _conversion in string.Formatter().parse(text):
                if name is not None and name not in LETTER_FIELDS:
                    raise ValueError(f"the letter names an unknown field {{{name}}}")
        return self


class CategoryGuide(Closed):
    title: Text
    question: Text  # the short question on /guide
    intro: Text
    questions: tuple[Question, ...] = ()
    rights: tuple[Key, ...] = Field(min_length=1)
    evidence: tuple[Key, ...] = Field(min_length=1)
    letter: Letter
    remedy: Key  # the remedy the form offers first

    @model_validator(mode="after")
    def remedy_is_one(self) -> CategoryGuide:
        if self.remedy not in RemedyType.__members__:
            raise ValueError(f"{self.remedy} is no remedy")
        return self


class Chrome(Closed):
    """Words of the outcome that come with the content (what the letter calls an unanswered field)."""

    not_given: Text


class GuideContent(Closed):
    language: str
    common: tuple[Question, ...]
    rights: dict[Key, Topic]
    evidence: dict[Key, Text]
    referrals: dict[Key, Referral]
    remedies: dict[RemedyType, Text]  # how a letter asks for each remedy
    categories: dict[Category, CategoryGuide]
    words: Chrome

    @model_validator(mode="after")
    def everything_named_exists(self) -> GuideContent:
        if self.language not in LANGUAGES:
            raise ValueError(f"unknown language {self.language}")
        missing = {category.value for category in GUIDED} - {category.value for category in self.categories}
        if missing:
            raise ValueError(f"no guide for the categories {sorted(missing)}")
        if IN_REMIT in self.referrals:
            raise ValueError(f"{IN_REMIT} is the outcome without a referral, not a referral's name")
        for category, guide in self.categories.items():
            questions = (*self.common, *guide.questions)
            keys = [question.key for question in questions]
            if len(set(keys)) != len(keys):
                raise ValueError(f"{category.value}: a question key is used twice")
            self._known(f"{category.value} remedy", (guide.remedy,), self.remedies)
            self._known(f"{category.value} rights", guide.rights, self.rights)
            self._known(f"{category.value} evidence", guide.evidence, self.evidence)
            for question in questions:
                for option in question.options:
                    if question.fills == "desired_remedy":
                        self._known(f"{question.key}={option.value} remedy", (option.value,), self.remedies)
                    self._known(f"{question.key}={option.value} rights", option.rights, self.rights)
                    if option.referral:
                        self._known(f"{question.key}={option.value} referral", (option.referral,), self.referrals)
        return self

    @staticmethod
    def _known(where: str, named: tuple[str, ...], known: dict[Any, Any]) -> None:
        unknown = [name for name in named if name not in known]
        if unknown:
            raise ValueError(f"{where}: unknown {unknown}")

    def questions_of(self, category: Category) -> tuple[Question, ...]:
        return (*self.common, *self.categories[category].questions)


# Every category the filing form knows but "something else", which has no diagnosis of its own.
GUIDED = tuple(category for category in Category if category != Category.other)


def read(language: str, directory: Path = CONTENT_DIR) -> GuideContent:
    """One language's content, validated (ValueError naming the file and the fault)."""
    path = directory / FILE_OF_LANGUAGE[language]
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return GuideContent.model_validate({**data, "language": language})
    except (OSError, tomllib.TOMLDecodeError, ValueError) as error:
        raise ValueError(f"guide content {path.name}: {error}") from None


@cache
def content(language: str) -> GuideContent:
    """The content in `language` (read once)."""
    return read(language)


def load_all() -> dict[str, GuideContent]:
    """Every language's content, read and checked now (start-up)."""
    return {language: content(language) for language in LANGUAGES}
