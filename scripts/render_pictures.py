"""Render the README's pictures: the 汇总 sheet's first printed page, the report's page 1 and a unit's form.

Runs the demo in a temporary folder (or uses ``--folder`` of an existing demo
台账), converts 汇总表.xlsx and 落实情况报告.docx to PDF with LibreOffice and the
first page of each to PNG with pdftoppm, into ``docs/``.  Prints the page count
of each PDF.

    python scripts/render_pictures.py [--folder DIR] [--out docs] [--dpi 60]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def to_pdf(src: Path, out_dir: Path) -> Path:
    """Convert with LibreOffice headless (a private profile, so it runs beside an open office)."""
    profile = Path(tempfile.mkdtemp(prefix="lo-profile-"))
    try:
        subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                        "--outdir", str(out_dir), str(src)], check=True, capture_output=True, timeout=300)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return out_dir / (src.stem + ".pdf")


def pages(pdf: Path) -> int:
    out = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    return int(next(line.split()[-1] for line in out.splitlines() if line.startswith("Pages:")))


def first_page_png(pdf: Path, target: Path, dpi: int) -> Path:
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(target.with_suffix(""))], check=True)
    return target


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folder", type=Path, help="an existing demo 台账 (default: run the demo in a temp folder)")
    ap.add_argument("--out", type=Path, default=ROOT / "docs")
    ap.add_argument("--dpi", type=int, default=60)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder
        if folder is None:
            from zwgk_xl.demo import run_demo

            folder = Path(tmp) / "示例台账"
            run_demo(folder)
        pdf_dir = Path(tmp) / "pdf"
        pdf_dir.mkdir()
        args.out.mkdir(parents=True, exist_ok=True)
        from zwgk_xl.demo import ROUNDS

        last = ROUNDS[-1][0]
        form = next((folder / "下发" / last).glob("*_县财政局_落实情况填报表.xlsx"))
        for src, name in ((folder / f"汇总表_{last}.xlsx", "master_page1.png"),
                          (folder / f"落实情况报告_{last}.docx", "report_page1.png"),
                          (form, "form_page1.png")):
            pdf = to_pdf(src, pdf_dir)
            png = first_page_png(pdf, args.out / name, args.dpi)
            print(f"{src.name}: {pages(pdf)} pages -> {png} ({png.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
