"""One file per dashboard page."""
