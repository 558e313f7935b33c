from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "civicgrid.cases"
    label = "cases"
    verbose_name = _("案件")

    def ready(self) -> None:
        from django.conf import settings
        from PIL import Image

        from civicgrid.accounts.services import personal_data_eraser
        from civicgrid.cases.erasure import erase_personal_data
        from civicgrid.cases.tasks import overdue_digest, scan_overdue
        from civicgrid.core import periodic

        # Red lights (超期) are marked by the worker, and told as one digest per person and period.
        periodic.register("cases.scan_overdue", scan_overdue)
        periodic.register("cases.overdue_digest", overdue_digest)
        # An erasure of personal data masks the contact fields and notes cases hold.
        personal_data_eraser(erase_personal_data)
        # Every image Pillow opens (not only report photos) warns above the photo limit and is
        # refused above twice it, instead of Pillow's default of about 179 megapixels.
        Image.MAX_IMAGE_PIXELS = settings.CIVICGRID_PHOTO_MAX_PIXELS
