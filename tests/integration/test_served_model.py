"""The engine serves the packaged GGUF dequantised to F16, made once in the cache folder."""

from __future__ import annotations

import threading

import pytest

from routemoa.local_engine import CACHE_ENV, SERVED_FILE, LocalEngine, Request, gguf_path, serving_gguf

pytestmark = pytest.mark.integration


def test_f16_copy_is_made_once_and_decodes(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    served = serving_gguf()
    assert served == tmp_path / SERVED_FILE and served.stat().st_size > gguf_path().stat().st_size
    made = served.stat().st_mtime_ns
    assert serving_gguf() == served and served.stat().st_mtime_ns == made  # reused, not made again
    assert [p.name for p in tmp_path.iterdir()] == [SERVED_FILE]  # no partial file left behind
    engine = LocalEngine(slots=1)
    try:
        request = Request(messages=({"role": "user", "content": "What is 12 + 7?"},), temperature=0.0, max_tokens=8)
        outcome = engine.submit(request, threading.Event()).result()
    finally:
        engine.close()
    assert outcome.output_tokens > 0 and outcome.text.strip()


def test_an_unwritable_cache_serves_the_packaged_file(tmp_path, monkeypatch, caplog):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv(CACHE_ENV, str(blocked / "cache"))
    assert serving_gguf() == gguf_path()
    assert "serving the packaged Q4_1 model" in caplog.text
