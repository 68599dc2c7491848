"""Evaluation: answer checkers, replay of recorded model outputs, live-benchmark plumbing and reports."""
