"""Accuracy of ``parse`` on a corpus of real task lists with truth files.

Run:  python benchmarks/parse_accuracy.py [CORPUS_DIR ...] [--files] [--show NN]

Defaults to ``../shared/corpus`` next to the repository.  Each ``NN_name.txt``
has a ``NN_name.truth.json`` (schema in the corpus README).  Scoring follows
the corpus README's rules:

* an item is *found* when a parsed task has the truth item's path (tokens
  joined by ``/``); parsed tasks with paths absent from the truth (the item cut
  by the byte cap, or prose the truth leaves out) are not penalised;
* unit F1 is micro-averaged over unit names (lead and others pooled):
  recall over every truth item (a missed item's units are all missed),
  precision over the parsed tasks matched to a truth item; names compare after
  width folding and with whitespace removed;
* lead sets exact and deadlines exact (ISO date, or both null) count over every
  truth item, a missed item counting as wrong;
* a non-list (``not_a_task_list``) is *refused* when parsing raises an input
  error (:class:`zwgk_xl.core.errors.ZwgkError`).

Prints the figures overall and per shape.

Figures on the shared corpus (59 files, 149 items, 8 non-lists):

=========================  ======  ======  ======  ======  =======
                           found   unit F1 lead=   dl=     refused
=========================  ======  ======  ======  ======  =======
before issue 11 (a4a9756)  51.7 %  0.420   38.9 %  51.0 %  2/8
after                      100 %   0.981   100 %   100 %   8/8
=========================  ======  ======  ======  ======  =======

The remaining unit misses are one convention: the corpus splits ``区政府各部门、各街镇``
into two units, while the project keeps ``市政府各部门、各镇街`` whole (DOMAIN.md, seed tests).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from zwgk_xl.core.errors import ZwgkError  # noqa: E402
from zwgk_xl.parse import parse_file  # noqa: E402
from zwgk_xl.parse.normalize import fold_width  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"


def _unit_key(name: str) -> str:
    return "".join(fold_width(name).split())


@dataclass
class Score:
    """Counts for one file or a pool of files."""

    files: int = 0
    items: int = 0
    found: int = 0
    lead_exact: int = 0
    deadline_exact: int = 0
    tp: int = 0  # unit names right
    n_pred: int = 0  # unit names predicted on matched items
    n_true: int = 0  # unit names in the truth
    nonlists: int = 0
    refused: int = 0
    lists_refused: int = 0  # task lists with items that raised
    errors: list[str] = field(default_factory=list)

    def add(self, o: "Score") -> None:
        for k in ("files", "items", "found", "lead_exact", "deadline_exact", "tp", "n_pred", "n_true",
                  "nonlists", "refused", "lists_refused"):
            setattr(self, k, getattr(self, k) + getattr(o, k))
        self.errors += o.errors

    @property
    def f1(self) -> float:
        p = self.tp / self.n_pred if self.n_pred else 1.0
        r = self.tp / self.n_true if self.n_true else 1.0
        return 2 * p * r / (p + r) if p + r else 0.0

    def pct(self, n: int, d: int) -> str:
        return f"{100 * n / d:5.1f}%" if d else "    - "

    def row(self, name: str) -> str:
        return (f"{name:28s} {self.files:3d} {self.items:4d}  {self.pct(self.found, self.items)}  "
                f"{self.f1 if self.n_true or self.n_pred else float('nan'):6.3f}  "
                f"{self.pct(self.lead_exact, self.items)}  {self.pct(self.deadline_exact, self.items)}  "
                f"{self.refused}/{self.nonlists}")


def _tasks_by_path(doc) -> dict[str, object]:
    out: dict[str, object] = {}
    for t in doc.tasks:
        out.setdefault("/".join(t.path), t)
    return out


def score_file(txt: Path, truth: dict, detail: list[str] | None = None) -> Score:
    """Score one document against its truth."""
    s = Score(files=1, items=len(truth["items"]))
    nonlist = bool(truth.get("not_a_task_list"))
    s.nonlists = int(nonlist)
    s.n_true = sum(len(it["lead"]) + len(it["others"]) for it in truth["items"])
    try:
        doc = parse_file(txt)
    except ZwgkError as e:
        if nonlist:
            s.refused = 1
        elif truth["items"]:
            s.lists_refused = 1
            s.errors.append(f"{txt.name}: {e}")
        if detail is not None:
            detail.append(f"  refused: {e}")
        return s
    except Exception as e:  # a crash is scored as nothing found, and reported
        s.errors.append(f"{txt.name}: {type(e).__name__}: {e}")
        return s
    got = _tasks_by_path(doc)
    for it in truth["items"]:
        t = got.get(it["path"])
        if t is None:
            if detail is not None:
                detail.append(f"  MISSING {it['path']}: lead={it['lead']} others={it['others']}")
            continue
        s.found += 1
        true_units = {_unit_key(u) for u in it["lead"] + it["others"]}
        pred_units = {_unit_key(u) for u in t.lead + t.others}
        s.tp += len(true_units & pred_units)
        s.n_pred += len(pred_units)
        lead_ok = {_unit_key(u) for u in t.lead} == {_unit_key(u) for u in it["lead"]}
        s.lead_exact += lead_ok
        dl_ok = t.deadline.date == it["deadline"]
        s.deadline_exact += dl_ok
        if detail is not None and (not lead_ok or true_units != pred_units or not dl_ok):
            detail.append(f"  {it['path']}: lead {t.lead} vs {it['lead']}; others {t.others} vs {it['others']}; "
                          f"deadline {t.deadline.date!r} ({t.deadline.text!r}) vs {it['deadline']!r}")
    if detail is not None:
        extra = [p for p in got if p not in {it["path"] for it in truth["items"]}]
        if extra:
            detail.append(f"  extra paths: {extra}")
    return s


def corpus_files(folder: Path) -> list[tuple[Path, dict]]:
    """(text, truth) pairs of a corpus folder."""
    out = []
    for tf in sorted(folder.glob("*.truth.json")):
        txt = tf.with_name(tf.name[: -len(".truth.json")] + ".txt")
        if txt.exists():
            out.append((txt, json.loads(tf.read_text(encoding="utf-8"))))
    return out


def score_corpus(folder: Path, per_file: bool = False, show: set[str] | None = None) -> dict[str, Score]:
    """Scores per shape plus ``"overall"``."""
    shapes: dict[str, Score] = defaultdict(Score)
    overall = Score()
    for txt, truth in corpus_files(folder):
        want = show is not None and (txt.name[:2] in show or txt.stem in show)
        detail: list[str] | None = [] if (per_file or want) else None
        s = score_file(txt, truth, detail)
        shapes[truth.get("shape", "?")].add(s)
        overall.add(s)
        if detail is not None and (want or (per_file and (s.found < s.items or detail))):
            print(s.row(txt.stem[:28]))
            for d in detail:
                print(d)
    result = dict(sorted(shapes.items()))
    result["overall"] = overall
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", nargs="*", type=Path, help="corpus folders (default ../shared/corpus)")
    ap.add_argument("--files", action="store_true", help="print the misses of every file")
    ap.add_argument("--show", action="append", default=None, help="print details for file NN (repeatable)")
    args = ap.parse_args(argv)
    folders = args.corpus or [DEFAULT_CORPUS]
    for folder in folders:
        if not folder.is_dir():
            print(f"no corpus at {folder}", file=sys.stderr)
            return 2
        t0 = time.perf_counter()
        res = score_corpus(folder, per_file=args.files, show=set(args.show) if args.show else None)
        dt = time.perf_counter() - t0
        print(f"\ncorpus: {folder}  ({dt:.1f} s)")
        print(f"{'shape':28s} {'fil':>3s} {'item':>4s}  {'found':>6s}  {'unitF1':>6s}  {'lead=':>6s}  "
              f"{'dl=':>6s}  refused")
        for name, s in res.items():
            if name == "overall":
                print("-" * 78)
            print(s.row(name))
        o = res["overall"]
        if o.lists_refused or o.errors:
            print(f"task lists refused or crashed: {len(o.errors)}")
            for e in o.errors:
                print("  " + e)
    return 0


if __name__ == "__main__":
    sys.exit(main())
