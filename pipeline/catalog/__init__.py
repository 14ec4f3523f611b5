"""The power catalog (村级小微权力清单) as validated data."""

from pipeline.catalog.load import Catalog, load_catalog
from pipeline.catalog.model import CatalogItem, Edition, Step

__all__ = ["Catalog", "CatalogItem", "Edition", "Step", "load_catalog"]
