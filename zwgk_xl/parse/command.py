"""The ``parse`` command: read a superior task list, optionally write the 上级任务.xlsx."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from zwgk_xl.core import findings as fk
from zwgk_xl.core import paths
from zwgk_xl.core.errors import InputError
from zwgk_xl.core.gcpause import no_cyclic_gc
from zwgk_xl.core.model import Document, Finding
from zwgk_xl.core.results import Result
from zwgk_xl.parse import parse_file
from zwgk_xl.parse.tasktable import write_task_table


def task_findings(doc: Document, kind: str) -> list[Finding]:
    """One finding per task flagged for review or carrying warnings (the 警告 column), naming the task."""
    out = []
    for t in doc.walk():
        if t.warnings or t.review:
            text = "；".join(t.warnings) or "需人工核对"
            out.append(fk.finding(kind, f"任务 {t.id}「{t.title[:24]}」：{text}", cell=t.id,
                                  line=t.source.line if t.source and t.source.line else 0))
    return out


@dataclass
class ParseResult(Result):
    """What ``parse`` read: the document, the task table written (if any) and the findings."""

    command: ClassVar[str] = "parse"
    input: str
    document: Document
    output: str = ""
    findings: list[Finding] = field(default_factory=list)

    def summary(self) -> str:
        doc = self.document
        review = sum(1 for t in doc.tasks if t.review)
        parts = [f"已解析《{doc.title or Path(self.input).name}》：{len(doc.roots)} 个一级标题，{len(doc.tasks)} 项任务"]
        if review:
            parts.append(f"需人工核对 {review} 项")
        if self.output:
            parts.append(f"已写出 {self.output}")
        return "；".join(parts) + "。"

    def data(self) -> dict:
        return {"input": self.input, "output": self.output, "document": self.document.to_dict()}


def run_parse(input_path, *, output=None, year: int | None = None) -> ParseResult:
    """Parse ``input_path``; with ``output`` also write the task table (checked before anything is read)."""
    src = paths.input_file(input_path, "上级文件")
    if output is not None:
        paths.output_file(output, "任务表", inputs=[src])
    with no_cyclic_gc():  # tens of thousands of objects, no cycles
        try:
            doc = parse_file(src, year=year)
        except InputError as e:
            if src.name in str(e):
                raise
            raise type(e)(f"{src.name}：{e}") from e
        if output is not None:
            write_task_table(doc, output)
    return ParseResult(input=str(src), document=doc, output=str(output or ""),
                       findings=[*doc.findings, *task_findings(doc, "parse-task-check")])
