"""LibreOffice (``soffice``) headless conversion, safe for parallel use.

Every call gets its own throw-away LibreOffice profile
(``-env:UserInstallation=file:///tmp/lo_<unique>``), so several conversions
can run at once without colliding.  The source is copied under an ASCII name
into a private folder first: the original is never touched, and odd file
names (spaces, Chinese characters, a C locale) cannot confuse soffice.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from zwgk_xl.core.atomic import atomic_path
from zwgk_xl.core.errors import ConverterMissing, InputError

_CANDIDATES = (
    "/usr/bin/soffice",
    "/usr/local/bin/soffice",
    "/opt/libreoffice/program/soffice",
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
    r"C:\Program Files\LibreOffice\program\soffice.exe",
    r"C:\Program Files (x86)\LibreOffice\program\soffice.exe",
)


def soffice_path() -> str | None:
    """The LibreOffice executable: ``$ZWGK_SOFFICE``, then PATH, then usual places."""
    env = os.environ.get("ZWGK_SOFFICE")
    if env and Path(env).is_file():
        return env
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for cand in _CANDIDATES:
        if Path(cand).is_file():
            return cand
    for found in sorted(Path("/opt").glob("libreoffice*/program/soffice")):
        return str(found)
    return None


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows
            proc.kill()
    except (ProcessLookupError, PermissionError, OSError):
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover
        pass


def convert_with_soffice(src, fmt: str, outdir, timeout: float = 120) -> Path:
    """Convert ``src`` with LibreOffice headless and return the new file.

    Args:
        src: the file to convert (left untouched).
        fmt: target format as soffice takes it, e.g. ``"docx"``, ``"xlsx"``,
            ``"pdf"`` or ``"docx:MS Word 2007 XML"``.
        outdir: folder for the result, named ``<src stem>.<ext>``; an existing
            file of that name is replaced atomically.
        timeout: seconds before the conversion is abandoned.

    Returns:
        The path of the converted file.

    Raises:
        ConverterMissing: soffice is not installed.
        InputError: the conversion failed or timed out.
    """
    src = Path(src)
    if not src.is_file():
        raise InputError(f"找不到要转换的文件：{src}")
    exe = soffice_path()
    if exe is None:
        raise ConverterMissing(
            f"无法读取「{src.name}」：需要 LibreOffice 进行格式转换，但本机未安装。"
            "请安装 LibreOffice（或设置环境变量 ZWGK_SOFFICE 指向 soffice），"
            "或用 Word/WPS 将文件另存为 .docx/.xlsx 后重试。"
        )
    ext = fmt.split(":", 1)[0].strip().lower()
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    target = outdir / f"{src.stem}.{ext}"
    if target.resolve() == src.resolve():
        raise InputError(f"转换结果会覆盖原文件「{src}」，请换一个输出文件夹。")

    work = Path(tempfile.mkdtemp(prefix="lo_", dir="/tmp" if os.name == "posix" else None))
    try:
        profile = work / "profile"
        inp = work / f"input{src.suffix.lower()}"
        shutil.copyfile(src, inp)
        out = work / "out"
        out.mkdir()
        cmd = [
            exe,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless", "--norestore", "--nolockcheck", "--nodefault", "--nologo",
            "--convert-to", fmt, "--outdir", str(out), str(inp),
        ]
        env = dict(os.environ, HOME=str(work))
        try:
            proc = subprocess.Popen(
                cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                start_new_session=(os.name == "posix"),
            )
        except OSError as e:
            raise ConverterMissing(f"无法启动 LibreOffice（{exe}）：{e}。请检查安装。") from e
        try:
            _stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise InputError(
                f"用 LibreOffice 转换「{src.name}」超时（{timeout:.0f} 秒）。"
                "文件可能过大或已损坏，请用 Word/WPS 另存为 .docx 后重试。"
            ) from None
        produced = out / f"input.{ext}"
        if not produced.is_file():
            detail = stderr.decode("utf-8", "replace").strip().splitlines()
            hint = f"({detail[-1][:200]})" if detail else ""
            raise InputError(
                f"LibreOffice 无法把「{src.name}」转换为 .{ext}{hint}。"
                "文件可能已损坏或不是它的扩展名所示的格式，请用 Word/WPS 打开后另存为 .docx 再试。"
            )
        with atomic_path(target, InputError) as tmp:
            shutil.copyfile(produced, tmp)
        return target
    finally:
        shutil.rmtree(work, ignore_errors=True)
