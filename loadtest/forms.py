"""Reading the site's HTML forms the way a browser would, for the load-test clients."""

from html.parser import HTMLParser


class Forms(HTMLParser):
    """Every ``<form>`` of a page: its hidden and text inputs (name -> value), the values
    offered by each group of radio buttons, and its textareas (name -> text)."""

    def __init__(self, html: str):
        super().__init__()
        self.forms: list[dict] = []
        self._form = None
        self._textarea = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"fields": {}, "radios": {}, "textareas": {}, "action": a.get("action")}
            self.forms.append(self._form)
        elif self._form is None or "name" not in a:
            return
        elif tag == "input" and a.get("type") == "radio":
            self._form["radios"].setdefault(a["name"], []).append(a.get("value", ""))
        elif tag == "input" and a.get("type") not in ("submit", "button", "checkbox"):
            self._form["fields"][a["name"]] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self._form["textareas"][a["name"]] = ""

    def handle_data(self, data):
        if self._textarea is not None:
            self._form["textareas"][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._form = None

    def with_field(self, name: str) -> dict | None:
        """The first form that has a field called ``name``."""
        return next((f for f in self.forms if name in f["fields"]), None)
