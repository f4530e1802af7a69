import render_pages


def test_title():
    assert render_pages.title("release_notes") == "Release Notes"


def test_page():
    assert "<h1>Release Notes</h1>" in render_pages.page("release_notes")
