"""The demo's real input: CPython's help topics and pydoc's own questions.

The corpus is `pydoc_data.topics.topics`, the text `help("if")` shows, keyed
by topic label ("if", "operator-summary", ...). The questions are the keys of
`pydoc.Helper.keywords` and `pydoc.Helper.symbols`; the expected answer of
each is the topic `help(question)` shows, found the way pydoc finds it:

- a keyword's value is a tuple `(topic, related)` or the name of another
  entry (`"elif" -> "if"`, `"and" -> "BOOLEAN"`), followed until a tuple;
- a symbol's value is a string of entry names (`"OPERATORS COMPARISON"`);
  pydoc shows the first and lists the others as related help, so the first
  is the expected answer. The others are kept as `related` topics, reported
  by a second, lenient figure.

Questions pydoc answers without a topic are left out: `True`, `False` and
`None` (pydoc shows the objects' docstrings) and the backquote (its entry
names a topic this Python no longer ships).
"""

from __future__ import annotations

import pydoc
import pydoc_data.topics
import re
import token
from collections.abc import Mapping
from dataclasses import dataclass

#: Text of each help topic, by label.
TOPICS: Mapping[str, str] = pydoc_data.topics.topics


@dataclass(frozen=True)
class Question:
    """One help keyword or symbol and the topic pydoc shows for it.

    Attributes:
        text: the keyword or symbol, as a user types it into `help()`.
        kind: "keyword" or "symbol".
        expected: the label of the topic `help(text)` shows.
        related: other topics the symbol's entry names (symbols only).
    """

    text: str
    kind: str
    expected: str
    related: tuple[str, ...] = ()


def resolve(name: str) -> str | None:
    """The topic label pydoc shows for the entry `name`, or None if it has none."""
    helper = pydoc.Helper
    seen: set[str] = set()
    target: object = name
    while isinstance(target, str):
        if not target or target in seen:
            return None
        seen.add(target)
        target = helper.topics.get(target, helper.keywords.get(target))
    if not isinstance(target, tuple):
        return None
    label = target[0]
    return label if label in TOPICS else None


def questions() -> list[Question]:
    """Every keyword and symbol that pydoc answers with a topic, in pydoc's order."""
    found = []
    for keyword in pydoc.Helper.keywords:
        expected = resolve(keyword)
        if expected is not None:
            found.append(Question(keyword, "keyword", expected))
    for symbol, entries in pydoc.Helper.symbols.items():
        first, *others = entries.split()
        expected = resolve(first)
        if expected is None:
            continue
        related = [resolve(other) for other in others]
        found.append(
            Question(symbol, "symbol", expected, tuple(t for t in related if t))
        )
    return found


# -- Terms: how both the topics and the questions are tokenised -----------------
#
# SQLite's tokenisers drop punctuation, so a search for "%" or "**=" would
# find nothing. Both sides are therefore turned into terms here, before FTS5
# sees them: words stay words (lower case), and each Python operator or
# delimiter becomes one word named after the token Python's own tokeniser
# gives it ("%" -> "sym_percent", "**=" -> "sym_doublestarequal"), longest
# match first. Quotes and the backslash, which are no operator tokens, get
# names of the same kind.
#
# In a topic, a symbol is a term only where it is code: inside an inline
# literal (the topics quote code as "x % y") or on an indented code line.
# The full stops, commas and parentheses of prose, and the "+---+" rules
# and "|" columns of tables, would otherwise drown the few that are code.
# Measured on the demo's questions, this lifts hit@1 from 0.52 to 0.58.

_QUOTES = {
    "'''": "sym_triplequote",
    '"""': "sym_tripledoublequote",
    "'": "sym_quote",
    '"': "sym_doublequote",
    "\\": "sym_backslash",
    "`": "sym_backquote",
}
_SYMBOLS = {
    text: "sym_" + token.tok_name[number].lower()
    for text, number in token.EXACT_TOKEN_TYPES.items()
} | _QUOTES
_TERM = re.compile(
    r"\w+|"
    + "|".join(re.escape(symbol) for symbol in sorted(_SYMBOLS, key=len, reverse=True))
)
_INLINE_LITERAL = re.compile(r'"[^"\n]+"')
_CODE_LINE = re.compile(r"^ {3,}[^ |+]")
_TABLE_RULE = re.compile(r"^ *[+|][-=+|]*$")


def terms(text: str, *, query: bool = False) -> list[str]:
    """The search terms of `text`: lower-case words and named symbols.

    Args:
        query: `text` is a question, all of it code: every symbol is a term.
            Otherwise `text` is a topic, where symbols count only in code.
    """
    if query:
        return _code_terms(text)
    found: list[str] = []
    for line in text.splitlines():
        if _TABLE_RULE.match(line):
            continue
        if _CODE_LINE.match(line):
            found += _code_terms(line)
            continue
        prose_from = 0
        for literal in _INLINE_LITERAL.finditer(line):
            found += _word_terms(line[prose_from : literal.start()])
            found += _code_terms(literal.group()[1:-1])
            prose_from = literal.end()
        found += _word_terms(line[prose_from:])
    return found


def _code_terms(code: str) -> list[str]:
    return [_SYMBOLS.get(piece, piece.lower()) for piece in _TERM.findall(code)]


def _word_terms(prose: str) -> list[str]:
    return [piece.lower() for piece in _TERM.findall(prose) if piece not in _SYMBOLS]


def title_of(text: str) -> str:
    """A topic's heading: its first non-blank line."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""
