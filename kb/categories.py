"""The category tree."""
from sqlalchemy import select

from core import audit
from core.db import db
from core.errors import Invalid
from kb.models import Category


def all_categories() -> list[Category]:
    """Every category, ordered as a tree reads (parents before their children)."""
    return sorted(db.session.scalars(select(Category)), key=lambda c: [p.name.lower() for p in c.lineage])


def roots() -> list[Category]:
    return list(db.session.scalars(select(Category).where(Category.parent_id.is_(None)).order_by(Category.name)))


def child_named(parent: Category | None, name: str) -> Category | None:
    parent_id = parent.id if parent else None
    return db.session.scalar(select(Category).where(Category.name == name,
                                                    Category.parent_id.is_(parent_id) if parent_id is None
                                                    else Category.parent_id == parent_id))


def create_category(name: str, parent: Category | None, actor) -> Category:
    name = name.strip()
    if not name or "/" in name or len(name) > 80:
        raise Invalid("A category name is 1 to 80 characters without '/'.", field="name")
    if child_named(parent, name):
        raise Invalid(f"There is already a category {name!r} there.", field="name")
    category = Category(name=name, parent=parent)
    db.session.add(category)
    db.session.flush()
    audit.record(actor, "create", "category", category.id, after={"path": category.path})
    return category


def by_path(path: str) -> Category | None:
    parent = None
    for name in split_path(path):
        parent = child_named(parent, name)
        if parent is None:
            return None
    return parent


def ensure_path(path: str, actor) -> Category:
    """The category at 'Parent/Child', created (with its parents) where missing."""
    parent = None
    for name in split_path(path):
        parent = child_named(parent, name) or create_category(name, parent, actor)
    if parent is None:
        raise Invalid("The category is empty.", field="name")
    return parent


def split_path(path: str) -> list[str]:
    return [part.strip() for part in str(path).split("/") if part.strip()]


def subtree_ids(category_id: int) -> list[int]:
    """The category and every category below it (an empty list if there is no such category)."""
    children: dict[int | None, list[int]] = {}
    for cid, parent_id in db.session.execute(select(Category.id, Category.parent_id)):
        children.setdefault(parent_id, []).append(cid)
    if not any(category_id in ids for ids in children.values()):
        return []
    found, todo = [], [category_id]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


_ROWS = select(Category.id, Category.name, Category.parent_id)


def names_by_id() -> dict[int, str]:
    """Every category's path ('Parent/Child') by id, for the search page's hits and facets: from plain rows,
    which cost a third of loading every Category object and walking its parents, on every search."""
    rows = {cid: (name, parent_id) for cid, name, parent_id in db.session.execute(_ROWS)}
    paths: dict[int, str] = {}

    def path(cid: int) -> str:
        if cid not in paths:
            name, parent_id = rows[cid]
            paths[cid] = name if parent_id is None else f"{path(parent_id)}/{name}"
        return paths[cid]
    return {cid: path(cid) for cid in rows}
