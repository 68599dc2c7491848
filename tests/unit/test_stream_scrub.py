"""Scrubbing streamed text: a secret split across pieces is still replaced, and nothing else changes."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from routemoa.redact import StreamScrubber, scrub

SECRETS = ["sk-abc123XYZ", "sk-abc1", "pw-9876"]


def streamed(text: str, cuts: list[int]) -> str:
    scrubber = StreamScrubber(SECRETS)
    bounds = [0, *sorted(c % (len(text) + 1) for c in cuts), len(text)]
    out = [scrubber.feed(text[a:b]) for a, b in itertools.pairwise(bounds)]
    return "".join(out) + scrubber.flush()


def test_a_key_cut_anywhere_is_replaced_whole():
    text = "the key is sk-abc123XYZ, the other sk-abc1 and pw-9876."
    for cut in range(len(text) + 1):
        for second in range(cut, len(text) + 1):
            assert (
                streamed(text, [cut, second])
                == scrub(text, SECRETS)
                == "the key is [REDACTED], the other [REDACTED] and [REDACTED]."
            )


def test_text_that_only_looks_like_a_key_start_is_released_at_the_end():
    scrubber = StreamScrubber(SECRETS)
    assert scrubber.feed("ends with sk-ab") == "ends with "
    assert scrubber.flush() == "sk-ab"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(["sk-", "abc", "123XYZ", "sk-abc1", "pw-", "9876", " ", "x", "sk-abc123XYZ"]), max_size=12
    ),
    st.lists(st.integers(min_value=0, max_value=200), max_size=6),
)
def test_streamed_equals_scrubbed_whole(words, cuts):
    text = "".join(words)
    assert streamed(text, cuts) == scrub(text, SECRETS)
