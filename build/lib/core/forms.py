"""Bootstrap styling shared by the back office's forms: a class per widget, and error marks."""

from django import forms


def widget_class(widget) -> str:
    if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
        return "form-check-input"
    if isinstance(widget, forms.Select):
        return "form-select"
    return "form-control"


class BootstrapFormMixin:
    """``style()`` gives every widget its Bootstrap class; fields with errors are marked
    ``is-invalid`` so the page shows the message next to them."""

    def style(self) -> None:
        for field in self.fields.values():
            field.widget.attrs["class"] = widget_class(field.widget)

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
