"""mail send / remind against a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import email
import hashlib
import json
import re
from email import policy

import pytest
from click.testing import CliRunner
from fast_mail_parser import parse_email

from zwgk_xl.cli import main
from zwgk_xl.core.errors import MailError, UsageError
from zwgk_xl.ledger.store import Ledger
from zwgk_xl.mail import Throttle, load_config, send_forms
from zwgk_xl.mail.compose import Attachment, Outgoing

L, R, COLON = "\uff08", "\uff09", "\uff1a"  # full-width （ ） ： as in the templates

from _mail_helpers import (ROUND, SENDER, UNITS, Capture, make_directory, make_forms, smtp_config,
                           smtp_server)


@pytest.fixture
def ws(tmp_path):
    """A 台账 folder with real forms for every unit in 下发/."""
    folder = tmp_path / "台账"
    folder.mkdir()
    make_forms(folder / "下发")
    return folder


def _send(ws, port, **kw):
    kw.setdefault("config", smtp_config(port))
    directory = kw.pop("directory", None) or make_directory()
    return send_forms(ws / "下发", directory, ws, **kw)


def _parse(envelope):
    return email.message_from_bytes(envelope.content, policy=policy.default)


def _mail_rows(ws):
    with Ledger.open(ws) as ledger:
        return ledger.conn.execute(
            "SELECT unit, recipient, sha256, message_id, result FROM mail_log WHERE kind='send' ORDER BY id").fetchall()


def test_messages_arrive_with_recipients_subject_body_and_identical_attachments(ws):
    handler = Capture()
    with smtp_server(handler) as port:
        result = _send(ws, port)
    assert result.ok and result.count("sent") == len(UNITS) == len(handler.envelopes)
    forms = {p.name: p.read_bytes() for p in (ws / "下发").iterdir()}
    by_unit = {}
    for env in handler.envelopes:
        msg = _parse(env)
        unit = msg["Subject"].rpartition(L)[2].rstrip(R)
        by_unit[unit] = (env, msg)
    assert set(by_unit) == {u for u, _ in UNITS}
    for unit, addresses in UNITS:
        env, msg = by_unit[unit]
        expected = [a.strip() for a in addresses.split(";")]
        assert env.mail_from == SENDER and env.rcpt_tos == expected
        assert msg["Subject"] == f"【请填报】{ROUND}政务公开工作任务落实情况{L}{unit}{R}"
        assert msg["From"].addresses[0].display_name == "县人民政府办公室"
        body = msg.get_body(("plain",)).get_content()
        assert body.startswith(f"{unit}{COLON}") and "2021年6月25日前" in body and "张三 0878-1234567" in body
        atts = list(msg.iter_attachments())
        name = f"{ROUND}_{unit}_落实情况填报表.xlsx"
        assert [a.get_filename() for a in atts] == [name]
        assert atts[0].get_content() == forms[name]  # byte-identical
        # the second, independent parser (Rust mailparse) reads the same
        other = parse_email(env.content)
        assert other.subject == msg["Subject"]
        assert [a.filename for a in other.attachments] == [name]
        assert bytes(other.attachments[0].content) == forms[name]
    rows = _mail_rows(ws)
    assert len(rows) == len(UNITS) and {r[4] for r in rows} == {"sent"}
    sent_ids = {str(_parse(e)["Message-ID"]) for e in handler.envelopes}
    assert {r[3] for r in rows} == sent_ids
    for unit, _, sha, _, _ in rows:
        name = f"{ROUND}_{unit}_落实情况填报表.xlsx"
        assert json.loads(sha) == [hashlib.sha256(forms[name]).hexdigest()]


def _strip_2231(raw: bytes) -> bytes:
    return re.sub(rb";\r\n filename\*[^;\r]*", b"", raw)


def _strip_2047(raw: bytes) -> bytes:
    return re.sub(rb';\r\n (?:file)?name="[^"]*"', b"", raw)


@pytest.mark.parametrize("name", [
    "2021年第二季度_县发展和改革局_落实情况填报表.xlsx",
    "短.xlsx",
    "州生态环境局X县分局(含「监测站」)" * 4 + ".xlsm",
])
def test_attachment_name_decodes_from_each_form_alone_in_both_parsers(name):
    raw = Outgoing(SENDER, ["a@dept.example.cn"], "主题", "正文", [Attachment(name, b"PK\x03\x04data")]).render()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    for variant in (raw, _strip_2231(raw), _strip_2047(raw)):
        assert variant == raw or len(variant) < len(raw)
        msg = email.message_from_bytes(variant, policy=policy.default)
        assert [p.get_filename() for p in msg.iter_attachments()] == [name]
        assert [a.filename for a in parse_email(variant).attachments] == [name]
    assert b"filename*" in raw and b'filename="=?utf-8?b?' in raw and b'name="=?utf-8?b?' in raw
    assert b"filename*" not in _strip_2231(raw) and b"=?utf-8?b?" not in _strip_2047(raw).split(b"\r\n\r\n", 2)[2]


def test_rerun_sends_nothing_and_resend_forces_one(ws):
    with smtp_server(Capture()) as port:
        _send(ws, port)
    handler = Capture()
    with smtp_server(handler) as port:
        again = _send(ws, port)
        assert again.count("already-sent") == len(UNITS) and not handler.envelopes
        forced = _send(ws, port, resend=["县财政局"])
    assert forced.count("sent") == 1 and len(handler.envelopes) == 1
    assert handler.envelopes[0].rcpt_tos == ["czj@dept.example.cn"]
    with pytest.raises(UsageError, match="县不存在局"):
        _send(ws, port, resend=["县不存在局"])


def test_server_refusing_the_third_message_then_rerun_sends_only_the_rest(ws):
    handler = Capture(refuse_nth=3)
    with smtp_server(handler) as port:
        first = _send(ws, port)
    assert first.count("sent") == len(UNITS) - 1 and first.count("failed") == 1 and not first.ok
    refused = next(i for i in first.items if i.status == "failed")
    assert "550" in refused.error
    assert any(f.type == "mail-refused" and f.unit == refused.unit for f in first.findings)
    delivered = {_parse(e)["Subject"] for e in handler.envelopes}
    assert len(delivered) == len(UNITS) - 1
    handler2 = Capture()
    with smtp_server(handler2) as port:
        second = _send(ws, port)
    assert [_parse(e)["Subject"] for e in handler2.envelopes] == [
        f"【请填报】{ROUND}政务公开工作任务落实情况{L}{refused.unit}{R}"]
    assert second.ok and second.count("already-sent") == len(UNITS) - 1
    results = [r[4] for r in _mail_rows(ws) if r[0] == refused.unit]
    assert results == ["failed", "sent"]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_authentication_failure_is_a_clear_chinese_message(ws, monkeypatch):
    handler = Capture()
    with smtp_server(handler, user="office", password="right") as port:
        with pytest.raises(MailError, match="拒绝登录.*office.*授权码"):
            _send(ws, port, config=smtp_config(port, user="office"), password="wrong")
        # through the CLI, settings from the environment
        for var, value in {"ZWGK_SMTP_HOST": "127.0.0.1", "ZWGK_SMTP_PORT": str(port), "ZWGK_SMTP_SECURITY": "none",
                           "ZWGK_SMTP_USER": "office", "ZWGK_MAIL_FROM": SENDER,
                           "ZWGK_SMTP_PASSWORD": "wrong"}.items():
            monkeypatch.setenv(var, value)
        (ws / "名录.csv").write_text("单位名称,邮箱\n" + "".join(f"{u},{e}\n" for u, e in UNITS), encoding="utf-8")
        res = CliRunner().invoke(main, ["mail", "send", str(ws / "下发"), "--units", str(ws / "名录.csv"),
                                        "-C", str(ws)])
        assert res.exit_code == 2 and "拒绝登录" in res.output and "Traceback" not in res.output
        assert not handler.envelopes
        monkeypatch.setenv("ZWGK_SMTP_PASSWORD", "right")
        res = CliRunner().invoke(main, ["mail", "send", str(ws / "下发"), "--units", str(ws / "名录.csv"),
                                        "-C", str(ws), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["by_status"] == {"sent": len(UNITS)} and len(handler.envelopes) == len(UNITS)


def test_invalid_or_missing_address_is_a_finding_and_the_others_are_sent(ws):
    directory = make_directory({"县发展和改革局": "fgj@", "县财政局": ""})
    handler = Capture(refuse_rcpt=("wjj@dept.example.cn",))
    with smtp_server(handler) as port:
        result = _send(ws, port, directory=directory)
    status = {i.unit: i.status for i in result.items}
    assert status == {"县发展和改革局": "invalid-address", "县教育体育局": "sent", "县财政局": "no-address",
                      "县市场监督管理局": "sent", "县卫生健康局": "failed"}
    types = {f.unit: f.type for f in result.findings}
    assert types == {"县发展和改革局": "mail-invalid-address", "县财政局": "mail-no-address",
                     "县卫生健康局": "mail-refused"}
    assert not result.ok
    assert sorted(a for e in handler.envelopes for a in e.rcpt_tos) == [
        "jty2@dept.example.cn", "jty@dept.example.cn", "scj@dept.example.cn"]


def test_throttle_spaces_messages_without_real_waiting(ws):
    clock = [1000.0]
    sleeps = []

    def sleep(s):
        sleeps.append(round(s, 6))
        clock[0] += s

    handler = Capture()
    with smtp_server(handler) as port:
        _send(ws, port, rate=12, clock=lambda: clock[0], sleep=sleep)
    assert len(handler.envelopes) == len(UNITS)
    assert sleeps == [5.0] * (len(UNITS) - 1)  # 12 per minute: one every 5 s
    t = Throttle(0, clock=lambda: 0.0, sleep=lambda s: pytest.fail("no limit means no sleeping"))
    t.wait()
    t.wait()


def test_dry_run_writes_eml_files_and_sends_nothing(ws, tmp_path):
    (ws / "名录.csv").write_text("单位名称,邮箱\n" + "".join(f"{u},{e}\n" for u, e in UNITS), encoding="utf-8")
    out = tmp_path / "待发"
    res = CliRunner().invoke(main, ["mail", "send", str(ws / "下发"), "--units", str(ws / "名录.csv"),
                                    "--dry-run", str(out), "-C", str(ws), "--json"], env={"ZWGK_SMTP_HOST": ""})
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["dry_run"] and data["by_status"] == {"dry-run": len(UNITS)}
    emls = sorted(out.glob("*.eml"))
    assert len(emls) == len(UNITS) == len({i["eml"] for i in data["items"]})
    msg = email.message_from_bytes(emls[0].read_bytes(), policy=policy.default)
    assert msg["Subject"].startswith("【请填报】") and len(list(msg.iter_attachments())) == 1
    assert not (ws / "台账.sqlite").exists()  # nothing recorded
    assert sorted(p.name for p in out.iterdir()) == [p.name for p in emls]  # no temporary files left
    res = CliRunner().invoke(main, ["mail", "send", str(ws / "下发"), "--units", str(ws / "名录.csv"),
                                    "--dry-run", str(tmp_path / "再演练"), "-C", str(ws)], env={"ZWGK_SMTP_HOST": ""})
    assert res.exit_code == 0, res.output
    assert f"{UNITS[0][0]}：已写出 .eml（未发送）" in res.output and res.output.count("附件：") == len(UNITS)
    assert f"已写出 .eml（未发送） {len(UNITS)}" in res.output


def test_workspace_template_overrides_the_default(ws):
    (ws / "templates").mkdir()
    (ws / "templates" / "mail_send_subject.txt").write_text("请${unit}于${due}前报送(${round})\n", encoding="utf-8")
    handler = Capture()
    with smtp_server(handler) as port:
        _send(ws, port)
    subjects = sorted(_parse(e)["Subject"] for e in handler.envelopes)
    assert all(s.endswith(f"于2021年6月25日前报送({ROUND})") for s in subjects)


def test_config_from_toml_with_environment_winning(tmp_path):
    (tmp_path / "zwgk.toml").write_text(
        '[mail]\nhost = "smtp.example.cn"\nport = 465\nuser = "a@example.cn"\nfrom = "a@example.cn"\nrate = 20\n'
        'imap_host = "imap.example.cn"\n', encoding="utf-8")
    cfg = load_config(tmp_path, env={"ZWGK_SMTP_HOST": "relay.example.cn", "ZWGK_SMTP_SECURITY": "STARTTLS",
                                     "ZWGK_SMTP_PORT": "587"})
    assert (cfg.host, cfg.smtp_port, cfg.security, cfg.user, cfg.rate, cfg.imap_host) == (
        "relay.example.cn", 587, "starttls", "a@example.cn", 20.0, "imap.example.cn")
    assert load_config(tmp_path, env={}).host == "smtp.example.cn"
    with pytest.raises(MailError, match="ssl、starttls 或 none"):
        load_config(tmp_path, env={"ZWGK_SMTP_SECURITY": "tls1"})
    (tmp_path / "zwgk.toml").write_text('[mail]\nhost = "x"\npassword = "p"\n', encoding="utf-8")
    with pytest.raises(MailError, match="不应保存密码"):
        load_config(tmp_path, env={})


def test_forms_of_several_rounds_need_round(ws):
    make_forms(ws / "下发", round="2021年第三季度")
    with pytest.raises(UsageError, match="--round"):
        send_forms(ws / "下发", make_directory(), ws, config=smtp_config(1))
    handler = Capture()
    with smtp_server(handler) as port:
        result = send_forms(ws / "下发", make_directory(), ws, round="2021年第三季度", config=smtp_config(port))
    assert result.round == "2021年第三季度" and len(handler.envelopes) == len(UNITS)
    assert all("2021年第三季度" in _parse(e)["Subject"] for e in handler.envelopes)


def test_interrupted_run_resumes_with_only_the_unsent(ws):
    handler = Capture()
    calls = []

    def sleep(seconds):  # the throttle's pause before the third message: the clerk presses Ctrl+C
        calls.append(seconds)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with smtp_server(handler) as port:
        with pytest.raises(KeyboardInterrupt):
            _send(ws, port, rate=60, clock=lambda: 0.0, sleep=sleep)
        assert len(handler.envelopes) == 2
        rest = _send(ws, port)
    assert rest.count("already-sent") == 2 and rest.count("sent") == len(UNITS) - 2
    got = sorted(a for e in handler.envelopes for a in e.rcpt_tos)
    assert got == sorted(a.strip() for _, e in UNITS for a in e.split(";"))  # each unit exactly once


class _MemoryKeyring:
    """A keyring backend holding one password in memory."""

    def __init__(self, user, password):
        import keyring.backend

        class Backend(keyring.backend.KeyringBackend):
            priority = 1

            def get_password(self, service, username):
                return password if (service, username) == ("zwgk-xl", user) else None

            def set_password(self, service, username, pw):
                raise NotImplementedError

            def delete_password(self, service, username):
                raise NotImplementedError

        self.backend = Backend()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_password_from_keyring_and_never_written(ws, monkeypatch):
    import keyring

    monkeypatch.delenv("ZWGK_SMTP_PASSWORD", raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(_MemoryKeyring("office", "kr-Secret-42").backend)
    try:
        handler = Capture()
        with smtp_server(handler, user="office", password="kr-Secret-42") as port:
            result = _send(ws, port, config=smtp_config(port, user="office"))
    finally:
        keyring.set_keyring(previous)
    assert result.count("sent") == len(UNITS) == len(handler.envelopes)
    for path in ws.rglob("*"):
        if path.is_file():
            assert b"kr-Secret-42" not in path.read_bytes(), path


def test_mail_commands_have_help_with_examples():
    for cmd in ("send", "remind", "fetch"):
        res = CliRunner().invoke(main, ["mail", cmd, "--help"])
        assert res.exit_code == 0 and "示例" in res.output and "zwgk-xl mail " + cmd in res.output
        assert "-C, --workspace" in res.output and "--json" in res.output


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_encrypted_connections(ws, tmp_path, security):
    import ssl

    handler = Capture()
    with smtp_server(handler, tls=security, cert_dir=tmp_path) as port:
        config = smtp_config(port)
        config.security = security
        with pytest.raises(MailError, match="证书无法验证.*cafile"):  # the system CAs do not know the test cert
            _send(ws, port, config=config)
        config.cafile = str(tmp_path / "cert.pem")
        result = _send(ws, port, config=config)
    assert result.ok and len(handler.envelopes) == len(UNITS)
    assert isinstance(ssl.create_default_context(cafile=config.cafile), ssl.SSLContext)


def test_units_found_by_file_name_unknown_units_and_stray_files(ws):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.save(ws / "下发" / f"{ROUND}_县审计局_落实情况填报表.xlsx")  # no metadata: the name tells the unit
    wb.save(ws / "下发" / "说明.xlsx")  # neither metadata nor a form name
    directory = make_directory()
    handler = Capture()
    with smtp_server(handler) as port:
        result = _send(ws, port, directory=directory)
    assert {i.unit: i.status for i in result.items}["县审计局"] == "unknown-unit"
    assert {(f.type, f.unit or f.file) for f in result.findings} == {
        ("mail-unknown-unit", "县审计局"), ("mail-form-unidentified", "说明.xlsx")}
    assert len(handler.envelopes) == len(UNITS)
    directory.units.append(type(directory.units[0])(name="县审计局", email="sjj@dept.example.cn"))
    directory.reindex()
    handler = Capture()
    with smtp_server(handler) as port:
        again = _send(ws, port, directory=directory)
    assert again.count("sent") == 1 and handler.envelopes[0].rcpt_tos == ["sjj@dept.example.cn"]
    msg = _parse(handler.envelopes[0])
    assert [a.get_filename() for a in msg.iter_attachments()] == [f"{ROUND}_县审计局_落实情况填报表.xlsx"]
