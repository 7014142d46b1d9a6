"""Learning paths: what a trainer builds (an ordered list of published articles for a role) and gives to
people (assignments with a due date).

Plain functions over the session; they flush but never commit (the request does). A refusal changes
nothing and says why in words a trainer understands.
"""
import re
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from accounts.auth import ROLES, User, UserRole
from core import audit
from core.db import db
from core.errors import Conflict, Invalid, refuse_if
from kb import service as kb_service
from onboarding.models import Assignment, LearningPath, PathItem

MAX_ITEMS = 100
MAX_PEOPLE = 500


class PathChanged(Conflict):
    """The path was changed by someone else since the page that sent this change was shown."""


@dataclass
class PathDetails:
    """What a trainer decides about a path (everything but its articles)."""
    title: str
    role: str
    expected_minutes: int
    description: str = ""


def problems(details: PathDetails) -> list[str]:
    found = []
    if not details.title.strip():
        found.append(_("The title is empty."))
    elif len(details.title) > 200:
        found.append(_("The title is longer than 200 characters."))
    if details.role not in ROLES:
        found.append(_("Unknown role %(role)s.", role=repr(details.role)))
    if details.expected_minutes is None or not 0 < details.expected_minutes <= 100_000:
        found.append(_("The expected time is a number of minutes greater than 0."))
    if len(details.description) > 5000:
        found.append(_("The description is longer than 5,000 characters."))
    return found


def find(path_id: int) -> LearningPath | None:
    return db.session.get(LearningPath, path_id)


def all_paths() -> list[tuple[LearningPath, int, int]]:
    """Every path, newest first and archived ones last, with how many articles it has and how many people
    it is assigned to."""
    items = (select(PathItem.path_id, func.count().label("n")).group_by(PathItem.path_id).subquery())
    people = (select(Assignment.path_id, func.count().label("n")).group_by(Assignment.path_id).subquery())
    query = (select(LearningPath, func.coalesce(items.c.n, 0), func.coalesce(people.c.n, 0))
             .outerjoin(items, items.c.path_id == LearningPath.id)
             .outerjoin(people, people.c.path_id == LearningPath.id)
             .order_by(LearningPath.archived, LearningPath.created_at.desc(), LearningPath.id.desc()))
    return [tuple(row) for row in db.session.execute(query)]


def create_path(details: PathDetails, user) -> LearningPath:
    refuse_if(problems(details))
    path = LearningPath(title=details.title.strip(), description=details.description.strip(), role=details.role,
                        expected_minutes=details.expected_minutes, created_by_id=getattr(user, "id", None))
    db.session.add(path)
    db.session.flush()
    audit.record(user, "create", "learning_path", path.id, after=asdict(details))
    return path


def update_path(path: LearningPath, base_version: int, details: PathDetails, user) -> bool:
    """Save the path's details; False when nothing changed."""
    refuse_if(problems(details))
    before = PathDetails(path.title, path.role, path.expected_minutes, path.description)
    after = PathDetails(details.title.strip(), details.role, details.expected_minutes, details.description.strip())
    if base_version != path.version:
        raise PathChanged()
    if before == after:
        return False
    with _changing(path, base_version):
        path.title, path.role = after.title, after.role
        path.expected_minutes, path.description = after.expected_minutes, after.description
    audit.record(user, "update", "learning_path", path.id, before=asdict(before), after=asdict(after))
    return True


def set_archived(path: LearningPath, base_version: int, archived: bool, user) -> bool:
    """Archive a path nobody should follow any more (it leaves My onboarding; its records stay), or take it
    back; False when it already was so."""
    if path.archived == archived:
        return False
    with _changing(path, base_version):
        path.archived = archived
    audit.record(user, "archive" if archived else "reopen", "learning_path", path.id,
                 before={"archived": not archived}, after={"archived": archived})
    return True


@contextmanager
def _changing(path: LearningPath, base_version: int):
    """Change the path inside, then flush with its version raised: a change made since the page was shown
    (here or, at the same moment, in another request) is a PathChanged and nothing of this one is kept."""
    if base_version != path.version:
        raise PathChanged()
    try:
        yield
        flag_modified(path, "title")  # item changes raise the path's version too
        db.session.flush()
    except (StaleDataError, IntegrityError) as clash:
        db.session.rollback()
        raise PathChanged() from clash


def add_item(path: LearningPath, base_version: int, reference: str, user) -> PathItem:
    """Add the published article `reference` names (its number, a link to it or its address) at the end."""
    reference = (reference or "").strip()
    if not reference:
        raise Invalid(_("Give the article's number, link or address."))
    article = kb_service.find_article(reference, user)
    if article is None:
        raise Invalid(_("No published article is found for %(reference)s; give its number, link or address.",
                        reference=repr(reference[:200])))
    if article.state != "published":
        raise Invalid(_("%(title)s is not published; only published articles go into a learning path.",
                        title=article.title))
    if any(item.article_id == article.id for item in path.items):
        raise Invalid(_("%(title)s is in this path already.", title=article.title))
    if len(path.items) >= MAX_ITEMS:
        raise Invalid(_("A path has at most %(n)s articles.", n=MAX_ITEMS))
    with _changing(path, base_version):
        item = PathItem(article=article, position=len(path.items) + 1)
        path.items.append(item)
    audit.record(user, "add_article", "learning_path", path.id, after={"article_id": article.id})
    return item


def _item(path: LearningPath, item_id: int) -> PathItem:
    found = next((item for item in path.items if item.id == item_id), None)
    if found is None:
        raise Invalid(_("That article is not in this path (any more)."))
    return found


def move_item(path: LearningPath, base_version: int, item_id: int, direction: str, user) -> None:
    """Move an article one place up or down in the path."""
    items = list(path.items)
    index = items.index(_item(path, item_id))
    other = index - 1 if direction == "up" else index + 1 if direction == "down" else None
    if other is None:
        raise Invalid(_("Unknown direction."))
    if not 0 <= other < len(items):
        raise Invalid(_("The article is at that end of the path already."))
    with _changing(path, base_version):
        items[index], items[other] = items[other], items[index]
        _renumber(items)
    audit.record(user, "move_article", "learning_path", path.id,
                 after={"article_id": items[other].article_id, "direction": direction})


def remove_item(path: LearningPath, base_version: int, item_id: int, user) -> PathItem:
    item = _item(path, item_id)
    with _changing(path, base_version):
        path.items.remove(item)
        _renumber(path.items)
    audit.record(user, "remove_article", "learning_path", path.id, before={"article_id": item.article_id})
    return item


def _renumber(items: list[PathItem]) -> None:
    for position, item in enumerate(items, start=1):
        item.position = position


# ---- assignments --------------------------------------------------------------------------------

@dataclass
class Assigned:
    """What an assignment did: new people, people whose due date moved, people who had this date already."""
    added: list[User] = field(default_factory=list)
    moved: list[tuple[User, date]] = field(default_factory=list)  # (person, their previous due date)
    unchanged: list[User] = field(default_factory=list)


def parse_usernames(text: str) -> list[str]:
    """'ann, bob\\ncho' -> ['ann', 'bob', 'cho'] (no duplicates, order kept)."""
    return list(dict.fromkeys(name for name in re.split(r"[\s,;，；]+", text or "") if name))


def people_for(usernames: list[str], role: str | None) -> list[User]:
    """The active people named, and every active person holding `role`; Invalid naming every unknown one."""
    found = []
    if len(usernames) > MAX_PEOPLE:
        raise Invalid(_("At most %(n)s people at a time.", n=MAX_PEOPLE))
    if usernames:
        known = {u.username: u for u in db.session.scalars(select(User).where(User.username.in_(usernames)))}
        unknown = [name for name in usernames if name not in known]
        inactive = [name for name in usernames if name in known and not known[name].active]
        problems = [_("There is no user named %(name)s.", name=repr(name[:80])) for name in unknown]
        problems += [_("%(name)s is deactivated.", name=repr(name)) for name in inactive]
        refuse_if(problems)
        found = [known[name] for name in usernames]
    if role:
        if role not in ROLES:
            raise Invalid(_("Unknown role %(role)s.", role=repr(role[:20])))
        holders = list(db.session.scalars(select(User).join(UserRole).where(
            UserRole.role == role, User.active.is_(True)).order_by(User.username)))
        if not holders:
            raise Invalid(_("No active user has the role %(role)s.", role=role))
        found += [u for u in holders if u not in found]
    if not found:
        raise Invalid(_("Name the people (their user names) or choose a role."))
    return found


def assign(path: LearningPath, people: list[User], due_on: date | None, user, today: date) -> Assigned:
    """Give the path to everyone in `people`, due by `due_on`. Someone who has it already keeps their one
    assignment, with its due date changed to `due_on`. All or nothing."""
    if due_on is None:
        raise Invalid(_("Give the due date as 2026-03-31."))
    if due_on < today:
        raise Invalid(_("The due date %(date)s is in the past.", date=due_on.isoformat()))
    existing = {a.user_id: a for a in db.session.scalars(select(Assignment).where(
        Assignment.path_id == path.id, Assignment.user_id.in_([p.id for p in people])))}
    result = Assigned()
    for person in people:
        current = existing.get(person.id)
        if current is None:
            db.session.add(Assignment(path_id=path.id, user_id=person.id, due_on=due_on,
                                      assigned_by_id=getattr(user, "id", None)))
            result.added.append(person)
        elif current.due_on != due_on:
            result.moved.append((person, current.due_on))
            current.due_on = due_on
        else:
            result.unchanged.append(person)
    try:
        db.session.flush()
    except IntegrityError:  # the same person was given this path by another request at this very moment
        db.session.rollback()
        raise Invalid(_("Someone assigned this path at the same moment; nothing was assigned. Try again.")) from None
    audit.record(user, "assign", "learning_path", path.id, after={
        "due_on": due_on.isoformat(), "added": [p.username for p in result.added],
        "moved": [p.username for p, _before in result.moved]})
    return result


def unassign(path: LearningPath, assignment_id: int, user) -> User:
    found = db.session.scalar(select(Assignment).where(Assignment.id == assignment_id,
                                                       Assignment.path_id == path.id))
    if found is None:
        raise Invalid(_("That person does not have this path (any more)."))
    person = found.user
    db.session.delete(found)
    db.session.flush()
    audit.record(user, "unassign", "learning_path", path.id, before={"username": person.username,
                                                                     "due_on": found.due_on.isoformat()})
    return person


def assignments_of(user) -> list[Assignment]:
    """The paths given to `user` (archived paths left out), soonest due first."""
    query = (select(Assignment).join(LearningPath).where(Assignment.user_id == user.id,
                                                         LearningPath.archived.is_(False))
             .order_by(Assignment.due_on, Assignment.id))
    return list(db.session.scalars(query).unique())


def is_assigned(path: LearningPath, user) -> bool:
    return user.is_authenticated and db.session.scalar(select(Assignment.id).where(
        Assignment.path_id == path.id, Assignment.user_id == user.id)) is not None


def in_assigned_path(article_id: int, user) -> bool:
    """Whether the article is part of a path given to `user`."""
    return db.session.scalar(select(Assignment.id).join(PathItem, PathItem.path_id == Assignment.path_id).where(
        Assignment.user_id == user.id, PathItem.article_id == article_id).limit(1)) is not None
