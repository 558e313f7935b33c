"""Model helpers shared by the apps."""

from __future__ import annotations

import functools

from django.db import models
from django.utils.encoding import force_str

from civicgrid.core import immutable


class ChoiceLabels(models.Model):
    """`get_<field>_display()` from a per-field table of labels built once.

    Django's version rebuilds a dict of every choice on each call and hashes each lazy label, which
    translates it: a dozen gettext calls for one label. Lists and API answers show many labels
    (the status of each case, the action of each event), so the models they read use this instead.
    The label is translated when shown, in the active language, as before.
    """

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        try:
            label = _labels(field).get(value, value)
        except TypeError:  # an unhashable value: Django's own lookup copes with it
            return super()._get_FIELD_display(field)
        return force_str(label, strings_only=True)


@functools.cache
def _labels(field) -> dict:
    return dict(field.flatchoices)


class ImmutablePermit(models.Model):
    """A pass through the append-only triggers (core.immutable): a row that lives inside one transaction.

    `core.immutable.permit()` inserts it and deletes it before the transaction ends; the triggers of
    the append-only tables look for it. A committed row would open those tables to everyone, so
    nothing else writes here (there is no admin page).
    """

    purpose = models.CharField(max_length=10)

    class Meta:
        db_table = immutable.PERMIT_TABLE
        verbose_name = "append-only permit"

    def __str__(self) -> str:
        return self.purpose


class WorkerHeartbeat(models.Model):
    """When each running `civicgrid worker` last finished a pass (core.heartbeat)."""

    name = models.CharField(max_length=120, primary_key=True)  # host:pid
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField()

    class Meta:
        verbose_name = "worker heartbeat"

    def __str__(self) -> str:
        return f"{self.name} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"
