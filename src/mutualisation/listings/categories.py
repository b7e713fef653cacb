"""The network's category tree, read once from the configuration folder."""

from __future__ import annotations

from functools import cache
from typing import Any

from ..paths import resource_dir
from .taxonomy import Taxonomy, read_taxonomy_file


@cache
def taxonomy() -> Taxonomy:
    return read_taxonomy_file(resource_dir("config") / "taxonomy.toml")


def category_tree(locale: str | None = None) -> list[dict[str, Any]]:
    return taxonomy().to_tree(locale)


def category_label(category: str, subcategory: str | None, locale: str) -> str:
    """A subcategory's (or else the category's) label; an unknown code is shown as it is."""
    try:
        if subcategory:
            return taxonomy().label(subcategory, locale, category=category)
        return taxonomy().label(category, locale)
    except ValueError:
        return subcategory or category
