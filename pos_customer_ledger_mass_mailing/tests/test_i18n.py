import os

import polib

from odoo.modules.module import get_module_path
from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import TranslationModuleReader


@tagged("post_install", "-at_install")
class TestMailingBridgeTranslations(TransactionCase):
    def test_zh_cn_translates_every_term(self):
        module = "pos_customer_ledger_mass_mailing"
        terms = {
            source
            for term_module, _type, _name, _res_id, source, _value, _comments in TranslationModuleReader(
                self.env.cr, modules=[module]
            )
            if term_module == module
        }
        po_path = os.path.join(get_module_path(module), "i18n", "zh_CN.po")
        translated = {entry.msgid for entry in polib.pofile(po_path) if entry.msgstr and not entry.obsolete}
        self.assertTrue(terms)
        self.assertFalse(sorted(terms - translated), "terms missing from i18n/zh_CN.po")
