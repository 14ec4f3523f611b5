"""Cases (办件): one application or matter run through a catalog item's flow."""
