"""The document engine: render templates, convert to PDF/A, stamp, collate."""
