"""The phone user's intro text: a small, safe subset of Markdown, never raw HTML."""

from markdown_it import MarkdownIt
from markupsafe import Markup

# "zero" starts with every rule off and html disabled, so raw HTML is escaped and
# unsafe link schemes (javascript:, data:, ...) are refused by markdown-it itself.
_MARKDOWN = MarkdownIt("zero").enable(
    ["heading", "emphasis", "strikethrough", "link", "list", "backticks", "newline"]
)


def render_intro(text: str) -> Markup:
    return Markup(_MARKDOWN.render(text))
