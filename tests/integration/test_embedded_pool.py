"""The real embedded pool (SmolLM2 in three roles), end to end, offline, as a user runs it.

SmolLM2-135M is tiny: this checks the shape and flow of a run, not correctness.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration


def test_routemoa_ask_on_the_embedded_pool():
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "routemoa.cli", "ask", "What is 2 + 2?", "--json", "--max-layers", "2"],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout)
    assert isinstance(out["answer"], str) and out["answer"].strip()
    assert out["error"] is None
    assert 1 <= len(out["trace"]) <= 2
    first = out["trace"][0]
    assert {m["name"] for m in first["models"]} <= {"direct-solver", "step-reasoner", "careful-verifier"}
    assert all(s["prior_source"] == "zero-shot" and 0 <= s["prior"] <= 1 for s in first["scores"].values())
    assert out["trace"][-1]["decision"] in {"early_exit", "max_layers"}
    bill = out["bill"]
    assert bill["total_usd"] == 0 and bill["calls"] >= len(first["models"])
    assert all(row["output_tokens"] > 0 for row in bill["models"].values())
    assert "layer 1: calling" in done.stderr
