"""The one shared Jinja environment: autoescape on, gettext reading the request's language."""

from __future__ import annotations

import functools
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import markupsafe
from jinja2 import Environment, FileSystemLoader, nodes, pass_eval_context, select_autoescape
from jinja2.compiler import CodeGenerator, Frame
from jinja2.nodes import EvalContext
from markupsafe import Markup, escape

from accord import i18n
from accord.settings import Settings

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


_DICT_ATTRIBUTES = frozenset(dir(dict))
GROUPED_FROM = 3  # pieces in a run of output joined before one yield (two yields cost about what a join does)


# markupsafe's escaping of a plain text, without making a Markup of it (its C function; escape() itself is
# Python around it). Should a release drop the name, the public escape() does the same, slower.
_escape_text = getattr(markupsafe, "_escape_inner", None) or (lambda text: str(escape(text)))


def escape_output(value: Any) -> str:
    """What `{{ value }}` writes where output is escaped: the text escape() gives, as a plain string (what a
    template writes is only ever joined into the page). A page writes hundreds of values (the case page 300),
    and escape() making a Markup of each was a tenth of the case page's time: texts, numbers and markup go
    straight through here, everything else through escape()."""
    kind = type(value)
    if kind is str:
        return _escape_text(value)
    if kind is Markup:
        return value
    if kind is int:
        return str(value)
    return escape(value)


class _CodeGenerator(CodeGenerator):
    """Compiles `_(…)` into a plain call of the environment's `_` with the template's evaluation context. Jinja
    calls every function through `context.call`, which first inspects the callee for what it wants passed (the
    context, the evaluation context or the environment); a page says dozens of `_()`, and on the case page that
    inspection cost about a tenth of rendering (0.76 -> 0.68 ms a render, one process, old and new in turn). The
    function and what it is given are the same: `gettext` below, which asks for the evaluation context.

    Where output is always escaped, `{{ value }}` compiles to `escape_output(value)` instead of escape()."""

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: CodeGenerator._FinalizeInfo) -> None:
        if frame.eval_ctx.volatile or not frame.eval_ctx.autoescape:
            super()._output_child_pre(node, frame, finalize)
            return
        self.write("environment.escape_output(")
        if finalize.src is not None:
            self.write(finalize.src)

    def visit_Output(self, node: nodes.Output, frame: Frame) -> None:
        """A run of output (text and `{{ }}` between two tags) yielded as one piece, not piece by piece: each
        piece a page yields passes through the generators of its block, its template and the one it extends,
        and the case page yielded ~500 (about 1.5% of its time). Inside macros and filter blocks, where Jinja
        collects into a list anyway, and in templates whose parent is known only at run time, as Jinja does."""
        if frame.buffer is not None or frame.require_output_check or len(node.nodes) < GROUPED_FROM:
            super().visit_Output(node, frame)
            return
        frame.buffer = self.temporary_identifier()
        self.writeline(f"{frame.buffer} = []")
        super().visit_Output(node, frame)
        self.writeline(f"yield concat({frame.buffer})")
        frame.buffer = None

    def visit_Call(self, node: nodes.Call, frame: Frame, forward_caller: bool = False) -> None:
        if forward_caller or not (isinstance(node.node, nodes.Name) and node.node.name == "_"):
            super().visit_Call(node, frame, forward_caller=forward_caller)
            return
        self.write("environment.globals['_'](context.eval_ctx")
        self.signature(node, frame)
        self.write(")")


class _Environment(Environment):
    """Jinja's environment, reading a dict's keys as attributes (`case.reference`) straight away: Jinja first asks
    for an attribute of that name, and the error it then catches cost the case page more than its queries. The
    result is the same: a plain dict has no attribute but dict's own (`form.get` is still the method)."""

    code_generator_class = _CodeGenerator
    escape_output = staticmethod(escape_output)

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


def create_environment(settings: Settings) -> Environment:
    env = _Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        auto_reload=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(gettext=i18n.gettext, ngettext=i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["_"] = gettext  # what the extension's `_` does, without its two extra calls through the context
    # Filters, not globals: Jinja calls a global through its context (the case page calls these for every message
    # and event, and that call cost more than what they do).
    env.filters["speaker"] = speaker
    env.filters["time_tag"] = lambda value, style="medium": _time_tag(
        value, i18n.shown_zone(settings.timezone), style, i18n.current_language()  # type: ignore[arg-type]
    )
    # Times in the zone of whoever reads: the viewer of a page, the recipient of a mail (i18n.shown_zone).
    env.filters["datetime"] = lambda value, style="medium": i18n.format_datetime(
        value, i18n.shown_zone(settings.timezone), style  # type: ignore[arg-type]
    )
    env.filters["date"] = i18n.format_date
    env.filters["date_of"] = lambda moment: (
        i18n.format_date(moment.astimezone(i18n.shown_zone(settings.timezone)).date()) if moment else ""
    )
    # A deadline: medium date and time in the reader's zone, the zone named (never the US short form)
    env.filters["moment"] = lambda value: (
        i18n.format_moment(value, i18n.shown_zone(settings.timezone)) if value else ""
    )
    env.filters["country"] = i18n.country_name
    env.filters["money"] = i18n.format_money
    env.filters["file_size"] = i18n.format_file_size
    env.globals["languages"] = i18n.LANGUAGES
    env.globals["label"] = i18n.label
    env.globals["format_moment"] = i18n.format_moment  # a time in a given zone (the viewer's), the zone named
    env.globals["current_language"] = i18n.current_language
    env.globals["names_for_reader"] = i18n.names_for_reader  # an enterprise's name in the reader's language
    # The action forms' macros, made once: a page that imported them made their template's module on every view
    # (with its context), or compared the globals of both templates (without); about 2% of a case page.
    env.globals["forms"] = env.get_template("actions.html").module
    return env


@pass_eval_context
def gettext(eval_context: EvalContext, message: str, **variables: object) -> str:
    """`_()` in templates, as Jinja's new-style gettext has it: the translation is a format string (also without
    variables: "%%" is a percent sign), trusted where output is escaped, its variables escaped into it. A page
    says dozens of these (issue 14 §6: they were a fifth of rendering the case page), most without variables:
    those are formatted once per language."""
    if not variables:
        return _plain_text(i18n.current_language(), message, eval_context.autoescape)
    translated = i18n.gettext(message)
    return (Markup(translated) if eval_context.autoescape else translated) % variables


@functools.lru_cache(maxsize=4096)
def _plain_text(language: str, message: str, autoescape: bool) -> str:
    """A translation without variables as `_()` gives it (`language` is the request's, in the key only)."""
    translated = i18n.gettext(message)
    return (Markup(translated) if autoescape else translated) % {}


def speaker(name: str, role: str, enterprise: str | None = None, platform: str | None = None) -> Markup:
    """Who spoke or acted, with their part in the case; an agent also with the enterprise they speak for (a
    function, not a macro: the case page names one for every message, most of them the same few people)."""
    behalf = enterprise if role == "merchant" else platform if role == "platform" else None
    return _speaker(i18n.current_language(), name, role, behalf)


@functools.lru_cache(maxsize=8192)
def _time_tag(value: datetime, zone: ZoneInfo, style: str, language: str) -> Markup:
    """A moment as pages show it: the reader's time in words, the moment itself for machines (`language` is the
    request's: format_datetime reads it, and it belongs in the key)."""
    return Markup('<time datetime="%s">%s</time>') % (value.isoformat(), i18n.format_datetime(value, zone, style))


@functools.lru_cache(maxsize=4096)
def _speaker(language: str, name: str, role: str, behalf: str | None) -> Markup:
    part = escape(i18n.label("speaker", role)) + (" · " + escape(behalf) if behalf else "")
    return Markup(f'<strong>{escape(name)}</strong> <span class="role">({part})</span>')
