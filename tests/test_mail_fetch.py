"""mail fetch against a real IMAP server: a private dovecot started on 127.0.0.1 (SSL only)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import imaplib
import json
from urllib.parse import quote
from email.message import EmailMessage

import pytest
from click.testing import CliRunner

from zwgk_xl.cli import main
from zwgk_xl.core.errors import MailError
from zwgk_xl.ledger.store import Ledger
from zwgk_xl.mail import fetch, safe_attachment_name
from zwgk_xl.mail import log as mail_log
from zwgk_xl.mail.compose import Attachment, Outgoing

from _mail_helpers import DOVECOT_PASSWORD, DOVECOT_USER, SENDER, Dovecot, have_dovecot, make_forms

pytestmark = pytest.mark.skipif(not have_dovecot(), reason="dovecot is not installed (apt-get install dovecot-imapd)")


@pytest.fixture
def imap(tmp_path, monkeypatch):
    server = Dovecot(tmp_path / "imap")
    server.start()
    monkeypatch.setenv("ZWGK_IMAP_PASSWORD", DOVECOT_PASSWORD)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def ws(tmp_path):
    folder = tmp_path / "台账"
    folder.mkdir()
    return folder


def reply(sender: str, attachments: list[tuple[str, bytes]], in_reply_to: str = "", subject: str = "回复",
          date: str = "") -> bytes:
    """A reply as a typical client writes it (Python's own generator: RFC 2231 names only)."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, SENDER, subject
    if date:
        msg["Date"] = date
    msg["Message-ID"] = f"<{hashlib.md5(repr((sender, attachments, subject)).encode()).hexdigest()}@dept.example.cn>"
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    msg.set_content("已填报,请查收。")
    for name, data in attachments:
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg.as_bytes()


def _fetch(ws, imap, **kw):
    return fetch(ws, config=imap.config(), ssl_context=imap.ssl_context(), **kw)


def test_fetch_saves_spreadsheets_once_with_safe_names_and_records_senders(ws, imap, tmp_path):
    forms = make_forms(tmp_path / "下发", units=["县发展和改革局", "县财政局"])
    form_a, form_b = (f.path.read_bytes() for f in forms)
    # we sent 县发展和改革局 its form earlier: the reply to that message identifies the unit
    with Ledger.open(ws) as ledger:
        mail_log.ensure_tables(ledger.conn)
        mail_log.record_mail(ledger.conn, kind="send", round="r", unit="县发展和改革局",
                             recipients=["fgj@dept.example.cn"], files=[forms[0].path.name], hashes=[],
                             message_id="<sent-1@gov.example.cn>", at="2021-06-01T09:00:00", result="sent")
    imap.deliver(reply("县发改局 <FGJ@dept.example.cn>", [(forms[0].path.name, form_a), ("说明.docx", b"doc")],
                       in_reply_to="<sent-1@gov.example.cn>"))
    # our own composer (both name forms), from an address we never wrote to
    imap.deliver(Outgoing("czj@dept.example.cn", [SENDER], "财政局报送", "见附件",
                          [Attachment(forms[1].path.name, form_b)]).render())
    hostile = [("../../x.xlsx", b"1"), ("/etc/evil.xlsx", b"2"), ("C:\\Windows\\CON.xlsx", b"3"),
               ("NUL.xlsx", b"4"), ("a\x07b\x1b.xlsx", b"5"), ("run.exe", b"MZ"), ("报告.xlsx.exe", b"MZ2"),
               ("com1.xls", b"6")]
    imap.deliver(reply("bad@dept.example.cn", hostile))
    imap.deliver(reply("scj@dept.example.cn", [("副本.xlsx", form_a)]))  # same content again
    result = _fetch(ws, imap)

    recv = ws / "回收"
    saved = {p.name: p.read_bytes() for p in recv.iterdir()}
    assert saved == {
        forms[0].path.name: form_a, forms[1].path.name: form_b, "x.xlsx": b"1", "evil.xlsx": b"2",
        "_CON.xlsx": b"3", "_NUL.xlsx": b"4", "a_b_.xlsx": b"5", "_com1.xls": b"6", "说明.docx": b"doc"}
    outside = [p for p in tmp_path.rglob("*") if p.name in ("x.xlsx", "evil.xlsx") and p.parent != recv]
    assert not outside and not (ws.parent / "x.xlsx").exists()
    assert result.messages == 4
    assert sorted(s["name"] for s in result.skipped) == ["run.exe", "报告.xlsx.exe"]
    assert "保存 9 个附件（其中文档、扫描件或压缩包 1 个，汇总时识别）" in result.summary()
    assert [(d["name"], d["existing"]) for d in result.duplicates] == [("副本.xlsx", forms[0].path.name)]
    with Ledger.open(ws) as ledger:
        rows = dict(((r[0], r[1:]) for r in ledger.conn.execute(
            "SELECT filename, sender, unit, sha256, original_name FROM received_files")))
        logged = ledger.conn.execute("SELECT COUNT(*), SUM(saved), SUM(duplicates) FROM fetch_log").fetchone()
    assert rows[forms[0].path.name][:3] == ("fgj@dept.example.cn", "县发展和改革局", hashlib.sha256(form_a).hexdigest())
    assert rows[forms[1].path.name][:2] == ("czj@dept.example.cn", "")
    assert rows["x.xlsx"][3] == "../../x.xlsx"
    assert logged == (4, 9, 1)

    # a second fetch finds nothing new
    again = _fetch(ws, imap)
    assert (again.messages, again.saved, again.duplicates) == (0, [], [])
    assert {p.name for p in recv.iterdir()} == set(saved)
    # a later reply is picked up alone; a different file under a taken name gets a new name
    imap.deliver(reply("fgj@dept.example.cn", [(forms[0].path.name, form_a + b"changed")]))
    later = _fetch(ws, imap)
    assert later.messages == 1 and [f.filename for f in later.saved] == [
        forms[0].path.name.replace(".xlsx", " (2).xlsx")]
    assert later.saved[0].unit == "县发展和改革局"  # the address we mailed
    # the mailbox was only read: nothing marked as seen
    box = imaplib.IMAP4_SSL("127.0.0.1", imap.port, ssl_context=imap.ssl_context())
    box.login(DOVECOT_USER, DOVECOT_PASSWORD)
    box.select("INBOX", readonly=True)
    _, flags = box.fetch("1:*", "(FLAGS)")
    box.logout()
    assert len(flags) == 5 and not any(b"\\Seen" in f for f in flags)


def test_since_refetches_from_a_date_without_duplicates(ws, imap):
    imap.deliver(reply("a@dept.example.cn", [("a.xlsx", b"A")]))
    assert len(_fetch(ws, imap).saved) == 1
    import datetime as dt

    again = _fetch(ws, imap, since=dt.date.today() - dt.timedelta(days=1))
    assert again.messages == 1 and not again.saved and len(again.duplicates) == 1


def test_wrong_password_and_untrusted_certificate_are_clear_messages(ws, imap, monkeypatch):
    monkeypatch.setenv("ZWGK_IMAP_PASSWORD", "wrong")
    with pytest.raises(MailError, match="拒绝登录.*office"):
        _fetch(ws, imap)
    monkeypatch.setenv("ZWGK_IMAP_PASSWORD", DOVECOT_PASSWORD)
    with pytest.raises(MailError, match="证书无法验证.*cafile"):
        fetch(ws, config=imap.config())  # the system CAs do not know the test certificate


def test_cli_fetch_with_settings_from_zwgk_toml(ws, imap):
    imap.deliver(reply("a@dept.example.cn", [("填报表.xlsx", b"data")]))
    (ws / "zwgk.toml").write_text(
        f'[mail]\nimap_host = "127.0.0.1"\nimap_port = {imap.port}\nimap_user = "{DOVECOT_USER}"\n'
        f'cafile = "{imap.cert.as_posix()}"\n', encoding="utf-8")
    res = CliRunner().invoke(main, ["mail", "fetch", "-C", str(ws), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert [f["filename"] for f in data["saved"]] == ["填报表.xlsx"] and data["messages"] == 1
    assert (ws / "回收" / "填报表.xlsx").read_bytes() == b"data"
    res = CliRunner().invoke(main, ["mail", "fetch", "-C", str(ws)])
    assert res.exit_code == 0 and "已检查 0 封新邮件，保存 0 个表格" in res.output


@pytest.mark.parametrize("raw, safe", [
    ("../../x.xlsx", "x.xlsx"), ("..\\..\\x.xlsx", "x.xlsx"), ("/etc/passwd.xlsx", "passwd.xlsx"),
    ("C:\\Windows\\System32\\a.xls", "a.xls"), ("CON.xlsx", "_CON.xlsx"), ("nul", "_nul"),
    ("LPT9.tar.xlsx", "_LPT9.tar.xlsx"), ("con .xlsx", "_con.xlsx"), ("a\x00b\x1f.xlsx", "ab_.xlsx"),
    ("..", "附件"), (" .xlsx", "附件.xlsx"), ("x\u202egpj.xlsx", "x_gpj.xlsx"), ("表:1?.xlsx", "表_1_.xlsx"),
    ("\udcb1\udced.xlsx", "表.xlsx"),  # raw GBK bytes of 表 in an 8-bit header
])
def test_safe_attachment_name(raw, safe):
    assert safe_attachment_name(raw) == safe


def _part_message(sender: str, disposition: bytes) -> bytes:
    return (b"From: " + sender.encode() + b"\r\nSubject: =?gbk?B?" + base64.b64encode("报送".encode("gbk"))
            + b"?=\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
            b"--b\r\nContent-Type: text/plain; charset=gbk\r\n\r\n" + "见附件".encode("gbk") + b"\r\n"
            b"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; " + disposition
            + b"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(sender.encode()) + b"\r\n--b--\r\n")


def test_names_from_older_chinese_clients_are_read_right(ws, imap):
    name = "县财政局填报表镕.xlsx"  # 镕 is in GBK but not in GB2312
    gb2312_word = b"=?gb2312?B?" + base64.b64encode(name.encode("gbk")) + b"?="
    imap.deliver(_part_message("a@dept.example.cn", b'filename="' + gb2312_word + b'"'))  # mislabelled charset
    imap.deliver(_part_message("b@dept.example.cn", b'filename="' + "乙".encode("gbk") + name.encode("gbk") + b'"'))
    imap.deliver(_part_message("c@dept.example.cn", b"filename*=gb2312''" + quote(("丙" + name).encode("gbk")).encode()))
    result = _fetch(ws, imap)
    assert sorted(f.filename for f in result.saved) == sorted([name, "乙" + name, "丙" + name])
    assert (ws / "回收" / ("乙" + name)).read_bytes() == b"b@dept.example.cn"


def test_cli_fetch_json_equals_the_library_result(tmp_path, imap):
    """Two 台账 folders fetch the same mailbox from the real server: one through the CLI, one through the
    library; their results are equal but for the folder each saved into."""
    from zwgk_xl.mail.commands import run_fetch

    imap.deliver(reply("a@dept.example.cn", [("填报表.xlsx", b"data")]))
    folders = [tmp_path / "甲", tmp_path / "乙"]
    for folder in folders:
        folder.mkdir()
        (folder / "zwgk.toml").write_text(
            f'[mail]\nimap_host = "127.0.0.1"\nimap_port = {imap.port}\nimap_user = "{DOVECOT_USER}"\n'
            f'cafile = "{imap.cert.as_posix()}"\n', encoding="utf-8")
    res = CliRunner().invoke(main, ["mail", "fetch", "-C", str(folders[0]), "--json"])
    lib = run_fetch(workspace=folders[1]).to_dict()
    cli = json.loads(res.stdout.replace(str(folders[0]), str(folders[1])))
    assert cli == lib and res.exit_code == lib["exit_code"] == 0
    assert lib["command"] == "mail-fetch" and [f["filename"] for f in lib["saved"]] == ["填报表.xlsx"]


def test_a_saved_attachment_carries_the_time_its_mail_was_sent(ws, imap, tmp_path):
    """merge takes a file's time as when it was received: a fetched attachment's is its mail's Date, unless that
    is unreadable or later than the fetch (a wrong clock), when it stays the fetch's."""
    import email.utils
    import time

    form = make_forms(tmp_path / "下发", units=["县财政局"])[0].path.read_bytes()
    sent = email.utils.format_datetime(dt.datetime(2021, 6, 24, 16, 45, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    imap.deliver(reply("czj@dept.example.cn", [("财政局.xlsx", form)], date=sent))
    imap.deliver(reply("jyj@dept.example.cn", [("教育局.xlsx", form + b" ")], date="Mon, 1 Jan 2099 00:00:00 +0800"))
    imap.deliver(reply("wjj@dept.example.cn", [("卫健局.xlsx", form + b"  ")], date="not a date"))
    before = time.time()
    _fetch(ws, imap)
    box = ws / "回收"
    assert (box / "财政局.xlsx").stat().st_mtime == dt.datetime(2021, 6, 24, 8, 45, tzinfo=dt.timezone.utc).timestamp()
    assert (box / "教育局.xlsx").stat().st_mtime >= before - 1 and (box / "卫健局.xlsx").stat().st_mtime >= before - 1


def test_fetch_saves_archives_and_scans_for_merge_and_skips_pictures(ws, imap, tmp_path):
    """A department zips its form: the archive is saved (merge opens it), and so is the scan beside it (merge
    files it as the form's companion); a signature picture is not."""
    import io
    import zipfile

    form = make_forms(tmp_path / "下发", units=["县财政局"])[0].path.read_bytes()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("回复.xlsx", form)
    imap.deliver(reply("czj@dept.example.cn", [("财政局材料.zip", buf.getvalue()), ("盖章件.pdf", b"%PDF-1.4"),
                                               ("image001.png", b"\x89PNG")]))
    result = _fetch(ws, imap)
    assert {p.name: p.read_bytes() for p in (ws / "回收").iterdir()} == {"财政局材料.zip": buf.getvalue(),
                                                                       "盖章件.pdf": b"%PDF-1.4"}
    assert [s["name"] for s in result.skipped] == ["image001.png"]
