"""Honest timings: a call's seconds are the call itself; time queued for a model slot is billed apart."""

from __future__ import annotations

import asyncio
import time

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from routemoa.billing import build_bill
from routemoa.calls import call_model
from routemoa.providers import CallSettings, register_provider
from routemoa.spec import ModelSpec

WORK_S = 0.3


class OneSlotModel(BaseChatModel):
    """Serves one call at a time, like a local model with one slot, and reports its queue wait."""

    slot: asyncio.Lock

    @property
    def _llm_type(self) -> str:
        return "one-slot"

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        raise NotImplementedError

    async def _agenerate(self, messages, stop=None, run_manager=None, **kwargs):
        arrived = time.perf_counter()
        async with self.slot:
            queue_s = time.perf_counter() - arrived
            await asyncio.sleep(WORK_S)
        reply = AIMessage(content="4", response_metadata={"queue_s": queue_s})
        return ChatResult(generations=[ChatGeneration(message=reply)])


async def test_queue_wait_is_not_call_time_and_the_bill_shows_both():
    slot = asyncio.Lock()
    register_provider("one-slot", lambda spec, settings: OneSlotModel(slot=slot))
    spec = ModelSpec(name="local", provider="one-slot", description="d")
    settings = CallSettings(temperature=0.0, max_tokens=8, timeout_s=30)
    results = await asyncio.gather(*(call_model(spec, [HumanMessage("2+2?")], settings) for _ in range(3)))

    assert all(r.error is None for r in results)
    for r in results:  # each call ran WORK_S; the later ones waited for the slot first
        assert r.seconds == pytest.approx(WORK_S, abs=0.2)
    assert sorted(r.queue_s for r in results) == pytest.approx([0.0, WORK_S, 2 * WORK_S], abs=0.2)
    records = [r.record(role="agent", layer=1, model="local") for r in results]
    bill = build_bill(records, wall_s=3 * WORK_S)
    assert bill["models"]["local"]["seconds"] == pytest.approx(3 * WORK_S, abs=0.4)
    assert bill["queue_s"] == bill["models"]["local"]["queue_s"] == pytest.approx(3 * WORK_S, abs=0.4)


def test_records_without_queue_time_bill_none():
    old = {"model": "m", "input_tokens": 1, "output_tokens": 1, "usd": 0.0, "seconds": 1.5, "error": None}
    bill = build_bill([old], wall_s=2.0)
    assert bill["queue_s"] == 0.0 and bill["models"]["m"]["seconds"] == 1.5
