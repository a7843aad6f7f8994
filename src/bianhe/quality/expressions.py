"""Validation rules (审核规则): a small expression language, parsed safely.

A rule compares two arithmetic expressions over indicator codes, for example
``EXPORT + IMPORT == TRADE_TOTAL`` or ``abs(yoy(GDP)) <= 50%``. Rules are typed by
administrators on a web form, so the text is never handed to ``eval``: a tokenizer and a
recursive-descent parser build a tree of small frozen dataclasses, and every error carries the
offset of the token it is about, so that the form can put a caret under it.

The input is hostile until proven otherwise: its length, its number of tokens and its nesting
are bounded, and the parser counts its depth as it descends, so deeply nested text is refused
long before Python's recursion limit. The grammar, the functions and the limits are documented
in docs/quality-rules.md.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

# --- limits --------------------------------------------------------------------------------
MAX_LENGTH = 1000  # characters of rule text
MAX_TOKENS = 300
MAX_DEPTH = 20  # parentheses + function calls + unary minus, nested
MAX_TIME_DEPTH = 3  # prev / last_year / yoy / ytd, nested

COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
TIME_FUNCTIONS = ("prev", "last_year", "yoy", "ytd")
FUNCTIONS = ("abs", "min", "max", "sum", *TIME_FUNCTIONS)

# Characters that people type for an operator the language spells in ASCII.
_LOOKALIKES = {"≤": "<=", "≥": ">=", "≠": "!=", "×": "*", "÷": "/", "−": "-", "–": "-",
               "【": "[", "】": "]", "、": ","}


class RuleError(ValueError):
    """A rule the parser refuses: a machine ``code``, the ``position`` and ``token`` it is
    about in the normalised ``text``, and a translated ``message``."""

    def __init__(self, code: str, message: str, *, position: int, token: str, text: str):
        super().__init__(message)
        self.code = code
        self.message = message
        self.position = position
        self.token = token
        self.text = text

    def __str__(self) -> str:
        return self.message

    def pointer(self) -> str:
        """The text and, under it, a caret at the position (wide characters count twice)."""
        width = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1
                    for c in self.text[: self.position])
        return f"{self.text}\n{' ' * width}^"


# --- the tree ------------------------------------------------------------------------------
# Precedence for rendering: a child binding less tightly than its parent gets parentheses.
_ADDITIVE, _MULTIPLICATIVE, _UNARY, _ATOM = 1, 2, 3, 4


@dataclass(frozen=True)
class Number:
    """A constant. ``literal`` keeps the spelling (``50%``) for the canonical text."""

    value: float
    literal: str = field(default="", compare=False)

    precedence = _ATOM

    def render(self) -> str:
        if self.literal:
            return self.literal
        if not math.isfinite(self.value):
            return repr(self.value)
        if self.value == int(self.value) and abs(self.value) < 1e15:
            return str(int(self.value))
        return format(Decimal(repr(self.value)), "f")


@dataclass(frozen=True)
class Ref:
    """An indicator's value: the only member "" of an indicator without a breakdown, or one
    member of a breakdown (``TRADE_BY_PARTNER[RU]``)."""

    code: str
    member: str = ""

    precedence = _ATOM

    def render(self) -> str:
        return f"{self.code}[{self.member}]" if self.member else self.code


@dataclass(frozen=True)
class Sum:
    """The total of a broken-down indicator: the sum over the members that have values."""

    code: str

    precedence = _ATOM

    def render(self) -> str:
        return f"sum({self.code})"


@dataclass(frozen=True)
class Unary:
    op: str
    operand: Node

    precedence = _UNARY

    def render(self) -> str:
        inner = self.operand.render()
        if self.operand.precedence < _UNARY:
            inner = f"({inner})"
        return f"{self.op}{inner}"


@dataclass(frozen=True)
class Binary:
    op: str
    left: Node
    right: Node

    @property
    def precedence(self) -> int:
        return _ADDITIVE if self.op in "+-" else _MULTIPLICATIVE

    def render(self) -> str:
        # The right operand keeps its parentheses at equal precedence: a - (b - c) differs
        # from a - b - c, and a + (b + c) is kept as written.
        left, right = self.left.render(), self.right.render()
        if self.left.precedence < self.precedence:
            left = f"({left})"
        if self.right.precedence <= self.precedence:
            right = f"({right})"
        return f"{left} {self.op} {right}"


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]

    precedence = _ATOM

    def render(self) -> str:
        return f"{self.name}({', '.join(arg.render() for arg in self.args)})"


Node = Number | Ref | Sum | Unary | Binary | Call


@dataclass(frozen=True)
class ParsedRule:
    """A parsed rule: ``left op right`` with what it reads.

    ``text`` is the canonical rendering; ``years_back`` bounds the whole years of history
    needed before the checked period (each nested prev, last_year or yoy adds one).
    """

    text: str
    left: Node
    op: str
    right: Node
    indicators: frozenset[str]
    years_back: int


# --- tokens --------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Token:
    kind: str  # number, code, name, word, op, cmp, "%", "(", ")", "[", "]", ",", end
    text: str
    position: int


_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CODE = re.compile(r"[A-Z][A-Z0-9_]*")
_BAD_NUMBER = re.compile(r"[0-9A-Za-z_.]+")
_PUNCTUATION = {"+": "op", "-": "op", "*": "op", "/": "op", "%": "%", "(": "(", ")": ")",
                "[": "[", "]": "]", ",": ","}


def normalise(text: str) -> str:
    """Full-width ASCII (what Chinese input methods type) to ASCII, any whitespace to a
    space. Each character maps to one character, so positions stay valid."""
    out = []
    for char in text:
        point = ord(char)
        if 0xFF01 <= point <= 0xFF5E:
            out.append(chr(point - 0xFEE0))
        elif char.isspace():
            out.append(" ")
        else:
            out.append(char)
    return "".join(out)


class _Scanner:
    def __init__(self, text: str):
        self.text = text

    def fail(self, code: str, message: str, position: int, token: str) -> RuleError:
        return RuleError(code, message, position=position, token=token, text=self.text)

    def tokens(self) -> list[_Token]:
        text, i, found = self.text, 0, []
        while i < len(text):
            char = text[i]
            if char == " ":
                i += 1
                continue
            token = self.next_token(i)
            found.append(token)
            if len(found) > MAX_TOKENS:
                raise self.fail("too_long", _("The rule has more than %(limit)s parts "
                                              "(numbers, codes and operators).")
                                % {"limit": MAX_TOKENS}, token.position, token.text)
            i = token.position + len(token.text)
        found.append(_Token("end", "", len(text)))
        return found

    def next_token(self, i: int) -> _Token:
        text, char = self.text, self.text[i]
        following = text[i + 1] if i + 1 < len(text) else ""
        if "0" <= char <= "9" or (char == "." and "0" <= following <= "9"):
            return self.number(i)
        if char.isascii() and (char.isalpha() or char == "_"):
            word = _WORD.match(text, i).group()
            # Upper case is an indicator, lower case a function; anything else (Gdp) is
            # looked up as a code so that the message can suggest the capitals.
            kind = "code" if _CODE.fullmatch(word) else "name" if word.islower() else "word"
            return _Token(kind, word, i)
        pair = text[i:i + 2]
        if pair in ("==", "!=", "<=", ">="):
            return _Token("cmp", pair, i)
        if pair in ("<>", "=<", "=>"):
            suggestion = {"<>": "!=", "=<": "<=", "=>": ">="}[pair]
            raise self.fail("syntax", _("%(token)s is not an operator; write %(suggestion)s.")
                            % {"token": pair, "suggestion": suggestion}, i, pair)
        if char in "<>":
            return _Token("cmp", char, i)
        if char == "=":
            raise self.fail("syntax", _("A single = does not compare; write == for equality."),
                            i, char)
        if char == "!":
            raise self.fail("syntax", _("%(token)s is not an operator; write %(suggestion)s.")
                            % {"token": "!", "suggestion": "!="}, i, char)
        if char in _PUNCTUATION:
            return _Token(_PUNCTUATION[char], char, i)
        if char in _LOOKALIKES:
            raise self.fail("unexpected_character",
                            _("Unexpected character %(char)s; write %(suggestion)s.")
                            % {"char": char, "suggestion": _LOOKALIKES[char]}, i, char)
        raise self.fail("unexpected_character", _("Unexpected character %(char)s.")
                        % {"char": _visible(char)}, i, char)

    def number(self, i: int) -> _Token:
        text = self.text
        match = _NUMBER.match(text, i)
        end = match.end() if match else i
        after = text[end] if end < len(text) else ""
        if match and after == "," and "0" <= text[end + 1:end + 2] <= "9":
            raise self.fail("bad_number", _("Write numbers without thousands separators "
                                            "(commas)."), end, ",")
        if not match or after == "." or (after.isascii() and (after.isalnum() or after == "_")):
            run = _BAD_NUMBER.match(text, i).group()
            raise self.fail("bad_number", _("%(token)s is not a number; write digits with an "
                                            "optional decimal part, such as 12 or 0.5.")
                            % {"token": _shorten(run)}, i, run)
        literal = match.group()
        if not math.isfinite(float(literal)):
            raise self.fail("bad_number", _("The number %(number)s is too large.")
                            % {"number": _shorten(literal)}, i, literal)
        return _Token("number", literal, i)


def _visible(char: str) -> str:
    """A character as a message can show it: invisible ones by their code point."""
    if unicodedata.category(char)[0] in "CZ":
        return f"U+{ord(char):04X}"
    return char


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- the parser ----------------------------------------------------------------------------
class _Parser:
    """Recursive descent over the token list, one method per grammar rule.

    ``depth`` counts the open parentheses, calls and unary minus signs on the way down and
    stops at MAX_DEPTH, so the Python stack never grows with the input.
    """

    def __init__(self, text: str, tokens: list[_Token], indicators: Mapping[str, Sequence[str]]):
        self.text = text
        self.tokens = tokens
        self.indicators = indicators
        self.i = 0
        self.depth = 0
        self.time_depth = 0

    # helpers
    def fail(self, code: str, message: str, token: _Token) -> RuleError:
        return RuleError(code, message, position=token.position, token=token.text,
                         text=self.text)

    def peek(self) -> _Token:
        return self.tokens[self.i]

    def advance(self) -> _Token:
        token = self.tokens[self.i]
        if token.kind != "end":
            self.i += 1
        return token

    def expect(self, kind: str) -> _Token:
        token = self.peek()
        if token.kind != kind:
            raise self.unexpected(token, kind)
        return self.advance()

    def unexpected(self, token: _Token, expected: str) -> RuleError:
        """The error for ``token`` where the symbol ``expected`` (")", ", or )") belongs."""
        if token.kind == "end":
            return self.fail("unexpected_end", _("The rule ends too early; expected "
                                                 "%(expected)s.") % {"expected": expected},
                             token)
        return self.fail("unexpected_token", _("Unexpected %(token)s; expected %(expected)s.")
                         % {"token": _shorten(token.text), "expected": expected}, token)

    def enter(self, token: _Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail("too_deep", _("The rule is nested more than %(limit)s levels deep.")
                            % {"limit": MAX_DEPTH}, token)

    # grammar
    def rule(self) -> ParsedRule:
        left = self.expr()
        compare = self.peek()
        if compare.kind != "cmp":
            if compare.kind == "end":
                raise self.fail("comparison_required",
                                _("A rule compares two sides with ==, !=, <, <=, > or >=."),
                                compare)
            raise self.fail("unexpected_token", _("Unexpected %(token)s; expected an operator "
                                                  "or a comparison.")
                            % {"token": _shorten(compare.text)}, compare)
        self.advance()
        right = self.expr()
        extra = self.peek()
        if extra.kind == "cmp":
            raise self.fail("unexpected_token", _("A rule has only one comparison; "
                                                  "%(token)s is a second one.")
                            % {"token": _shorten(extra.text)}, extra)
        if extra.kind != "end":
            raise self.fail("unexpected_token", _("Unexpected %(token)s; expected an operator "
                                                  "or the end of the rule.")
                            % {"token": _shorten(extra.text)}, extra)
        codes = _codes(left) | _codes(right)
        if not codes:
            raise self.fail("no_indicator", _("The rule names no indicator, so it would "
                                              "always or never hold."), compare)
        if left.render() == right.render():
            raise self.fail("same_sides", _("Both sides are the same, so the rule would "
                                            "always or never hold."), compare)
        return ParsedRule(text=f"{left.render()} {compare.text} {right.render()}", left=left,
                          op=compare.text, right=right, indicators=frozenset(codes),
                          years_back=max(_years_back(left), _years_back(right)))

    def expr(self) -> Node:
        start = self.peek()
        node = self.term()
        while self.peek().kind == "op" and self.peek().text in "+-":
            op = self.advance().text
            node = self.folded(Binary(op, node, self.term()), start)
        return node

    def term(self) -> Node:
        start = self.peek()
        node = self.unary()
        while self.peek().kind == "op" and self.peek().text in "*/":
            op = self.advance().text
            divisor_token = self.peek()
            divisor = self.unary()
            if op == "/" and _constant(divisor) == 0:
                raise self.fail("division_by_zero", _("Division by zero: the divisor is "
                                                      "always 0."), divisor_token)
            node = self.folded(Binary(op, node, divisor), start)
        return node

    def folded(self, node: Binary, start: _Token) -> Binary:
        """Refuse a constant part that overflows (its value would be inf or nan)."""
        value = _constant(node)
        if value is not None and not math.isfinite(value):
            raise self.fail("bad_number", _("The constant %(expression)s is too large.")
                            % {"expression": _shorten(node.render())}, start)
        return node

    def unary(self) -> Node:
        token = self.peek()
        if token.kind == "op" and token.text == "-":
            self.advance()
            self.enter(token)
            operand = self.unary()
            self.depth -= 1
            return Unary("-", operand)
        return self.primary()

    def primary(self) -> Node:
        token = self.peek()
        if token.kind == "number":
            self.advance()
            if self.peek().kind == "%":
                self.advance()
                return Number(float(token.text) / 100, token.text + "%")
            return Number(float(token.text), token.text)
        if token.kind in ("code", "word"):
            return self.reference()
        if token.kind == "name":
            return self.call()
        if token.kind == "(":
            self.advance()
            self.enter(token)
            node = self.expr()
            self.expect(")")
            self.depth -= 1
            return node
        if token.kind == "end":
            raise self.fail("unexpected_end", _("The rule ends too early; expected a number, "
                                                "an indicator code, a function or (."), token)
        raise self.fail("unexpected_token", _("Unexpected %(token)s; expected a number, an "
                                              "indicator code, a function or (.")
                        % {"token": _shorten(token.text)}, token)

    def known_code(self, token: _Token) -> str:
        code = token.text
        if token.kind != "code" or code not in self.indicators:
            upper = code.upper()
            if upper != code and upper in self.indicators:
                raise self.fail("unknown_indicator",
                                _("Unknown indicator %(code)s; indicator codes are written in "
                                  "capitals: %(suggestion)s.")
                                % {"code": _shorten(code), "suggestion": upper}, token)
            raise self.fail("unknown_indicator", _("Unknown indicator %(code)s.")
                            % {"code": _shorten(code)}, token)
        return code

    def reference(self) -> Node:
        token = self.advance()
        code = self.known_code(token)
        members = list(self.indicators[code])
        if self.peek().kind != "[":
            if members:
                raise self.fail("breakdown_required",
                                _("%(code)s has a breakdown; write sum(%(code)s) for its total "
                                  "or %(code)s[%(member)s] for one member.")
                                % {"code": code, "member": members[0]}, token)
            return Ref(code)
        bracket = self.advance()
        if not members:
            raise self.fail("no_breakdown", _("%(code)s has no breakdown, so it takes no "
                                              "[member].") % {"code": code}, bracket)
        member = self.peek()
        if member.kind == "end":
            raise self.fail("unexpected_end", _("The rule ends too early; expected a member "
                                                "code."), member)
        if member.kind not in ("code", "name", "word", "number"):
            raise self.fail("unexpected_token",
                            _("Unexpected %(token)s; expected a member code.")
                            % {"token": _shorten(member.text)}, member)
        self.advance()
        if member.text not in members:
            raise self.fail("unknown_member", _("%(code)s has no member %(member)s; its "
                                                "members are %(members)s.")
                            % {"code": code, "member": _shorten(member.text),
                               "members": ", ".join(members)}, member)
        self.expect("]")
        return Ref(code, member.text)

    def call(self) -> Node:
        token = self.advance()
        name = token.text
        if name not in FUNCTIONS:
            if name.upper() in self.indicators:
                raise self.fail("unknown_function",
                                _("Unknown function %(name)s; indicator codes are written in "
                                  "capitals: %(code)s.")
                                % {"name": _shorten(name), "code": name.upper()}, token)
            raise self.fail("unknown_function", _("Unknown function %(name)s; the functions "
                                                  "are %(functions)s.")
                            % {"name": _shorten(name), "functions": ", ".join(FUNCTIONS)}, token)
        self.expect("(")
        self.enter(token)
        timed = name in TIME_FUNCTIONS
        if timed:
            self.time_depth += 1
            if self.time_depth > MAX_TIME_DEPTH:
                raise self.fail("too_deep", _("More than %(limit)s time functions (prev, "
                                              "last_year, yoy, ytd) are nested.")
                                % {"limit": MAX_TIME_DEPTH}, token)
        node = self.sum_of() if name == "sum" else Call(name, self.arguments(name))
        self.depth -= 1
        if timed:
            self.time_depth -= 1
        return node

    def arguments(self, name: str) -> tuple[Node, ...]:
        args: list[Node] = []
        starts: list[_Token] = []
        if self.peek().kind != ")":
            starts.append(self.peek())
            args.append(self.expr())
            while self.peek().kind == ",":
                self.advance()
                starts.append(self.peek())
                args.append(self.expr())
        close = self.peek()
        if close.kind != ")":
            raise self.unexpected(close, ", or )")
        if name in ("min", "max"):
            if len(args) < 2:
                raise self.fail("wrong_arguments", _("%(name)s() takes two or more "
                                                     "arguments.") % {"name": name}, close)
        elif len(args) != 1:
            where = starts[1] if args else close
            raise self.fail("wrong_arguments", _("%(name)s() takes one argument.")
                            % {"name": name}, where)
        self.advance()
        return tuple(args)

    def sum_of(self) -> Sum:
        """sum(CODE): the argument is a bare code with a breakdown, not an expression."""
        token = self.peek()
        following = self.tokens[self.i + 1] if token.kind != "end" else token
        if token.kind in ("code", "word") and (following.kind == ")"
                                               or token.text not in self.indicators):
            code = self.known_code(token)
            if following.kind == ")":
                if not self.indicators[code]:
                    raise self.fail("no_breakdown", _("%(code)s has no breakdown; sum() adds "
                                                      "up the members of a breakdown.")
                                    % {"code": code}, token)
                self.advance()
                self.advance()
                return Sum(code)
        if token.kind == "end":
            raise self.unexpected(token, ")")
        raise self.fail("wrong_arguments", _("sum() takes a single indicator code, of an "
                                             "indicator with a breakdown."), token)


# --- facts about a tree --------------------------------------------------------------------
def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Call):
        return node.args
    return ()


def _codes(node: Node) -> set[str]:
    found = {node.code} if isinstance(node, Ref | Sum) else set()
    for child in _children(node):
        found |= _codes(child)
    return found


def _years_back(node: Node) -> int:
    below = max((_years_back(child) for child in _children(node)), default=0)
    if isinstance(node, Call) and node.name in ("prev", "last_year", "yoy"):
        return below + 1
    return below


def _constant(node: Node) -> float | None:
    """The value of a part without indicators, or None. Time functions are not folded (a
    constant's ytd depends on the period)."""
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Unary):
        value = _constant(node.operand)
        return None if value is None else -value
    if isinstance(node, Binary):
        left, right = _constant(node.left), _constant(node.right)
        if left is None or right is None:
            return None
        if node.op == "+":
            return left + right
        if node.op == "-":
            return left - right
        if node.op == "*":
            return left * right
        return left / right if right != 0 else math.nan
    if isinstance(node, Call) and node.name in ("abs", "min", "max"):
        values = [_constant(arg) for arg in node.args]
        if any(value is None for value in values):
            return None
        return {"abs": lambda v: abs(v[0]), "min": min, "max": max}[node.name](values)
    return None


# --- entry point ---------------------------------------------------------------------------
def parse_rule(text: str, *, indicators: Mapping[str, Sequence[str]]) -> ParsedRule:
    """Parse a rule against the known indicators (code -> its breakdown's member codes, empty
    for an indicator without a breakdown). Raises RuleError."""
    text = normalise(text)
    if len(text) > MAX_LENGTH:
        raise RuleError("too_long", _("The rule is longer than %(limit)s characters.")
                        % {"limit": MAX_LENGTH}, position=MAX_LENGTH,
                        token=text[MAX_LENGTH], text=text)
    if not text.strip():
        raise RuleError("empty", _("The rule is empty."), position=0, token="", text=text)
    tokens = _Scanner(text).tokens()
    return _Parser(text, tokens, indicators).rule()
