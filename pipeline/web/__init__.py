"""The web pages over the archive: auditors' search and retrieval, the public notice check."""

from pipeline.web.app import create_app

__all__ = ["create_app"]
