"""Objections (异议) to a notice and reports (反映问题) to the supervision committee."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
