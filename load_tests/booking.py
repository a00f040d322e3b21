"""stub"""

from load_tests.common import NotAvailable


def measure(profile, tmp):
    raise NotAvailable("not written yet")
