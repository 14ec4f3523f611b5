"""Prefect flows: thin orchestration over ``pipeline`` (added with the scheduling work)."""
