import logging

from odoo.tests import tagged

from .common import CollectionsCommon

_logger = logging.getLogger(__name__)


@tagged("post_install", "-at_install")
class TestSendQueries(CollectionsCommon):
    """The sending job's query count (documented in the admin guide):
    letters and lines without a channel cost a constant number of queries
    per batch; an email costs about 24 queries (one composer and
    message_post per line, its letter differs)."""

    def _count(self, size, channel):
        self.level2.channel = channel
        self.Line.search([("state", "=", "to_send")]).sudo().write(
            {"state": "cancelled"}
        )
        partners = self.env["res.partner"].create(
            [
                {
                    "name": f"Q{channel}{size}-{i}",
                    "is_company": True,
                    "email": "q@x.example.com",
                }
                for i in range(size)
            ]
        )
        self._overdue_batch([(partner, 40, 100.0) for partner in partners])
        run = self._run()
        run.action_validate()
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        self.Line._cron_collections_send()
        count = self.env.cr.sql_log_count - before
        self.assertEqual(set(run.line_ids.mapped("state")), {"sent"})
        _logger.info("sending %s %s lines: %s queries", size, channel, count)
        return count

    def test_none_channel_constant(self):
        small = self._count(3, "none")
        large = self._count(12, "none")
        self.assertLessEqual(large - small, 2, f"{small} vs {large} queries")

    def test_letter_per_line_cost(self):
        small = self._count(3, "letter")
        large = self._count(12, "letter")
        # the letters of a batch are rendered, attached and logged in bulk
        self.assertLessEqual(large - small, 5, f"{small} vs {large} queries")

    def test_email_per_line_cost(self):
        self.level2.mail_template_id = self.template
        small = self._count(3, "email")
        large = self._count(12, "email")
        per_line = (large - small) / 9
        # one composer per email (its letter differs) plus the letter
        self.assertLessEqual(per_line, 30, f"{small} vs {large} queries")
