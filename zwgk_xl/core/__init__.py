"""Shared code below every stage: the task model, errors, findings, results, the unit directory, text helpers."""
