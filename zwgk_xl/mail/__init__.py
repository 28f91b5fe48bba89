"""Mail: send each unit its forms, remind late units, collect the replies.

* :func:`send_forms` — ``zwgk-xl mail send``
* :func:`remind` — ``zwgk-xl mail remind``
* :func:`fetch` — ``zwgk-xl mail fetch``

Settings come from :func:`load_config`; every message sent or fetched is
recorded in the ledger (tables ``mail_log``, ``fetch_log`` and
``received_files``, see :mod:`zwgk_xl.mail.log`).
"""

from zwgk_xl.mail.compose import Attachment, Outgoing, attachment_headers
from zwgk_xl.mail.config import MailConfig, get_password, load_config
from zwgk_xl.mail.fetch import FetchResult, ReceivedFile, fetch, safe_attachment_name
from zwgk_xl.mail.remind import Reminder, remind, units_to_remind
from zwgk_xl.mail.send import MailItem, MailResult, Throttle, collect_forms, send_forms, split_addresses

__all__ = [
    "Attachment", "Outgoing", "attachment_headers", "MailConfig", "get_password", "load_config",
    "FetchResult", "ReceivedFile", "fetch", "safe_attachment_name", "Reminder", "remind",
    "units_to_remind", "MailItem", "MailResult", "Throttle", "collect_forms", "send_forms", "split_addresses",
]
