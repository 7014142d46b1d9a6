"""Named hooks, one registry per app: a package that is used by another one (kb, core) offers a place,
and the packages that use it fill that place when the app starts, so imports keep pointing one way.

- `register(app, "article-header", fn)` at start-up; `results("article-header", article=a)` at run time
  gives every registered function's answer, in the order the packages were set up;
- in a template, `template_hook("article-end", article=article)` joins the answers as HTML (each
  answer is a rendered template, so it is escaped where it carries users' text).

The places: "article-header", "article-end" (kb's article page), "evidence-actions" (kb's content
health and flag queue), "content-health" (a section of kb's content health page), "demo-content" (`flask init --demo`), "database-restored" (`flask restore`)."""
from collections.abc import Callable

from flask import Flask, current_app
from markupsafe import Markup

KEY = "servicebook.hooks"


def register(app: Flask, name: str, function: Callable) -> None:
    app.extensions.setdefault(KEY, {}).setdefault(name, []).append(function)


def results(name: str, *args, **kwargs) -> list:
    return [function(*args, **kwargs) for function in current_app.extensions.get(KEY, {}).get(name, [])]


def template_hook(name: str, **kwargs) -> Markup:
    """The answers joined as HTML: a template hook answers with a rendered template (autoescaped), or ""."""
    return Markup("".join(str(answer) for answer in results(name, **kwargs) if answer))


def init_app(app: Flask) -> None:
    app.add_template_global(template_hook)
