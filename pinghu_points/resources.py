"""The base of every django-import-export resource (the admin's downloads and imports).

Downloads are neutralised like every other export (`pinghu_points.exports.neutralise`),
and a re-import of a download gets the stored values back (`restore`).
"""

from import_export import resources
from import_export.widgets import NumberWidget

from .exports import neutralise, restore


class NeutralisingResourceMixin:
    """For every django-import-export resource of the admin: downloads are neutralised
    like every other export, and a re-import of a download gets the stored values back.

    A value rendered by a number widget is a number and is left alone (in xlsx
    downloads import-export hands it over as a native number). django-import-export's
    own `IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT` stays off: it deletes the `=`,
    which silently changes the value, and ignores `+ - @`.
    """

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        if isinstance(field.widget, NumberWidget):
            return value
        return neutralise(value)

    def before_import_row(self, row, **kwargs):
        for key in list(row.keys()):
            row[key] = restore(row[key])
        return super().before_import_row(row, **kwargs)


class ModelResource(NeutralisingResourceMixin, resources.ModelResource):
    """The base of every django-import-export resource of the product."""
