"""Admin building blocks every app's admin uses; below all apps, it imports none of them.

- `ServiceModelAdmin`: saves and deletes go through the app's services.
- `ReadOnlyAdmin` / `ReadOnlyInline`: rows nobody adds, changes or deletes here.
- `LabelledTabularInline`: a tabular inline whose every control is labelled.
- `is_set_filter()`: a two-choice list filter on whether a column is set.
- `SECRET_FIELDS` / `reaches_secret()`: columns holding a secret; no changelist lookup,
  search or ordering may reach one, directly or across relations.
- `refused_lookups`: words no changelist lookup may contain.
- `SafeChangeList`: a query string out of range (`?created_at__year=9999`) is answered
  like any other bad lookup (the list with "?e=1"), never a 500.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import actions
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import (
    EmptyResultSet,
    FieldDoesNotExist,
    FullResultSet,
    ValidationError,
)
from django.db import models, transaction
from django.db.models.constants import LOOKUP_SEP
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy

# Columns that hold a secret, as "<app_label>.<model_name>.<field>". A filter such as
# ?sp_private_key__startswith=A changes the row count with the value, so a key or a hash
# could be read a character at a time; the admin never lets a query reach one.
SECRET_FIELDS = frozenset(
    {
        "users.user.password",
        "tokens.apitoken.digest",
        "tokens.apitoken.creation_nonce",
        "sso.ssosettings.sp_private_key",
        "axes.accesslog.session_hash",
        "sessions.session.session_key",
        "sessions.session.session_data",
    }
)


def reaches_secret(model: type[models.Model], path: str) -> bool:
    """Whether a lookup, search or ordering path (`tenant__tokens__digest__startswith`,
    `^user__password`, `-digest`) names a secret column of `model` or of a related model."""
    opts = model._meta
    for part in path.lstrip("-^=@").split(LOOKUP_SEP):
        try:
            field = opts.pk if part == "pk" else opts.get_field(part)
        except FieldDoesNotExist:
            return False  # a lookup or transform (startswith, lower): the path ends here
        if f"{opts.label_lower}.{field.name}" in SECRET_FIELDS:
            return True
        if field.related_model is None:
            return False
        opts = field.related_model._meta
    return False


def _ordering_path(order_field) -> str | None:
    """The field path an ordering names: a string, F("path"), or F("path").desc()."""
    if isinstance(order_field, str):
        return order_field
    expression = getattr(order_field, "expression", order_field)
    return getattr(expression, "name", None)


class SafeChangeList(ChangeList):
    """Date-hierarchy values past the calendar's end are bad lookups, not a 500; a column
    that would sort by a secret is not sortable (?o= names columns by position)."""

    def get_ordering_field(self, field_name):
        order_field = super().get_ordering_field(field_name)
        if order_field is None:
            return None
        path = _ordering_path(order_field)
        # An expression other than F() is not read through, so it is not trusted either.
        if path is None or reaches_secret(self.model, path):
            return None
        return order_field

    def get_filters(self, request):
        # Django checks that the date exists, then steps to the next year, month or day:
        # year 9999 (or a year too large for an int) overflows there.
        try:
            return super().get_filters(request)
        except (ValueError, OverflowError) as error:
            raise IncorrectLookupParameters(error) from error

    def get_queryset(self, request, exclude_parameters=None):
        # A lookup value is only checked when the query is compiled, after this view
        # has decided the lookups are fine (?created_at__year=0 without a date hierarchy):
        # compile it here, where a bad value can still become "?e=1".
        queryset = super().get_queryset(request, exclude_parameters)
        try:
            queryset.query.sql_with_params()
        except (EmptyResultSet, FullResultSet):
            pass
        except (ValueError, OverflowError) as error:
            raise IncorrectLookupParameters(error) from error
        return queryset


class RefusedLookupsMixin:
    """No changelist lookup, search or ordering reaches a secret (SECRET_FIELDS): Django
    answers such a filter 400, the same for every value, and leaves such search fields and
    sort columns out. Lookups containing a word of `refused_lookups` are refused too."""

    refused_lookups: tuple[str, ...] = ()

    def lookup_allowed(self, lookup, value, request=None):
        if reaches_secret(self.model, lookup):  # type: ignore[attr-defined]
            return False
        if any(word in lookup for word in self.refused_lookups):
            return False
        return super().lookup_allowed(lookup, value, request)  # type: ignore[misc]

    def get_search_fields(self, request):
        return [
            field
            for field in super().get_search_fields(request)  # type: ignore[misc]
            if not reaches_secret(self.model, field)  # type: ignore[attr-defined]
        ]

    def get_changelist(self, request, **kwargs):
        return SafeChangeList


class ReadOnlyMixin:
    """Nobody adds, changes or deletes these rows here, superusers included."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyMixin, RefusedLookupsMixin, admin.ModelAdmin):
    """Rows that are only found and read; state changes, if any, are admin actions."""


class LabelledInlineFormSet(BaseInlineFormSet):
    """Django's tabular inline names a column once, in its header, so a screen reader meets
    unlabelled inputs (axe: `label`); each control gets its column's name as its label."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        for field in form.fields.values():
            field.widget.attrs.setdefault("aria-label", str(field.label))


class LabelledTabularInline(admin.TabularInline):
    formset = LabelledInlineFormSet


class ReadOnlyInline(ReadOnlyMixin, LabelledTabularInline):
    """Related rows shown on a page, changed elsewhere."""

    extra = 0


def is_set_filter(
    field: str,
    title: str,
    *,
    is_set: tuple[str, str],
    not_set: tuple[str, str],
) -> type[admin.SimpleListFilter]:
    """A list filter with two choices, (value, label) each: `field` is set, or it is not.

    "Not set" is NULL for a nullable column, else the empty string. The query parameter is
    the title in snake case ("Token Access": ?token_access=on).
    """
    parameter_name = title.lower().replace(" ", "_")

    def unset(model: type[models.Model]) -> models.Q:
        if getattr(model._meta.get_field(field), "null", False):
            return models.Q(**{f"{field}__isnull": True})
        return models.Q(**{field: ""})

    class IsSetFilter(admin.SimpleListFilter):
        def lookups(self, request, model_admin):
            return [is_set, not_set]

        def queryset(self, request, queryset):
            if self.value() == is_set[0]:
                return queryset.exclude(unset(queryset.model))
            if self.value() == not_set[0]:
                return queryset.filter(unset(queryset.model))
            return queryset

    IsSetFilter.title = title
    IsSetFilter.parameter_name = parameter_name
    IsSetFilter.__name__ = IsSetFilter.__qualname__ = f"{parameter_name.title()}Filter"
    return IsSetFilter


def _adopt(instance, saved) -> None:
    """Copy what a service saved onto the admin's form instance, for its log and redirect."""
    for field in saved._meta.concrete_fields:
        setattr(instance, field.attname, getattr(saved, field.attname))


@admin.action(
    permissions=["delete"], description=gettext_lazy("Delete selected %(verbose_name_plural)s")
)
def delete_selected(modeladmin, request, queryset):
    """Django's bulk delete in one transaction: one refused row and nothing is deleted."""
    try:
        with transaction.atomic():
            return actions.delete_selected(modeladmin, request, queryset)
    except ValidationError as error:
        modeladmin.message_user(request, " ".join(error.messages), messages.ERROR)
        return None


class ServiceModelAdmin(RefusedLookupsMixin, admin.ModelAdmin):
    """A ModelAdmin whose saves and deletes go through the app's services.

    The rules live in the services only, so the admin does not check them again.
    A POST runs the service inside the transaction Django's changeform_view opens;
    when the service raises ValidationError that transaction rolls back (no row,
    no audit event, no admin log entry) and the view runs once more with the same
    POST and a form whose clean() raises the service's error, so Django renders
    the page as for any invalid form: the message on top, the posted values kept.
    Re-checking the rules in the form with the services' private helpers would
    duplicate them and race with concurrent changes; this runs them exactly once.

    Subclasses implement save_through_services() and delete_through_services(). On the add
    page, a `tenant` field is required.
    """

    actions = [delete_selected]

    def save_through_services(self, request, form, formsets, change):
        raise NotImplementedError

    def delete_through_services(self, request, obj):
        raise NotImplementedError

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            if request.method != "POST" or hasattr(request, "refused_change"):
                raise
            request.refused_change = error
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None and "tenant" in form.base_fields:
            # A row made here belongs to a tenant; the services refuse one without.
            form.base_fields["tenant"].required = True
        refused = getattr(request, "refused_change", None)
        if refused is None:
            return form
        refused_messages = refused.messages

        class RefusedChangeForm(form):  # type: ignore[valid-type,misc]
            def clean(self):
                super().clean()
                raise ValidationError(refused_messages)

        return RefusedChangeForm

    def save_model(self, request, obj, form, change):
        # Nothing is saved here: save_related makes the service call, once the
        # inline rows are known too, so that one change is one service call.
        pass

    def save_related(self, request, form, formsets, change):
        saved = self.save_through_services(request, form, formsets, change)
        _adopt(form.instance, saved)

    def construct_change_message(self, request, form, formsets, add=False):
        # The services saved the inline rows, not formset.save(); the audit trail has them.
        return super().construct_change_message(request, form, [], add)

    def delete_model(self, request, obj):
        self.delete_through_services(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_through_services(request, obj)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            opts = self.opts
            return HttpResponseRedirect(
                reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_change",
                    args=[object_id],
                    current_app=self.admin_site.name,
                )
            )
