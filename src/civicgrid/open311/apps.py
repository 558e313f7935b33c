from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Open311Config(AppConfig):
    name = "civicgrid.open311"
    label = "open311"
    verbose_name = _("Open311 接口")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from civicgrid.open311.models import Open311Attribute
        from civicgrid.taxonomy.cache import taxonomy_changed

        # A service's questions are kept per process with the taxonomy (selectors.attributes_of): a change
        # moves the taxonomy revision, so that every process loads them again.
        def changed(sender, **kwargs) -> None:
            if not kwargs.get("raw"):
                taxonomy_changed()

        post_save.connect(
            changed, sender=Open311Attribute, dispatch_uid="open311-attributes-save", weak=False
        )
        post_delete.connect(
            changed, sender=Open311Attribute, dispatch_uid="open311-attributes-delete", weak=False
        )
