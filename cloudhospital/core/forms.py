"""Forms render with the design system: a label, the widget, help and the field's own errors.

Every Django form in the project (``{{ form }}``, ``form.as_div``) uses these templates
through ``FORM_RENDERER``, so field-level errors show next to the field they belong to."""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates


class ProjectFormRenderer(DjangoTemplates):
    form_template_name = "forms/div.html"
    field_template_name = "forms/field.html"
