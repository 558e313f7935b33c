"""The H5 pages for citizens (/m/) and grid members (/m/grid/)."""

from civicgrid.mobile.views.cases import case_detail, case_me_too, case_rate, my_cases
from civicgrid.mobile.views.grid import grid_home, grid_report, grid_reports, grid_verify, grid_verify_list
from civicgrid.mobile.views.home import home
from civicgrid.mobile.views.notifications import (
    notification_open,
    notification_settings,
    notifications,
    notifications_read_all,
)
from civicgrid.mobile.views.report import category_search, report, report_nearby
from civicgrid.mobile.views.suggest import report_suggest

__all__ = [
    "case_detail",
    "case_me_too",
    "case_rate",
    "category_search",
    "grid_home",
    "grid_report",
    "grid_reports",
    "grid_verify",
    "grid_verify_list",
    "home",
    "my_cases",
    "notification_open",
    "notification_settings",
    "notifications",
    "notifications_read_all",
    "report",
    "report_nearby",
    "report_suggest",
]
