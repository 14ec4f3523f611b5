"""The board's pages: the district, a town, a village, a notice, an item of the list."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
