"""The local engine's pure parts: response_format checks, string bounds, stop-string handling (no model loaded)."""

from __future__ import annotations

import json

import pytest

from routemoa.local_engine import (
    UNIT_NUMBER,
    _first_stop,
    _held_back,
    bounded_schema,
    canonical_response_format,
    grammar_for,
    unit_interval_numbers,
)

SCHEMA = {
    "type": "object",
    "properties": {
        "answer": {"type": "string"},
        "label": {"type": "string", "enum": ["a", "b"]},
        "notes": {"type": "array", "items": {"type": "string", "maxLength": 5}},
        "score": {"type": "number"},
    },
    "required": ["answer"],
}


def test_text_and_none_mean_unconstrained():
    assert canonical_response_format(None) is None
    assert canonical_response_format({"type": "text"}) is None


def test_json_schema_and_json_object_are_canonical_json():
    spec = {"type": "json_schema", "json_schema": {"name": "reply", "schema": SCHEMA}}
    assert json.loads(canonical_response_format(spec)) == spec
    assert list(json.loads(canonical_response_format(spec))["json_schema"]["schema"]["properties"]) == list(
        SCHEMA["properties"]
    )
    assert json.loads(canonical_response_format({"type": "json_object"})) == {"type": "json_object"}


@pytest.mark.parametrize(
    "bad, message",
    [
        ("json", "must be a mapping"),
        ({"type": "yaml"}, "type must be text, json_object or json_schema"),
        ({"type": "json_schema"}, "needs {'json_schema'"),
        ({"type": "json_schema", "json_schema": {"name": "x", "schema": "{}"}}, "needs {'json_schema'"),
        ({"type": "json_object", "schema": []}, "must be a JSON schema object"),
    ],
)
def test_bad_response_formats_get_one_clear_error(bad, message):
    with pytest.raises(ValueError, match=message.replace("{", r"\{").replace("(", r"\(")):
        canonical_response_format(bad)


def test_only_free_text_strings_get_a_max_length():
    bounded = bounded_schema(SCHEMA, 120)
    props = bounded["properties"]
    assert props["answer"]["maxLength"] == 120
    assert "maxLength" not in props["label"]
    assert props["notes"]["items"]["maxLength"] == 5
    assert "maxLength" not in props["score"]
    assert "maxLength" not in SCHEMA["properties"]["answer"]  # the caller's schema is not changed


def test_size_bounds_above_the_reply_budget_are_lowered_to_it():
    schema = {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"type": "integer"}, "minItems": 10**7, "maxItems": 10**9},
            "name": {"type": "string", "minLength": 3, "maxLength": 10**6},
            "few": {"type": "array", "maxItems": 4, "minItems": True},
        },
        "maxProperties": 10**8,
    }
    bounded = bounded_schema(schema, 120)
    props = bounded["properties"]
    assert (props["items"]["minItems"], props["items"]["maxItems"], bounded["maxProperties"]) == (120, 120, 120)
    assert (props["name"]["minLength"], props["name"]["maxLength"]) == (3, 120)
    assert props["few"] == schema["properties"]["few"]  # bounds within the budget (and a bool) stay as they are
    assert schema["properties"]["items"]["minItems"] == 10**7  # the caller's schema is not changed


def test_a_huge_min_items_makes_a_small_grammar():
    items = {"type": "array", "items": {"type": "integer"}, "minItems": 10**7}
    schema = {"type": "object", "properties": {"a": items}, "required": ["a"]}
    spec = canonical_response_format({"type": "json_schema", "json_schema": {"name": "big", "schema": schema}})
    text = grammar_for(spec, 512)._grammar  # the GBNF text spells out one `integer` per item of minItems
    assert 464 <= text.count("integer") < 500  # max_tokens 512 - 48 reserved; 10**7 (732 MB) before the bound


def test_stop_strings_cut_at_the_first_and_hold_back_partial_matches():
    assert _first_stop("abc END def STOP", ("STOP", "END")) == 4
    assert _first_stop("abc", ("STOP",)) is None
    assert _held_back("answer is 4 EN", ("END",)) == 2
    assert _held_back("answer is 4 E", ("END", "ELSE")) == 1
    assert _held_back("answer", ("END",)) == 0
    assert _held_back("anything", ()) == 0


def test_schema_grammars_keep_property_order_and_keep_control_characters_out_of_strings():
    spec = {"type": "json_schema", "json_schema": {"name": "reply", "schema": SCHEMA}}
    gbnf = grammar_for(canonical_response_format(spec), 64)._grammar
    assert r'char ::= [^"\\\x7F\x00-\x1F]' in gbnf
    ordered = {
        "type": "object",
        "properties": {"zeta": {"type": "number"}, "alpha": {"type": "number"}},
        "required": ["zeta", "alpha"],
    }
    root = next(
        line
        for line in grammar_for(
            canonical_response_format({"type": "json_object", "schema": ordered}), 64
        )._grammar.splitlines()
        if line.startswith("root")
    )
    assert root.index("zeta-kv") < root.index("alpha-kv")
    assert 'answer ::= "\\"" (char' in gbnf


def test_scores_in_unit_interval_get_a_short_number_rule_and_other_numbers_keep_theirs():
    from routemoa.reply_schema import reply_schema

    def number_rule(schema: dict) -> str:
        spec = {"type": "json_schema", "json_schema": {"name": "r", "schema": schema}}
        grammar = grammar_for(canonical_response_format(spec), 128)
        return next(line for line in grammar._grammar.splitlines() if line.startswith("number ::="))

    assert unit_interval_numbers(reply_schema(2)) and number_rule(reply_schema(2)) == UNIT_NUMBER
    unbounded = {
        "type": "object",
        "properties": {"p": {"type": "number", "minimum": 0, "maximum": 1}, "n": {"type": ["number", "null"]}},
    }
    assert not unit_interval_numbers(unbounded) and number_rule(unbounded) != UNIT_NUMBER
    assert not unit_interval_numbers({"type": "object", "properties": {"a": {"type": "string"}}})
    assert not unit_interval_numbers(SCHEMA)  # score has no bounds
