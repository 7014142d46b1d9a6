"""The knowledge-check forms. Their questions and choices vary in number, so the fields are read from the
posted data here; the FlaskForms carry the CSRF token (and the editor's bookkeeping)."""
import re

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import HiddenField

from core.errors import Invalid
from onboarding.checks import MAX_CHOICES, MAX_QUESTIONS, Draft

BLANK_SLOTS = 2  # empty questions the editor offers to fill in
QUESTION_FIELD = re.compile(r"q([0-9]{1,2})-text")
CHOICE_FIELD = re.compile(r"q([0-9]{1,2})-c([0-9]{1,2})(-correct)?")
ANSWER_FIELD = re.compile(r"answer-([0-9]{1,9})")


class BadAnswers(Invalid):
    """The posted answers are not numbers of choices: not sent by our page."""


class CheckEditForm(FlaskForm):
    base = HiddenField()  # checks.fingerprint of the check the editor opened
    blank = HiddenField()  # how many empty question slots the page showed

    def blank_slots(self, filled: int, more: bool = False) -> int:
        """Empty question slots to show: two, two more each time "Add more questions" is pressed, never
        more than the check can take."""
        sent = self.blank.data or ""
        shown = int(sent) if re.fullmatch(r"[0-9]{1,2}", sent) else BLANK_SLOTS  # '²' passes isdigit(), not int()
        wanted = min(shown, MAX_QUESTIONS) + (BLANK_SLOTS if more else 0)
        return max(0, min(wanted, MAX_QUESTIONS - filled))


class CheckTakeForm(FlaskForm):
    check = HiddenField()  # checks.fingerprint of the check the questions were shown from


def parse_draft(formdata) -> Draft:
    """The questions the editor filled in, in the order shown. An empty slot (no text, no choice, nothing
    ticked) is left out; anything else is kept as typed, for the rules to judge."""
    questions: dict[int, dict] = {}
    for name in formdata:
        question, choice = QUESTION_FIELD.fullmatch(name), CHOICE_FIELD.fullmatch(name)
        if question:
            questions.setdefault(int(question[1]), {"text": "", "choices": {}})["text"] = formdata[name]
        elif choice:
            slot = questions.setdefault(int(choice[1]), {"text": "", "choices": {}})
            text, correct = slot["choices"].get(int(choice[2]), ("", False))
            if choice[3]:
                correct = True
            else:
                text = formdata[name]
            slot["choices"][int(choice[2])] = (text, correct)
    draft = []
    for _n, slot in sorted(questions.items()):
        choices = [(text, correct) for _c, (text, correct) in sorted(slot["choices"].items())
                   if text.strip() or correct]
        if slot["text"].strip() or choices:
            draft.append((slot["text"], choices))
    return draft


def choice_slots(choices: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """A question's choices padded with empty ones up to the most a question takes."""
    return list(choices) + [("", False)] * max(0, MAX_CHOICES - len(choices))


def parse_answers(formdata) -> dict[int, set[int]]:
    """{question id: {choice ids ticked}} from the check page's radio buttons and checkboxes."""
    answers: dict[int, set[int]] = {}
    for name in formdata:
        field = ANSWER_FIELD.fullmatch(name)
        if field is None:
            if name.startswith("answer-"):
                raise BadAnswers(_("The answers sent are not choices of this check; nothing was recorded."))
            continue
        values = formdata.getlist(name)
        if not all(v.isascii() and v.isdigit() and len(v) <= 9 for v in values):
            raise BadAnswers(_("The answers sent are not choices of this check; nothing was recorded."))
        answers[int(field[1])] = {int(v) for v in values}
    return answers
