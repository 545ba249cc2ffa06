import io

from lxml import html as lxml_html

from odoo.tests import tagged
from odoo.tools import file_open
from odoo.tools.translate import TranslationImporter

from .common import CollectionsCommon

REPORT = "crm_collections.action_report_dunning_letter"


@tagged("post_install", "-at_install")
class TestLetter(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR")  # 2 EUR for 1 USD
        cls.level2.letter_text = "<p>Please settle the invoices below.</p>"
        cls.customer = cls._customer("Two Currencies SA")
        cls.usd_moves = cls._overdue_batch(
            [(cls.customer, 40, 100.0), (cls.customer, 31, 50.0)]
        )
        cls.eur_move = cls._overdue(cls.customer, 35, 200.0, currency=cls.eur)

    def _html(self, line):
        return self.env["ir.actions.report"]._render_qweb_html(REPORT, line.ids)[0]

    @staticmethod
    def _texts(tree, xpath):
        return [" ".join(el.text_content().split()) for el in tree.xpath(xpath)]

    def test_letter_totals_in_two_currencies(self):
        run = self._run()
        line = self._line(run, self.customer)
        self.assertEqual(line.amount_total, 250.0)  # 150 USD + 200 EUR / 2
        tree = lxml_html.fromstring(self._html(line))
        rows = tree.xpath("//table[@name='invoices']/tbody/tr")
        self.assertEqual(len(rows), 3)
        text = " ".join(tree.text_content().split())
        for move in self.usd_moves | self.eur_move:
            self.assertIn(move.name, text)
        self.assertIn("Please settle the invoices below.", text)
        totals = self._texts(tree, "//tr[hasclass('o_collections_total')]")
        self.assertEqual(len(totals), 2)
        self.assertIn("EUR", totals[0])
        self.assertIn("200.00", totals[0])
        self.assertIn("USD", totals[1])
        self.assertIn("150.00", totals[1])
        company_total = self._texts(
            tree, "//tr[hasclass('o_collections_total_company')]"
        )
        self.assertIn("250.00", company_total[0])
        # days overdue per invoice
        days = [" ".join(row.xpath("td")[3].text_content().split()) for row in rows]
        self.assertEqual(sorted(days), ["31", "35", "40"])

    def test_letter_in_partner_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        # The letter's terms are read from i18n/fr.po without merging the
        # .pot (PoFileReader drops entries the .pot does not list yet).
        importer = TranslationImporter(self.env.cr, verbose=False)
        with file_open("crm_collections/i18n/fr.po", "rb") as po_file:
            source = io.BytesIO(po_file.read())
        source.name = "fr.po"
        importer.load(source, "po", "fr_FR")
        importer.save(overwrite=True)
        self.env.invalidate_all()
        self.env.registry.clear_cache("templates")
        view = self.env.ref("crm_collections.report_dunning_letter_document")
        self.assertIn("Jours de retard", view.with_context(lang="fr_FR").arch_db)
        self.customer.lang = "fr_FR"
        run = self._run()
        line = self._line(run, self.customer)
        text = " ".join(lxml_html.fromstring(self._html(line)).text_content().split())
        self.assertIn("Si vous avez déjà payé", text)
        self.assertIn("Rappel de paiement", text)
        self.assertIn("Jours de retard", text)
        self.assertNotIn("Days Overdue", text)

    def test_explanation_translated(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        run = self._run()
        line = self._line(run, self.customer)
        self.assertIn("is 40 days overdue", line.explanation)
        line.invalidate_recordset(["explanation"])
        explanation = line.with_context(lang="fr_FR").explanation
        self.assertIn("est en retard de 40 jours", explanation)
        self.assertIn(self.usd_moves[0].name, explanation)
