"""The shared Jinja environment's shortcuts (accord/templating.py) render exactly what plain Jinja renders."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from jinja2 import DictLoader, Environment
from jinja2.compiler import CodeGenerator
from markupsafe import Markup, escape

from accord import i18n
from accord.settings import get_settings
from accord.templating import _Environment, create_environment, escape_output

READS = (
    "{{ row.name }}|{{ row.get('name') }}|{{ row.items }}|{{ row.missing }}|{{ row.missing is defined }}"
    "|{{ row['items'] }}|{{ thing.name }}|{{ row.nested.name }}"
)


class Thing:
    name = "an attribute"


@pytest.mark.parametrize(
    "row",
    [
        {"name": "<b>a column</b>", "items": "a column named like a dict method", "nested": {"name": "inner"}},
        {"name": None, "items": 3, "nested": {}},
        {"nested": {}},
    ],
)
def test_a_dicts_keys_read_as_attributes_as_plain_jinja_reads_them(row: dict[str, object]) -> None:
    ours, plain = (kind(autoescape=True).from_string(READS) for kind in (_Environment, Environment))
    assert ours.render(row=row, thing=Thing()) == plain.render(row=row, thing=Thing())
    if "items" in row:  # `row.items` is still dict's method, as in plain Jinja
        assert "built-in method items" in ours.render(row=row, thing=Thing())


def test_time_tag_and_speaker_filters_name_the_moment_and_the_person_in_the_readers_language() -> None:
    env = create_environment(get_settings())
    moment = datetime(2026, 11, 30, 9, 5, tzinfo=UTC)
    page = env.from_string('{{ at|time_tag("short") }} {{ name|speaker("merchant", "Shop & Co") }}')
    with i18n.speaking("zh-Hans", ZoneInfo("Asia/Shanghai")):
        chinese = page.render(at=moment, name="<Li>")
    english = page.render(at=moment, name="<Li>")
    assert '<time datetime="2026-11-30T09:05:00+00:00">' in chinese and "17:05" in chinese
    assert "&lt;Li&gt;" in chinese and "Shop &amp; Co" in chinese and "商家" in chinese
    assert "商家" not in english and "(merchant · Shop &amp; Co)" in english  # cached per language, not across them


SAYS = (
    "{{ _('Cases') }}|{{ _('%(name)s is typing…', name=who) }}|{{ _('100%% sure') }}"
    "{% for n in [1] %}|{{ _('File %(number)s', number=n) }}{% endfor %}"
    "{% macro m() %}|{{ _('Send') }}{% endmacro %}{{ m() }}"
    "{% autoescape false %}|{{ _('%(name)s is typing…', name=who) }}{% endautoescape %}"
)


@pytest.mark.parametrize("language", ["en", "zh-Hans"])
def test_translations_are_called_straight_and_say_what_jinja_would(language: str) -> None:
    """`_()` compiles to a plain call of the environment's `_` (no `context.call` inspecting it first), and renders
    what Jinja's own call renders: escaped variables, "%%", loops, macros, an autoescape-off block."""
    ours = create_environment(get_settings())
    plain = ours.overlay()
    plain.code_generator_class = CodeGenerator  # Jinja's own compiler, the same functions and filters
    assert "context.call(" not in ours.compile("{{ _('Cases') }}{{ _('File %(number)s', number=1) }}", raw=True)
    with i18n.speaking(language, ZoneInfo("Asia/Shanghai")):
        said = ours.from_string(SAYS).render(who="<Li>")
        assert said == plain.from_string(SAYS).render(who="<Li>")
    assert "&lt;Li&gt;" in said and "|<Li>" in said and "100% sure" in said
    assert ("发送" in said) == (language == "zh-Hans")


class Html:
    def __html__(self) -> str:
        return "<i>safe</i>"

    def __repr__(self) -> str:  # the test's id, the same in every worker
        return "Html()"


VALUES = ["<a href='x'>\"&amp;\"</a>", "", "纠纷 & <案件>", Markup("<b>kept</b>"), 7, -3, True, None, 2.5, Html(), ["<li>"]]
WRITES = (
    "{{ v }}|{{ v|safe }}|{{ v ~ '<' }}|{% set block %}[{{ v }}]{% endset %}{{ block }}"
    "|{% macro m(x) %}({{ x }}){% endmacro %}{{ m(v) }}|{% filter upper %}{{ v }}{% endfilter %}"
    "|{% autoescape false %}{{ v }}{% endautoescape %}|{% autoescape flag %}{{ v }}{% endautoescape %}"
)


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_what_a_template_writes_is_escaped_as_jinja_escapes_it(value: object) -> None:
    """`{{ value }}` compiles to escape_output, not escape(): the same text for every kind of value, in blocks,
    macros, filters and autoescape blocks (constant or not) alike."""
    assert escape_output(value) == str(escape(value))
    ours, plain = _Environment(autoescape=True), Environment(autoescape=True)
    assert "escape_output(" in ours.compile("{{ v }}", raw=True)
    for flag in (True, False):
        written = ours.from_string(WRITES).render(v=value, flag=flag)
        assert written == plain.from_string(WRITES).render(v=value, flag=flag)


def test_a_run_of_output_is_yielded_as_one_piece_and_reads_as_plain_jinjas() -> None:
    """Text and `{{ }}` between two tags come out of the template's generator in one piece (each piece passes
    through the generators of the block, the template and its parent), the page the same as plain Jinja's."""
    sources = {
        "base.html": "<main>{% block body %}{% endblock %}</main>",
        "page.html": '{% extends "base.html" %}{% block body %}{% for row in rows %}'
        '<li id="{{ row.id }}">{{ row.text }} · {{ row.id * 2 }}</li>{% endfor %}{% endblock %}',
    }
    rows = [{"id": 1, "text": "<b>one</b>"}, {"id": 2, "text": "two & more"}]
    ours, plain = (kind(loader=DictLoader(sources), autoescape=True) for kind in (_Environment, Environment))
    pieces = list(ours.get_template("page.html").generate(rows=rows))
    assert "".join(pieces) == plain.get_template("page.html").render(rows=rows)
    assert pieces[1:3] == ['<li id="1">&lt;b&gt;one&lt;/b&gt; · 2</li>', '<li id="2">two &amp; more · 4</li>']
    assert len(list(plain.get_template("page.html").generate(rows=rows))) > len(pieces) + 8
