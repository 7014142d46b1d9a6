"""A demo learning path built through the onboarding functions: 'New front-line staff', four published demo
articles, assigned to the user 'staff' due in two weeks, with the first article already confirmed."""
from datetime import timedelta

from accounts import auth
from core import clock
from onboarding import paths, reading

ARTICLES = ("first-response-service-standard", "complaint-handling-procedure", "faq-refunds-and-goodwill-gestures",
            "servqual-dimensions-for-front-line-staff")


def load() -> str:
    trainer, staff = auth.find_user("trainer"), auth.find_user("staff")
    if trainer is None or staff is None:
        return "No demo learning path (the demo users are missing)."
    path = paths.create_path(paths.PathDetails(
        title="New front-line staff", role="staff", expected_minutes=90,
        description="Your first two weeks: how fast we answer, how we handle complaints and refunds, and what "
                    "customers judge us on. Read each article to the end and confirm it."), trainer)
    items = [paths.add_item(path, path.version, slug, trainer) for slug in ARTICLES]
    today = clock.today()
    paths.assign(path, [staff], today + timedelta(days=14), trainer, today)
    first = items[0].article
    reading.acknowledge(first, staff, reading.current_revisions([first.id])[first.id])
    return f"Demo learning path: {len(items)} articles, assigned to 'staff'."
