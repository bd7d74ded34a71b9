from pathlib import Path

from odoo.tests import TransactionCase, tagged

from odoo.addons.pos_customer_ledger.tests.registration import unregistered_test_modules


@tagged("post_install", "-at_install")
class TestRegistration(TransactionCase):
    def test_every_test_module_registered(self):
        """Odoo's runner runs only the test modules tests/__init__.py imports."""
        self.assertEqual(unregistered_test_modules(Path(__file__).parent), [])
