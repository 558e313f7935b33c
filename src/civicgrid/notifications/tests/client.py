"""A test-local NinjaAPI with the notifications router and the project's error handlers.

The router is not mounted in civicgrid.api yet (another app's file); once it is, tests can go
through `/api/notifications/` with Django's client instead.
"""

from __future__ import annotations

from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.testing import TestClient

from civicgrid.api import on_auth_error, on_domain_error, on_validation_error
from civicgrid.core.errors import DomainError
from civicgrid.core.renderers import JSONRenderer
from civicgrid.notifications.api import router

test_api = NinjaAPI(renderer=JSONRenderer(), urls_namespace="notifications-tests")
test_api.add_exception_handler(DomainError, on_domain_error)
test_api.add_exception_handler(NinjaValidationError, on_validation_error)
test_api.add_exception_handler(AuthenticationError, on_auth_error)
test_api.add_router("/notifications", router)

client = TestClient(test_api)
