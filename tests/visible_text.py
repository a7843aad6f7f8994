"""What a reader sees on a page: text outside tags, scripts and styles, plus the attributes
a browser shows (tooltips, placeholders, labels read aloud, button captions)."""

from __future__ import annotations

from html.parser import HTMLParser

SHOWN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")


class _Visible(HTMLParser):
    HIDDEN = {"script", "style", "template", "svg", "noscript"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden += 1
            return
        attributes = dict(attrs)
        self.parts.extend(attributes[name] for name in SHOWN_ATTRIBUTES
                          if attributes.get(name))
        if tag == "input" and attributes.get("type", "text") in ("submit", "button", "text") \
                and attributes.get("value"):
            self.parts.append(attributes["value"])

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> list[str]:
    """The pieces of text a reader sees, in page order."""
    parser = _Visible()
    parser.feed(html)
    return parser.parts
