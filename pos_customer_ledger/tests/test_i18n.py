import os

import polib

from odoo.exceptions import UserError
from odoo.modules.module import get_module_path
from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import TranslationModuleReader


@tagged("post_install", "-at_install")
class TestLedgerTranslations(TransactionCase):
    def test_zh_cn_translates_every_term(self):
        # a file the extractor cannot read (an f-string among a message's
        # arguments) loses its terms after that point, with only a log line
        with self.assertNoLogs("odoo.tools.translate", level="ERROR"):
            terms = {
                source
                for module, _type, _name, _res_id, source, _value, _comments in TranslationModuleReader(
                    self.env.cr, modules=["pos_customer_ledger"]
                )
                if module == "pos_customer_ledger"
            }
        po_path = os.path.join(get_module_path("pos_customer_ledger"), "i18n", "zh_CN.po")
        translated = {entry.msgid for entry in polib.pofile(po_path) if entry.msgstr and not entry.obsolete}
        self.assertTrue(terms)
        self.assertFalse(sorted(terms - translated), "terms missing from i18n/zh_CN.po")

    def test_errors_reach_the_user_in_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["pos_customer_ledger"], ["zh_CN"], overwrite=True)
        entries = self.env["pos.customer.ledger.entry"].with_context(lang="zh_CN")
        with self.assertRaisesRegex(UserError, "台账分录只能由记账生成"):
            entries.create({"name": "forged"})
        kinds = dict(entries._fields["kind"]._description_selection(entries.env))
        self.assertEqual(kinds["sale"], "销售")
