"""Nested lists typed with 2, 3 or 4 spaces all render as nested lists; other Markdown is untouched."""
import pytest

from core.markdown import render
from core.markdown_lists import normalise_list_indents


def compact(html: str) -> str:
    return "".join(line.strip() for line in html.splitlines())


@pytest.mark.parametrize("spaces", [3, 4])
def test_a_nested_bullet_list_under_a_numbered_item_is_nested(spaces):
    pad = " " * spaces
    html = compact(render(f"1. Check the account\n{pad}- locked\n{pad}- unverified\n2. Send the link\n"))
    assert html == ("<ol><li>Check the account<ul><li>locked</li><li>unverified</li></ul></li>"
                    "<li>Send the link</li></ol>")


def test_three_levels_typed_with_two_spaces_nest_three_deep():
    html = compact(render("- a\n  - b\n    - c\n- d\n"))
    assert html == "<ul><li>a<ul><li>b<ul><li>c</li></ul></li></ul></li><li>d</li></ul>"


def test_a_second_paragraph_under_an_item_stays_in_the_item():
    html = compact(render("1. First step\n\n   More about it.\n\n2. Second step\n"))
    assert html == "<ol><li><p>First step</p><p>More about it.</p></li><li><p>Second step</p></li></ol>"


def test_an_indented_code_block_outside_a_list_is_left_alone():
    text = "Say this:\n\n    Thank you for waiting.\n\nThen listen.\n"
    assert normalise_list_indents(text) == text
    assert "<pre><code>Thank you for waiting." in render(text)


def test_a_fenced_block_is_left_alone():
    text = "- item\n\n```\n  - not a list\n```\n"
    assert normalise_list_indents(text) == text


def test_a_paragraph_after_a_list_ends_it():
    html = compact(render("- one\n- two\n\nAfter the list.\n\n  - a new list\n"))
    assert html.startswith("<ul><li>one</li><li>two</li></ul><p>After the list.</p>")


def test_text_that_is_already_four_space_indented_renders_the_same():
    text = "- one\n    - a\n    - b\n- two\n"
    assert normalise_list_indents(text) == text


@pytest.mark.parametrize("marker", ["-", "1."])
def test_an_item_straight_after_an_items_second_paragraph_starts_a_new_item(marker):
    pad = " " * (len(marker) + 1)
    html = compact(render(f"{marker} Item one\n\n{pad}Second paragraph.\n{marker} Item two\n"))
    tag = "ul" if marker == "-" else "ol"
    assert html == f"<{tag}><li><p>Item one</p><p>Second paragraph.</p></li><li><p>Item two</p></li></{tag}>"


def test_a_nested_item_straight_after_a_second_paragraph_starts_a_nested_list():
    html = compact(render("- a\n\n  more about a\n  - a1\n- b\n"))
    assert html == "<ul><li><p>a</p><p>more about a</p><ul><li>a1</li></ul></li><li><p>b</p></li></ul>"


def test_a_number_that_cannot_start_a_list_stays_in_the_paragraph():
    html = compact(render("- a\n\n  The year since\n  1900. That is all.\n"))
    assert html == "<ul><li><p>a</p><p>The year since1900. That is all.</p></li></ul>"


@pytest.mark.parametrize("fence", ["```", "~~~~"])
def test_fenced_code_inside_a_list_item_is_code(fence):
    text = (f"1. Open the console:\n\n   {fence}sh\n   sudo systemctl restart router\n     <b>indented</b>\n"
            f"   {fence}\n\n2. Call the customer back.\n")
    html = compact(render(text))
    assert html == ("<ol><li><p>Open the console:</p><pre><code>sudo systemctl restart router"
                    "&lt;b&gt;indented&lt;/b&gt;</code></pre></li><li><p>Call the customer back.</p></li></ol>")
    assert "  <b>indented</b>\n</code>" in render(text).replace("&lt;", "<").replace("&gt;", ">")


def test_fenced_code_in_a_tight_nested_item_is_code_inside_that_item():
    html = compact(render("- a\n  - b\n    ```\n    x = 1\n    ```\n- c\n"))
    assert html == "<ul><li>a<ul><li>b<pre><code>x = 1</code></pre></li></ul></li><li>c</li></ul>"


def test_an_indented_fence_outside_a_list_stays_an_indented_code_block():
    assert compact(render("Say:\n\n    ```\n    text\n    ```\n")) == "<p>Say:</p><pre><code>```text```</code></pre>"
