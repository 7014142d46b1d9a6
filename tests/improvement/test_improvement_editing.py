"""Editing an improvement's details: a save over someone else's newer save shows both with the text kept,
and a cycle already under way can be opened with the date it started."""
import re
from datetime import timedelta

from core import clock
from core.db import db
from improvement.models import Improvement


def stored(improvement_id: int) -> Improvement:
    db.session.remove()
    return db.session.get(Improvement, improvement_id)


def form_fields(page: str) -> dict:
    """What the browser would send back: every input's and select's current value."""
    values = {m.group(1): m.group(2) for m in re.finditer(r'<input[^>]*name="([a-z_]+)"[^>]*value="([^"]*)"', page)}
    for name, options in re.findall(r'<select[^>]*name="([a-z_]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', options)
        values[name] = next(v for v in chosen.groups() if v is not None) if chosen else "0"
    values.pop("csrf_token", None)
    return values


def test_a_save_over_a_newer_save_is_refused_and_keeps_what_was_typed(client, login_as, make_improvement):
    improvement = make_improvement(title="Slow replies")
    login_as("quality_lead", "lead2")
    edit = f"/improvements/{improvement.id}/edit"
    mine = form_fields(client.get(edit).text)
    assert mine["base_version"] == str(improvement.version)

    other = stored(improvement.id)  # another lead saves first
    other.touchpoint = "Phone"
    db.session.commit()

    answer = client.submit(edit, mine | {"title": "Slow replies to e-mail", "what_changed": "A rota"}, token_from=edit)
    assert answer.status_code == 409            # the "changed meanwhile" page articles have
    assert "Someone else saved this improvement first" in answer.text
    assert "Someone else saved this improvement after you opened it" in answer.text
    saved, differences = answer.text.split("The saved version")[1].split("Differences: saved version")
    assert "Touchpoint: Phone" in saved and "Title: Slow replies" in saved
    assert 'class="diff-added"' in differences and "Slow replies to e-mail" in differences
    assert "saving again replaces theirs where the two differ: title, touchpoint, what changed." in answer.text
    assert "Slow replies to e-mail" in answer.text and "A rota" in answer.text  # nothing typed is lost
    assert stored(improvement.id).title == "Slow replies" and stored(improvement.id).touchpoint == "Phone"

    again = form_fields(answer.text)  # the form now carries the newer version: saving again is a choice
    again |= {"what_changed": "A rota", "touchpoint": "Phone"}  # the lead keeps the other's touchpoint
    assert client.submit(edit, again, token_from=edit).status_code == 303
    saved = stored(improvement.id)
    assert (saved.title, saved.touchpoint, saved.what_changed) == ("Slow replies to e-mail", "Phone", "A rota")


def test_a_cycle_under_way_is_opened_with_its_start_date_but_not_one_in_the_future(client, login_as):
    lead = login_as("quality_lead")
    fields = {"title": "Queue at the counter", "source": "complaint", "dimension": "responsiveness",
              "severity": "medium", "owner_id": lead.id, "metric_id": 0, "follows_id": 0}
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    refused = client.submit("/improvements/new", fields | {"started_on": tomorrow}, token_from="/improvements/new")
    assert refused.status_code == 400 and f"The start date {tomorrow} is in the future." in refused.text
    assert db.session.query(Improvement).count() == 0
    started = clock.today() - timedelta(weeks=10)
    answer = client.submit("/improvements/new", fields | {"started_on": started.isoformat()},
                           token_from="/improvements/new")
    assert answer.status_code == 303
    assert stored(int(answer.headers["Location"].rsplit("/", 1)[1])).started_on == started
    assert "started_on" not in client.get(answer.headers["Location"] + "/edit").text  # set once, when opened
