"""The category and subcategory tree of listings, loaded from ``config/taxonomy.toml``.

Pure: the loader takes an already parsed mapping, so the settings code decides where
the file comes from and tests can build small taxonomies inline.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CATEGORY_CODES = ("skill", "equipment", "know_how", "service")
LOCALES = ("fr", "en")
DEFAULT_SAME_GROUP_CLOSENESS = 0.5

_CATEGORY_KEYS = {"label_fr", "label_en", "subcategories"}
_SUBCATEGORY_KEYS = {"code", "label_fr", "label_en", "closeness"}


@dataclass(frozen=True, slots=True)
class Subcategory:
    code: str
    label_fr: str
    label_en: str
    closeness: frozenset[str] = frozenset()

    def label(self, locale: str) -> str:
        return self.label_fr if _check_locale(locale) == "fr" else self.label_en


@dataclass(frozen=True, slots=True)
class Category:
    code: str
    label_fr: str
    label_en: str
    subcategories: tuple[Subcategory, ...]

    def label(self, locale: str) -> str:
        return self.label_fr if _check_locale(locale) == "fr" else self.label_en


def _check_locale(locale: str) -> str:
    if locale not in LOCALES:
        raise ValueError(f"unknown locale {locale!r}: expected one of {', '.join(LOCALES)}")
    return locale


class Taxonomy:
    """An immutable, validated category tree. Build it with :func:`load_taxonomy`."""

    def __init__(self, categories: tuple[Category, ...], same_group_closeness: float) -> None:
        self._categories = {category.code: category for category in categories}
        self._subcategories = {
            category.code: {sub.code: sub for sub in category.subcategories} for category in categories
        }
        self.same_group_closeness = same_group_closeness

    @property
    def categories(self) -> tuple[Category, ...]:
        return tuple(self._categories.values())

    def category(self, code: str) -> Category:
        try:
            return self._categories[code]
        except KeyError:
            raise ValueError(f"unknown category {code!r}") from None

    def subcategories(self, category: str) -> tuple[Subcategory, ...]:
        return self.category(category).subcategories

    def subcategory(self, category: str, code: str) -> Subcategory:
        try:
            return self._subcategories[self.category(category).code][code]
        except KeyError:
            raise ValueError(f"unknown subcategory {code!r} in category {category!r}") from None

    def is_valid(self, category: str, subcategory: str) -> bool:
        return subcategory in self._subcategories.get(category, {})

    def label(self, code: str, locale: str = "fr", *, category: str | None = None) -> str:
        """Label of a category code, or of a subcategory code.

        Subcategory codes are only unique within their category ("other" exists in
        each), so pass ``category`` to name a subcategory unambiguously. Without it, a
        code shared by several categories is accepted only if its label is the same.
        """
        _check_locale(locale)
        if category is not None:
            return self.subcategory(category, code).label(locale)
        if code in self._categories:
            return self._categories[code].label(locale)
        labels = {subs[code].label(locale) for subs in self._subcategories.values() if code in subs}
        if not labels:
            raise ValueError(f"unknown category or subcategory {code!r}")
        if len(labels) > 1:
            raise ValueError(f"subcategory {code!r} exists in several categories: pass category=")
        return labels.pop()

    def closeness(self, category: str, sub_a: str, sub_b: str) -> float:
        """How close two subcategories of one category are, in [0, 1].

        1 for the same subcategory, the configured ``same_group`` value when they share a
        closeness group, 0 otherwise.
        """
        a = self.subcategory(category, sub_a)
        b = self.subcategory(category, sub_b)
        if a.code == b.code:
            return 1.0
        if a.closeness & b.closeness:
            return self.same_group_closeness
        return 0.0

    def to_tree(self, locale: str | None = None) -> list[dict[str, Any]]:
        """A JSON-ready tree with both labels, plus ``label`` in ``locale`` when given."""
        if locale is not None:
            _check_locale(locale)

        def node(item: Category | Subcategory) -> dict[str, Any]:
            data: dict[str, Any] = {"code": item.code, "label_fr": item.label_fr, "label_en": item.label_en}
            if locale is not None:
                data["label"] = item.label(locale)
            return data

        tree = []
        for category in self._categories.values():
            entry = node(category)
            entry["subcategories"] = [
                {**node(sub), "closeness": sorted(sub.closeness)} for sub in category.subcategories
            ]
            tree.append(entry)
        return tree


def _label(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: missing or empty {key}")
    return value.strip()


def _reject_unknown_keys(raw: Mapping[str, Any], allowed: set[str], where: str) -> None:
    # A misspelt key ("lable_en", "closenes") would otherwise be silently ignored.
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ValueError(f"{where}: unknown keys {', '.join(unknown)}")


def _load_subcategory(raw: Any, where: str) -> Subcategory:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: expected a table")
    _reject_unknown_keys(raw, _SUBCATEGORY_KEYS, where)
    code = raw.get("code")
    if not isinstance(code, str) or not code.strip():
        raise ValueError(f"{where}: missing or empty code")
    where = f"{where} ({code})"
    groups = raw.get("closeness", [])
    if not isinstance(groups, list) or not all(isinstance(g, str) and g.strip() for g in groups):
        raise ValueError(f"{where}: closeness must be a list of group names")
    return Subcategory(
        code=code.strip(),
        label_fr=_label(raw, "label_fr", where),
        label_en=_label(raw, "label_en", where),
        closeness=frozenset(g.strip() for g in groups),
    )


def _load_category(code: str, raw: Any) -> Category:
    where = f"categories.{code}"
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: expected a table")
    _reject_unknown_keys(raw, _CATEGORY_KEYS, where)
    raw_subs = raw.get("subcategories")
    if not isinstance(raw_subs, list) or not raw_subs:
        raise ValueError(f"{where}: needs at least one subcategory")
    subcategories = []
    seen: set[str] = set()
    for index, raw_sub in enumerate(raw_subs):
        sub = _load_subcategory(raw_sub, f"{where}.subcategories[{index}]")
        if sub.code in seen:
            raise ValueError(f"{where}: duplicate subcategory code {sub.code!r}")
        seen.add(sub.code)
        subcategories.append(sub)
    return Category(
        code=code,
        label_fr=_label(raw, "label_fr", where),
        label_en=_label(raw, "label_en", where),
        subcategories=tuple(subcategories),
    )


def load_taxonomy(mapping: Mapping[str, Any]) -> Taxonomy:
    """Validate a parsed taxonomy document and build the :class:`Taxonomy`.

    Raises ``ValueError`` naming the faulty entry on any inconsistency.
    """
    _reject_unknown_keys(mapping, {"categories", "closeness"}, "taxonomy")
    raw_categories = mapping.get("categories")
    if not isinstance(raw_categories, Mapping):
        raise ValueError("taxonomy: missing [categories] table")
    # TOML tables cannot hold duplicate keys, so category codes are unique by construction;
    # what matters is that the set matches the categories the application's rules know.
    missing = [code for code in CATEGORY_CODES if code not in raw_categories]
    unknown = [code for code in raw_categories if code not in CATEGORY_CODES]
    if missing or unknown:
        raise ValueError(
            f"taxonomy: categories must be exactly {', '.join(CATEGORY_CODES)}"
            f" (missing: {', '.join(missing) or 'none'}; unknown: {', '.join(unknown) or 'none'})"
        )
    raw_closeness = mapping.get("closeness", {})
    if not isinstance(raw_closeness, Mapping):
        raise ValueError("closeness: expected a table")
    _reject_unknown_keys(raw_closeness, {"same_group"}, "closeness")
    same_group = raw_closeness.get("same_group", DEFAULT_SAME_GROUP_CLOSENESS)
    if isinstance(same_group, bool) or not isinstance(same_group, int | float) or not 0 <= same_group < 1:
        # Below 1, so that only the very same subcategory scores as a perfect match.
        raise ValueError(f"closeness.same_group must be a number in [0, 1), got {same_group!r}")
    categories = tuple(_load_category(code, raw_categories[code]) for code in CATEGORY_CODES)
    return Taxonomy(categories, float(same_group))


def read_taxonomy_file(path: str | Path) -> Taxonomy:
    """Parse a taxonomy TOML file and load it."""
    with open(path, "rb") as file:
        return load_taxonomy(tomllib.load(file))
