"""Reading many files with worker processes: chunks taken from a shared range, results in the order of the files.

Only the merging process writes the ledger, in the order of the files, so the
result and the ledger are the same however many processes read.
"""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.connection
import os
import time
from pathlib import Path

from zwgk_xl.core.errors import UsageError
from zwgk_xl.merge.examine import Examined, Reader

PARALLEL_MIN_FILES = 40  # fewer files are read in this process (worker start-up would not pay) …
PARALLEL_MIN_FILES_SPAWN = 1000  # … or than this where workers start as fresh interpreters (Windows: ~0.3 s)
BATCH = 512  # files read before they are stored (and progress is reported)
CHUNK = 4  # files taken at a time (small: the processes meet near the end of a batch)
PIPE_BYTES = 1 << 20  # results a worker may send ahead (Linux pipes hold 64 KiB unless told otherwise)
MP_START: str | None = None  # multiprocessing start method; None: the platform's default


def default_workers() -> int:
    """Processes reading files, this one included: ``ZWGK_WORKERS`` if set, else the usable CPUs, at most 4."""
    env = os.environ.get("ZWGK_WORKERS", "").strip()
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            raise UsageError(f"环境变量 ZWGK_WORKERS 应为正整数（读取表格的进程数），现为「{env}」。") from None
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 4))


class Chunks:
    """Chunks of a batch shared by processes: workers take them from the front, this process from the back."""

    def __init__(self, mp, chunks: list[list[Path]]):
        self.chunks = chunks  # the workers' copy (the lists are not shared; the range is)
        self.lock = mp.Lock()
        self.front, self.back = mp.RawValue("i", 0), mp.RawValue("i", len(chunks))

    def take_front(self) -> int | None:
        with self.lock:
            k = self.front.value
            if k >= self.back.value:
                return None
            self.front.value = k + 1
            return k

    def take_back(self) -> int | None:
        with self.lock:
            k = self.back.value - 1
            if k < self.front.value:
                return None
            self.back.value = k
            return k


def _worker(reader: Reader, chunks: Chunks, conn) -> None:
    """A worker process: examine chunks from the front, sending ``(index, results)``; ``None`` when done."""
    gc.disable()  # see core/gcpause; a worker lives for one batch
    try:
        k = chunks.take_front()
        while k is not None:
            conn.send((k, [reader.examine(path, keep_data=False) for path in chunks.chunks[k]]))
            k = chunks.take_front()
    finally:  # a chunk taken but not sent (an error) is read again by the merging process
        conn.send(None)
        conn.close()


def _start_method() -> str:
    return MP_START or multiprocessing.get_start_method()


def _examine_one(reader: Reader, path: Path, conn) -> None:
    """A process reading one file (see :meth:`ReadScheduler._examine_apart`)."""
    conn.send(reader.examine(path, keep_data=False))
    conn.close()


def _widen(conn) -> None:
    """Let a pipe hold PIPE_BYTES, so a worker rarely waits for this process to take its results."""
    try:
        import fcntl

        fcntl.fcntl(conn.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (ImportError, AttributeError, OSError, ValueError):
        pass


class ReadScheduler:
    """Examines the files of a merge, in this process or together with worker processes, in the order of the files."""

    def __init__(self, reader: Reader, workers: int = 1, journal: Path | None = None):
        self.reader, self.workers = reader, workers
        self.journal = journal  # names the file this process is reading (see examined)
        self._journal_fd: int | None = None
        self.seen: dict[str, str] = {}  # sha256 -> file of this run
        self.timings = {"read_validate": 0.0, "ledger": 0.0}
        self.used_workers = 0  # processes that read files together (0: this one alone)

    def examined(self, files: list[Path]):
        """Yield ``(path, Examined)`` in the order of ``files``.

        With enough files, ``workers - 1`` worker processes and this one read them together, a batch
        at a time, and they are stored between batches; whatever the workers fail to deliver is read
        here.  ``read_validate`` times the reading as the wall-clock time it takes (starting and
        ending the workers included).
        """
        method = _start_method()
        if self.workers > 1 and len(files) >= (PARALLEL_MIN_FILES if method == "fork" else PARALLEL_MIN_FILES_SPAWN):
            t0 = time.perf_counter()
            for unit in self.reader.ctx.assigned:  # built once here rather than in each process
                self.reader.ctx.issued_table(unit)
            self.timings["read_validate"] += time.perf_counter() - t0
            for start in range(0, len(files), BATCH):
                batch = files[start:start + BATCH]
                t0 = time.perf_counter()
                results = self._read_together(method, batch)
                self.timings["read_validate"] += time.perf_counter() - t0
                yield from zip(batch, results)
            return
        suspect = self._suspect()
        for path in files:
            t0 = time.perf_counter()
            if path == suspect:  # the previous run ended while reading it here
                ex = self._examine_apart(path, suspect=True)
            else:
                self._note(path)
                ex = self.reader.examine(path, known=self.seen.__contains__)
            self.timings["read_validate"] += time.perf_counter() - t0
            yield path, ex
        self._note(None)

    def _note(self, path: Path | None) -> None:
        """Write down the file about to be read in this process (None: done).  A native crash in a reading
        library ends the process and the merge; the next run finds the note and reads that file apart.
        The note stays open between files (a crash keeps what the system was given; no flush is needed)."""
        if self.journal is None:
            return
        try:
            if path is None:
                if self._journal_fd is not None:
                    os.close(self._journal_fd)
                    self._journal_fd = None
                self.journal.unlink(missing_ok=True)
                return
            if self._journal_fd is None:
                self._journal_fd = os.open(self.journal, os.O_WRONLY | os.O_CREAT, 0o644)
            data = os.fsencode(str(path))
            os.lseek(self._journal_fd, 0, os.SEEK_SET)
            os.write(self._journal_fd, data)
            os.ftruncate(self._journal_fd, len(data))
        except OSError:
            pass

    def _suspect(self) -> Path | None:
        """The file a previous run was reading when it ended (see :meth:`_note`), if any."""
        try:
            return Path(os.fsdecode(self.journal.read_bytes())) if self.journal else None
        except OSError:
            return None

    def _read_together(self, method: str, batch: list[Path]) -> list[Examined]:
        """``batch`` examined by worker processes and this one; what they do not deliver, by this one."""
        size = max(1, min(CHUNK, len(batch) // (4 * self.workers)))
        pieces = [batch[k:k + size] for k in range(0, len(batch), size)]
        results: dict[int, list[Examined]] = {}
        procs, conns = [], []
        try:
            mp = multiprocessing.get_context(method)
            shared = Chunks(mp, pieces)
            for _ in range(self.workers - 1):
                receive, send = mp.Pipe(duplex=False)
                _widen(send)
                proc = mp.Process(target=_worker, args=(self.reader, shared, send), daemon=True)
                proc.start()
                send.close()
                procs.append(proc)
                conns.append(receive)
            self.used_workers = self.workers
            k = shared.take_back()
            while k is not None:
                results[k] = [self._examine_draining(path, conns, results) for path in pieces[k]]
                k = shared.take_back()
            while conns and len(results) < len(pieces):  # chunks the workers took and are reading
                self._drain(conns, results, wait=True)
        except Exception:  # noqa: BLE001 - workers failed to start or broke: the rest is read below
            pass
        finally:
            for proc in procs:  # done, or still starting (a worker that took nothing is not waited for)
                proc.join(timeout=0 if len(results) == len(pieces) else 5)
                if proc.is_alive():
                    proc.terminate()
                    proc.join()
            for conn in conns:
                conn.close()
        died = any(proc.exitcode not in (0, None) for proc in procs)  # crashed, or stopped by us
        read = self._examine_apart if died else (lambda path: self.reader.examine(path, keep_data=False))
        for k, piece in enumerate(pieces):
            if k not in results:
                results[k] = [read(path) for path in piece]
        return [ex for k in range(len(pieces)) for ex in results[k]]

    def _examine_apart(self, path: Path, suspect: bool = False) -> Examined:
        """``path`` examined in a process of its own: after a worker died (a native crash in a reading library
        ends a process, it cannot be caught), the files it was given are read one at a time, and a file whose
        process dies too becomes that file's finding instead of ending the merge.  Where no process can be
        started, a ``suspect`` (a file a crashed run was reading) is rejected unread; others are read here."""
        try:
            mp = multiprocessing.get_context(_start_method())
            receive, send = mp.Pipe(duplex=False)
            proc = mp.Process(target=_examine_one, args=(self.reader, path, send), daemon=True)
            proc.start()
        except (ValueError, OSError):
            return self.reader.crashed(path, None) if suspect else self.reader.examine(path, keep_data=False)
        send.close()
        try:
            got = receive.recv()
        except (EOFError, OSError):
            got = None
        finally:
            receive.close()
            proc.join()
        return got if got is not None else self.reader.crashed(path, proc.exitcode)

    def _examine_draining(self, path: Path, conns: list, results: dict) -> Examined:
        self._drain(conns, results)
        return self.reader.examine(path, keep_data=False)

    @staticmethod
    def _drain(conns: list, results: dict, wait: bool = False) -> None:
        """Take the results the workers have sent (``wait``: at least one message); drop finished workers."""
        for conn in multiprocessing.connection.wait(conns) if wait else [c for c in conns if c.poll()]:
            try:
                message = conn.recv()
            except (EOFError, OSError):  # the worker is gone
                message = None
            if message is None:
                conns.remove(conn)
                conn.close()
            else:
                results[message[0]] = message[1]
