"""Which department handles a case: a pure function over the routing rules.

A rule matches a case when its category (or major class, or kind) matches the case's category
and its area code is a prefix of the case's unit grid cell code (empty = the whole city). Of the
matching rules the most specific wins: first by what it names (an exact category beats a major
class, which beats a kind, which beats "anything"), then by area (cell 15 > community 12 >
street 9 > district 6 > city). Two equally specific rules are a configuration error that
`routing_ambiguities` reports; at run time the older rule (lower id) wins so routing stays
deterministic. No match: the dispatcher routes by hand.

The behaviour is pinned by `tests/data/routing_expected.csv`, readable by non-developers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from civicgrid.accounts.models import Department
from civicgrid.taxonomy.models import Category, RoutingRule


class _CategoryLike(Protocol):
    id: int
    kind: str
    major_code: str


def specificity(rule: RoutingRule) -> tuple[int, int]:
    if rule.category_id:
        what = 3
    elif rule.major_code:
        what = 2
    elif rule.kind:
        what = 1
    else:
        what = 0
    return what, len(rule.area_code)


def matches(rule: RoutingRule, category: _CategoryLike, cell_code: str) -> bool:
    if rule.category_id and rule.category_id != category.id:
        return False
    if rule.major_code and rule.major_code != category.major_code:
        return False
    if rule.kind and rule.kind != category.kind:
        return False
    return not rule.area_code or (cell_code or "").startswith(rule.area_code)


def route(
    category: _CategoryLike | None, cell_code: str | None, rules: Iterable[RoutingRule]
) -> RoutingRule | None:
    """The winning rule for a category at a cell, or None (manual dispatch)."""
    if category is None:
        return None
    best: RoutingRule | None = None
    best_key: tuple[int, int, int] | None = None
    for rule in rules:
        if not rule.active or not matches(rule, category, cell_code or ""):
            continue
        key = (*specificity(rule), -rule.id)
        if best_key is None or key > best_key:
            best, best_key = rule, key
    return best


def active_rules() -> list[RoutingRule]:
    return list(RoutingRule.objects.filter(active=True, department__active=True).select_related("department"))


def route_case(category: Category | None, cell_code: str | None) -> Department | None:
    """The department that should handle a case of `category` in the cell, from the current rules."""
    rule = route(category, cell_code, active_rules())
    return rule.department if rule else None


def routing_ambiguities(rules: Iterable[RoutingRule]) -> list[tuple[RoutingRule, RoutingRule]]:
    """Pairs of active rules that say different things about exactly the same scope."""
    seen: dict[tuple, RoutingRule] = {}
    clashes = []
    for rule in sorted((r for r in rules if r.active), key=lambda r: r.id):
        # A rule naming a category covers exactly that category, whatever it says about kind or class.
        what = (rule.category_id, "", "") if rule.category_id else (None, rule.major_code, rule.kind)
        scope = (*what, rule.area_code)
        if scope in seen and seen[scope].department_id != rule.department_id:
            clashes.append((seen[scope], rule))
        seen.setdefault(scope, rule)
    return clashes
