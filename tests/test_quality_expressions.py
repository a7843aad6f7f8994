"""The validation rule language: parsing, canonical text, errors and limits (no database)."""

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bianhe.quality import expressions
from bianhe.quality.expressions import (
    Binary,
    Call,
    Number,
    ParsedRule,
    Ref,
    RuleError,
    Sum,
    Unary,
    parse_rule,
)

INDICATORS = {
    "GDP": (),
    "EXPORT": (),
    "IMPORT": (),
    "TRADE_TOTAL": (),
    "BORDER_TRADE": (),
    "IND_VALUE_ADDED": (),
    "TRADE_BY_PARTNER": ("RU", "MN", "OTHER"),
}
COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def parse(text: str) -> ParsedRule:
    return parse_rule(text, indicators=INDICATORS)


def error(text: str) -> RuleError:
    with pytest.raises(RuleError) as caught:
        parse(text)
    return caught.value


# --- accepted rules ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("EXPORT + IMPORT == TRADE_TOTAL", "EXPORT + IMPORT == TRADE_TOTAL"),
        ("EXPORT+IMPORT==TRADE_TOTAL", "EXPORT + IMPORT == TRADE_TOTAL"),
        ("  IND_VALUE_ADDED<=GDP ", "IND_VALUE_ADDED <= GDP"),
        ("TRADE_TOTAL >= BORDER_TRADE", "TRADE_TOTAL >= BORDER_TRADE"),
        ("abs( yoy( GDP ) ) <= 50 %", "abs(yoy(GDP)) <= 50%"),
        ("sum(TRADE_BY_PARTNER) == TRADE_TOTAL", "sum(TRADE_BY_PARTNER) == TRADE_TOTAL"),
        ("TRADE_BY_PARTNER[ RU ] < TRADE_TOTAL", "TRADE_BY_PARTNER[RU] < TRADE_TOTAL"),
        ("((EXPORT)) != (IMPORT)", "EXPORT != IMPORT"),
        ("min(EXPORT,IMPORT,1) > max(GDP , 0.5)", "min(EXPORT, IMPORT, 1) > max(GDP, 0.5)"),
        ("(EXPORT + IMPORT) * 2 > GDP", "(EXPORT + IMPORT) * 2 > GDP"),
        ("EXPORT - (IMPORT - GDP) > 0", "EXPORT - (IMPORT - GDP) > 0"),
        ("EXPORT - IMPORT - GDP > 0", "EXPORT - IMPORT - GDP > 0"),
        ("-(EXPORT + IMPORT) < - -GDP", "-(EXPORT + IMPORT) < --GDP"),
        ("ytd(prev(EXPORT)) >= last_year(IMPORT)", "ytd(prev(EXPORT)) >= last_year(IMPORT)"),
    ],
)
def test_rules_parse_to_their_canonical_text(text, canonical):
    assert parse(text).text == canonical


def test_the_tree_follows_precedence_and_associativity():
    rule = parse("EXPORT + IMPORT * 2 - -GDP / 4 >= 1")
    assert rule.left == Binary(
        "-",
        Binary("+", Ref("EXPORT"), Binary("*", Ref("IMPORT"), Number(2.0))),
        Binary("/", Unary("-", Ref("GDP")), Number(4.0)),
    )
    assert rule.op == ">="
    assert rule.right == Number(1.0)


def test_calls_sums_members_and_percentages_build_their_nodes():
    rule = parse("abs(yoy(sum(TRADE_BY_PARTNER))) <= max(TRADE_BY_PARTNER[MN], 12.5%)")
    assert rule.left == Call("abs", (Call("yoy", (Sum("TRADE_BY_PARTNER"),)),))
    assert rule.right == Call("max", (Ref("TRADE_BY_PARTNER", "MN"), Number(0.125)))


def test_indicators_and_years_back_are_reported():
    rule = parse("prev(last_year(GDP)) + ytd(EXPORT) > yoy(TRADE_BY_PARTNER[RU])")
    assert rule.indicators == frozenset({"GDP", "EXPORT", "TRADE_BY_PARTNER"})
    assert rule.years_back == 2
    assert parse("ytd(EXPORT) > IMPORT").years_back == 0
    assert parse("abs(yoy(GDP)) <= 50%").years_back == 1


def test_full_width_input_from_chinese_input_methods_is_accepted():
    rule = parse("EXPORT＋IMPORT＝＝TRADE_TOTAL")
    assert rule.text == "EXPORT + IMPORT == TRADE_TOTAL"
    assert parse("ａｂｓ（ｙｏｙ（GDP））\u3000＜＝\u3000５０％").text == "abs(yoy(GDP)) <= 50%"


def test_full_width_characters_keep_their_positions():
    problem = error("EXPORT＋IMPRT＝＝TRADE_TOTAL")
    assert (problem.code, problem.position, problem.token) == ("unknown_indicator", 7, "IMPRT")
    assert problem.text == "EXPORT+IMPRT==TRADE_TOTAL"


# --- errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "code", "position", "token"),
    [
        ("EXPORT + IMPRT == TRADE_TOTAL", "unknown_indicator", 9, "IMPRT"),
        ("Gdp > 1", "unknown_indicator", 0, "Gdp"),
        ("GDP > 1 $", "unexpected_character", 8, "$"),
        ("GDP ≤ EXPORT", "unexpected_character", 4, "≤"),
        ("GDP > EXPORT IMPORT", "unexpected_token", 13, "IMPORT"),
        ("GDP + > 1", "unexpected_token", 6, ">"),
        ("GDP > 1 > 0", "unexpected_token", 8, ">"),
        ("GDP (EXPORT) > 1", "unexpected_token", 4, "("),
        ("GDP > (EXPORT", "unexpected_end", 13, ""),
        ("abs(GDP > 1", "unexpected_token", 8, ">"),
        ("GDP > sum(", "unexpected_end", 10, ""),
        ("TRADE_BY_PARTNER[RU > 1", "unexpected_token", 20, ">"),
        ("GDP >", "unexpected_end", 5, ""),
        ("GDP > 1,000", "bad_number", 7, ","),
        ("GDP > 1.5.2", "bad_number", 6, "1.5.2"),
        ("GDP > 1e5", "bad_number", 6, "1e5"),
        ("GDP > .5", "bad_number", 6, ".5"),
        ("GDP > " + "9" * 400, "bad_number", 6, "9" * 400),
        ("GDP > " + "9" * 200 + " * " + "9" * 200, "bad_number", 6, "9" * 200),
        ("foo(GDP) > 1", "unknown_function", 0, "foo"),
        ("gdp > 1", "unknown_function", 0, "gdp"),
        ("abs(GDP, EXPORT) > 1", "wrong_arguments", 9, "EXPORT"),
        ("abs() > GDP", "wrong_arguments", 4, ")"),
        ("min(GDP) > 1", "wrong_arguments", 7, ")"),
        ("sum(TRADE_BY_PARTNER[RU]) > 1", "wrong_arguments", 4, "TRADE_BY_PARTNER"),
        ("sum(GDP + 1) > 1", "wrong_arguments", 4, "GDP"),
        ("sum() > GDP", "wrong_arguments", 4, ")"),
        ("TRADE_BY_PARTNER > 1", "breakdown_required", 0, "TRADE_BY_PARTNER"),
        ("GDP[RU] > 1", "no_breakdown", 3, "["),
        ("sum(GDP) > 1", "no_breakdown", 4, "GDP"),
        ("TRADE_BY_PARTNER[KZ] > 1", "unknown_member", 17, "KZ"),
        ("TRADE_BY_PARTNER[] > 1", "unexpected_token", 17, "]"),
        ("EXPORT + IMPORT", "comparison_required", 15, ""),
        ("GDP / 0 > 1", "division_by_zero", 6, "0"),
        ("GDP / (2 - 2) > 1", "division_by_zero", 6, "("),
        ("GDP > EXPORT / (1 - 100%)", "division_by_zero", 15, "("),
        ("GDP == GDP", "same_sides", 4, "=="),
        ("GDP <= (GDP)", "same_sides", 4, "<="),
        ("1 < 2", "no_indicator", 2, "<"),
        ("", "empty", 0, ""),
        (" \u3000 ", "empty", 0, ""),
    ],
)
def test_errors_have_a_code_and_point_at_the_offending_token(text, code, position, token):
    problem = error(text)
    assert (problem.code, problem.position, problem.token) == (code, position, token)
    assert str(problem) == problem.message
    assert problem.message


def test_a_single_equals_sign_suggests_the_double_one():
    problem = error("EXPORT + IMPORT = TRADE_TOTAL")
    assert (problem.code, problem.position, problem.token) == ("syntax", 16, "=")
    assert "==" in problem.message


@pytest.mark.parametrize(("text", "suggestion"), [("GDP <> 1", "!="), ("GDP =< 1", "<="),
                                                  ("GDP ! 1", "!="), ("GDP × 2 > 1", "*")])
def test_look_alike_operators_get_a_suggestion(text, suggestion):
    assert suggestion in error(text).message


def test_lower_case_codes_are_function_names_and_the_message_suggests_the_code():
    problem = error("export > 1")
    assert problem.code == "unknown_function"
    assert "EXPORT" in problem.message
    assert "EXPORT" not in error("exprt > 1").message


def test_messages_name_what_is_wrong():
    assert error("EXPORT + IMPRT == TRADE_TOTAL").message == "Unknown indicator IMPRT."
    assert "sum(TRADE_BY_PARTNER)" in error("TRADE_BY_PARTNER > 1").message
    assert "RU, MN, OTHER" in error("TRADE_BY_PARTNER[KZ] > 1").message


def test_messages_are_translated_through_gettext(monkeypatch):
    monkeypatch.setattr(expressions, "_", lambda message: f"«{message}»")
    assert error("GDP > IMPRT").message == "«Unknown indicator IMPRT.»"


def test_the_pointer_puts_a_caret_under_the_position():
    problem = error("EXPORT + IMPRT == TRADE_TOTAL")
    assert problem.pointer() == "EXPORT + IMPRT == TRADE_TOTAL\n         ^"
    at_end = error("GDP >")
    assert at_end.pointer() == "GDP >\n     ^"


def test_the_pointer_counts_wide_characters_twice():
    problem = error("出口 > 1")
    assert problem.code == "unexpected_character"
    assert problem.pointer() == "出口 > 1\n^"
    problem = error("GDP > 出口")
    assert problem.pointer().splitlines()[1] == " " * 6 + "^"


def test_whitespace_of_any_kind_is_a_space_in_the_text():
    problem = error("GDP\t>\nIMPRT")
    assert problem.text == "GDP > IMPRT"
    assert problem.position == 6


# --- limits ------------------------------------------------------------------------------------
def test_a_text_longer_than_the_limit_is_refused_before_tokenising():
    problem = error("GDP > " + "1 + " * 300 + "1")
    assert (problem.code, problem.position) == ("too_long", 1000)


def test_too_many_tokens_are_refused():
    text = "GDP > " + "+".join(["1"] * 160)
    assert len(text) < 1000
    problem = error(text)
    # GDP, >, then 1 + 1 + …: the 301st token is the 150th "1", at 6 + 2 * 149.
    assert (problem.code, problem.position, problem.token) == ("too_long", 304, "1")


def test_nesting_over_the_limit_is_too_deep():
    assert parse("(" * 20 + "GDP" + ")" * 20 + " > 1").text == "GDP > 1"
    problem = error("(" * 21 + "GDP" + ")" * 21 + " > 1")
    assert (problem.code, problem.position, problem.token) == ("too_deep", 20, "(")
    assert error("-" * 21 + "GDP > 1").code == "too_deep"
    assert error("abs(" * 21 + "GDP" + ")" * 21 + " > 1").code == "too_deep"


def test_more_than_three_nested_time_functions_are_too_deep():
    assert parse("prev(ytd(yoy(GDP))) > 1").years_back == 2
    problem = error("prev(ytd(yoy(last_year(GDP)))) > 1")
    assert (problem.code, problem.position, problem.token) == ("too_deep", 13, "last_year")


def test_five_thousand_parentheses_are_refused_without_recursion_error():
    text = "(" * 5000 + "GDP" + ")" * 5000 + " > 1"
    assert error(text).code == "too_long"


def test_the_depth_guard_holds_even_without_the_length_limits(monkeypatch):
    monkeypatch.setattr(expressions, "MAX_LENGTH", 10**6)
    monkeypatch.setattr(expressions, "MAX_TOKENS", 10**6)
    for text in ("(" * 5000 + "GDP" + ")" * 5000 + " > 1", "-" * 5000 + "GDP > 1",
                 "abs(" * 5000 + "GDP" + ")" * 5000 + " > 1"):
        assert error(text).code == "too_deep"


# --- fuzzing -----------------------------------------------------------------------------------
RULE_ALPHABET = list("ABCDEGIMNOPRTX_abcdelmnprstuvxy0123456789 .,%+-*/()[]<>=!")
RULE_ALPHABET += list("＋－＝（）［］＜＞！％　≤×出口\t")


@settings(max_examples=300, deadline=None, database=None)
@given(st.one_of(st.text(max_size=60), st.text(alphabet=RULE_ALPHABET, max_size=60)))
def test_any_text_parses_or_raises_a_rule_error(text):
    try:
        rule = parse(text)
    except RuleError as problem:
        assert 0 <= problem.position <= len(problem.text)
        assert problem.code and problem.message
        assert problem.pointer().count("\n") == 1
    else:
        assert isinstance(rule, ParsedRule)


def _leaves():
    integers = st.integers(0, 10**6).map(str)
    decimals = st.tuples(st.integers(0, 999), st.integers(0, 99)).map(lambda p: f"{p[0]}.{p[1]}")
    percents = st.integers(0, 200).map(lambda n: f"{n}%")
    codes = st.sampled_from([code for code, members in INDICATORS.items() if not members])
    members = st.sampled_from(["TRADE_BY_PARTNER[RU]", "TRADE_BY_PARTNER[MN]",
                               "TRADE_BY_PARTNER[OTHER]", "sum(TRADE_BY_PARTNER)"])
    return st.one_of(codes, codes, codes, members, integers, decimals, percents)


def _extend(children):
    return st.one_of(
        st.tuples(children, st.sampled_from("+-*/"), children).map(
            lambda p: f"{p[0]} {p[1]} {p[2]}"),
        children.map(lambda c: f"({c})"),
        children.map(lambda c: f"-{c}"),
        st.tuples(st.sampled_from(["abs", "prev", "last_year", "yoy", "ytd"]), children).map(
            lambda p: f"{p[0]}({p[1]})"),
        st.tuples(st.sampled_from(["min", "max"]), st.lists(children, min_size=2, max_size=3)
                  ).map(lambda p: f"{p[0]}({', '.join(p[1])})"),
    )


expression_texts = st.recursive(_leaves(), _extend, max_leaves=10)
rule_texts = st.tuples(expression_texts, st.sampled_from(COMPARISONS), expression_texts).map(
    lambda p: f"{p[0]} {p[1]} {p[2]}")


@settings(max_examples=250, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(rule_texts)
def test_canonical_text_round_trips(text):
    try:
        rule = parse(text)
    except RuleError as problem:
        # Grammatical input can only break a limit or a semantic check.
        assert problem.code in {"too_deep", "too_long", "division_by_zero", "bad_number",
                                "same_sides", "no_indicator"}
        return
    again = parse(rule.text)
    assert again.text == rule.text
    assert (again.left, again.op, again.right) == (rule.left, rule.op, rule.right)
    assert again.indicators == rule.indicators
    assert again.years_back == rule.years_back
