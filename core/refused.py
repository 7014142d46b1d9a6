"""The one way a rule says no (the improvement register, learning paths, knowledge checks): every reason,
in words the user understands."""


class Refused(ValueError):
    """The change was not made; `problems` says why (each a sentence), nothing was written."""

    def __init__(self, *problems):
        super().__init__(" ".join(str(p) for p in problems))
        self.problems = [str(p) for p in problems]


def refuse_if(problems: list) -> None:
    if problems:
        raise Refused(*problems)
