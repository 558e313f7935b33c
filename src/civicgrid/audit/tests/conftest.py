import pytest

from civicgrid.accounts.sms import MemorySmsSender


@pytest.fixture
def sms(settings):
    """Login codes go to memory (MemorySmsSender.outbox) instead of the server log."""
    settings.CIVICGRID_SMS_SENDER = "civicgrid.accounts.sms.MemorySmsSender"
    MemorySmsSender.outbox.clear()
    yield MemorySmsSender
    MemorySmsSender.outbox.clear()
