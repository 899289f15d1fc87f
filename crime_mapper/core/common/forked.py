"""Work run in a forked child process beside the caller, committed only on the caller's word.

Why: the monthly release's publish step makes the neighbourhood summaries and the web map
from the same release table, and both are mostly Python (pages rendered, every file read
again by the leak gate) that holds the interpreter's lock: two threads cannot run them at
once, two processes can. Once the summaries have assigned the crimes to neighbourhoods, the
web map needs nothing more from them, so a child forked there (everything it needs already
in memory, shared copy-on-write) makes and gates the web map on the second core while the
parent makes the summaries (on an idle two-core machine the publish step no longer waits
for the web map: a national release's 4-5 s).

The contract is that of the call made in the caller's process:

- the value, or the exception, comes back to the caller and is raised on its thread
  (pickled; an exception that cannot be pickled comes back as a RuntimeError with its
  type's name and text);
- files: the work stages its output and calls :meth:`ForkedCall.hold` before it moves it
  into place. The child then waits for the caller: :meth:`ForkedCall.result` (the caller's
  own work succeeded) lets it go on; :meth:`ForkedCall.stop` (the caller failed or was
  cancelled), or a caller gone (its end of the pipe closed), makes ``hold`` raise
  Cancelled, so the staged output is removed as on any cancel and the previous output
  stays. What the child commits, it commits exactly when the caller's call would have;
- cancel: the caller's cancel while it waits stops the child (as above); the work's own
  feedback (:meth:`ForkedCall.feedback`) turns cancelled when the caller stops it, so the
  child stops at the work's next check, as the work in the caller would;
- the child never returns into the caller's code: it leaves with ``os._exit`` (no atexit
  handler, no buffered output of the caller written twice) and writes nothing of its own
  to the caller's standard output. Its progress is not reported (the caller's is);
- the child does not hold what it must not keep open (:func:`keep_from_children`): the
  process's protocol stream to QGIS (core.common.child_lines), and the caller's ends of
  the pipes of its other children. Held, a killed caller's stream never ended for the
  dock while a child lived, and a child waiting for the word never saw its caller gone
  while a sibling forked after it lived. In the child they are pointed at the null device
  (the numbers stay taken: nothing else can be opened under them and be written to);
- the child does not outlive its caller (Linux): killed (SIGKILL, out of memory, the dock's
  cancel), the caller takes its children with it (:func:`_end_with_caller`). Nothing waits
  for an orphan's work, which ran on for minutes at national scale and took the core the
  next run needed; what it had staged is removed by the next run, as the caller's own.

POSIX only (os.fork), and only where the caller asks (:func:`available`): a plain process
started for the work (the command line, the dock's release process), never a QGIS session.

Copy-on-write: the objects alive at the fork are frozen for the garbage collector
(``gc.freeze``) while any child runs, in both processes. A full collection writes into
the head of every object it visits, so each page of them it walks in either process
would be copied (the child shares the caller's 2-3 GB at national scale); frozen, they are
never walked, and the caller unfreezes them once its last child has been reaped (a cycle
among them that became garbage meanwhile is collected then).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import gc
import os
import pickle
import select
import signal
import sys
import threading
from typing import Callable, Generic, Optional, TypeVar

from .feedback import Cancelled, Feedback
from .staging import before_commit

_T = TypeVar("_T")

_HELD = b"H"  # child -> caller: the output is staged, waiting for the word
_DONE = b"P"  # child -> caller: the outcome follows (head, then value), then the pipe closes
_GO = b"G"  # caller -> child: move it into place
_STOP = b"X"  # caller -> child: remove it (a closed pipe says the same)
_POLL_S = 0.2  # how often a waiting caller checks its own cancel
_SIZE_BYTES = 8  # the length of each part of the outcome, before it (big-endian)
#: the outcome pipe's buffer (Linux, where allowed: else the system's 64 KB). Why: a
#: national child's value (a GeoPackage's distinct values, the raw side's arrays: 50-110 MB)
#: went through 64 KB at a time, the child and the caller taking turns for each piece
_PIPE_BYTES = 1 << 20
_STOP_WAIT_S = 120.0  # a stopped child that has not left by then is killed
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
# How long a caller waits for a child's answer it could do without or must fail closed
# on (a read ahead, a view, a share of the leak gate's checks): far beyond what the
# national month's work takes here under heavy load (tens of seconds), so only a child
# that is stuck (or swapping without end) meets it. One figure for every such child.
ANSWER_DEADLINE_S = 600.0


def available() -> bool:
    """Whether a forked child can run beside this process on a core of its own."""
    if not hasattr(os, "fork"):
        return False
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return cores >= 2


def lower_priority(steps: int) -> None:
    """This process (a child, on its own thread: the only one after a fork) and the threads
    and children it starts from now on run ``steps`` nicer (os.nice), where the system lets
    it. Never an error: a priority is a hint to the scheduler, not the child's work."""
    try:
        os.nice(steps)
    except (AttributeError, OSError):
        pass


def alone() -> bool:
    """Whether this process runs no other Python thread now, so a child forked now starts
    with no lock held by a thread it does not have (a cached view half made, a logging
    handler's lock, an executor's queue): the child could wait on such a lock for ever.
    Threads Python did not start (Qt's, GDAL's) run no Python code the child calls."""
    return threading.active_count() == 1


_children = 0  # this process's ForkedCall children not reaped yet (gc frozen while any)
_children_lock = threading.Lock()
_leaving: set[int] = set()  # children that answered and were still leaving (reap_left)
_kept: dict[int, tuple[int, int]] = {}  # fd -> (device, inode) children must not hold


def keep_from_children(fd: int) -> None:
    """A file descriptor of this process that children forked from now on must not hold
    open (see the module docstring). Remembered with what it is (device, inode): a number
    closed and reused by another file since is left alone in the child."""
    try:
        info = os.fstat(fd)
    except OSError:
        return
    _kept[fd] = (info.st_dev, info.st_ino)


def _release_kept() -> None:
    """In a new child: point every fd kept from children, still what it was, at the null
    device."""
    if not _kept:
        return
    null = os.open(os.devnull, os.O_RDWR)
    try:
        for fd, identity in list(_kept.items()):
            try:
                info = os.fstat(fd)
            except OSError:
                continue
            if (info.st_dev, info.st_ino) == identity:
                os.dup2(null, fd)
    finally:
        os.close(null)
    _kept.clear()


def close_kept(fd: int) -> None:
    """Close a descriptor given to :func:`keep_from_children`, and forget it (its number
    may next be a file a child needs)."""
    _kept.pop(fd, None)
    os.close(fd)


def _end_with_caller(caller: int, from_main_thread: bool) -> None:
    """In a new child: ask Linux to kill it when its caller ends, and leave now if the
    caller ended before that was asked. Only for a child forked by the caller's main
    thread: the kernel sends the signal when the forking *thread* ends, and a worker
    thread that forked may end long before the caller wants the child's answer."""
    if not (from_main_thread and sys.platform.startswith("linux")):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # (no libc to ask: the child ends with its work)
        return
    if os.getppid() != caller:
        os._exit(1)


def _child_started() -> None:
    """Before a fork: freeze what is alive now (again if a child runs: what is new too)."""
    global _children
    with _children_lock:
        _children += 1
        gc.freeze()


def _child_reaped() -> None:
    """After a child has left (or its fork failed): unfreeze once none is left."""
    global _children
    with _children_lock:
        _children -= 1
        if _children == 0:
            gc.unfreeze()


class ForkedCall(Generic[_T]):
    """``work(call)`` started in a forked child; see the module docstring."""

    def __init__(self, work: Callable[[ForkedCall[_T]], _T]) -> None:
        outcome_r, outcome_w = os.pipe()
        _widen(outcome_r)
        control_r, control_w = os.pipe()
        self._caller = os.getpid()
        self._from_main_thread = threading.current_thread() is threading.main_thread()
        reap_left(wait=False)
        _child_started()
        try:
            pid = os.fork()
        except BaseException:
            _child_reaped()
            for fd in (outcome_r, outcome_w, control_r, control_w):
                os.close(fd)
            raise
        if pid == 0:  # the child: never returns from here
            os.close(outcome_r)
            os.close(control_w)
            self._control = control_r
            self._word: Optional[bytes] = None
            self._run(work, outcome_w)
        os.close(outcome_w)
        os.close(control_r)
        keep_from_children(outcome_r)
        keep_from_children(control_w)
        self.pid = pid
        self._outcome = outcome_r
        self._control_w: Optional[int] = control_w
        self._reaped = False

    # --- in the child ---------------------------------------------------------------------
    def _run(self, work: Callable[[ForkedCall[_T]], _T], out: int) -> None:
        code = 0
        try:
            _end_with_caller(self._caller, self._from_main_thread)
            _release_kept()
            self._out = out
            try:
                value: object = work(self)
                kind, text = "value", ""
            except BaseException as exc:  # noqa: BLE001 - raised again in the caller
                kind, value, text = "error", exc, f"{type(exc).__name__}: {exc}"
            try:
                inner = pickle.dumps(value)
            except Exception as exc:  # noqa: BLE001 - the outcome cannot be sent as it is
                kind, text = "error", text or f"the value could not be sent back: {exc}"
                inner = pickle.dumps(RuntimeError(text))
            head = pickle.dumps((kind, text))
            # (each part's length first: the caller reads exactly that much and need not
            # wait for the pipe to close, which happens only once this process's memory is
            # torn down; the value's pickle is written as it is, not copied into another)
            _write_all(out, _DONE + _sized(head) + len(inner).to_bytes(_SIZE_BYTES, "big"))
            _write_all(out, inner)
        except BaseException:  # noqa: BLE001 - nothing may escape into the caller's code
            code = 1
        finally:
            # (its own children that answered and were leaving: reaped before it leaves, as
            # its caller's are at exit, so their CPU time is its own and then its caller's;
            # the caller has its outcome already and does not wait for this)
            with contextlib.suppress(BaseException):
                reap_left()
            os._exit(code)

    def _listen(self, wait: bool) -> Optional[bytes]:
        """The caller's word (None while none has come, ``wait`` False)."""
        if self._word is None:
            ready = select.select([self._control], [], [], None if wait else 0)[0]
            if ready:
                self._word = os.read(self._control, 1) or _STOP  # (closed: a stop)
        return self._word

    def hold(self) -> None:
        """In the child, before the work moves its output into place: wait for the caller's
        word; raise Cancelled unless it is to go on."""
        _write_all(self._out, _HELD)
        if self._listen(wait=True) != _GO:
            raise Cancelled("stopped by the caller")

    def feedback(self) -> Feedback:
        """In the child: a feedback that is cancelled once the caller stops the child."""
        call = self

        class Stopped(Feedback):
            def is_cancelled(self) -> bool:
                return call._listen(wait=False) == _STOP

        return Stopped()

    # --- in the caller --------------------------------------------------------------------
    def _say(self, word: bytes) -> None:
        if self._control_w is None:
            return
        try:
            os.write(self._control_w, word)
        except OSError:  # (the child has left already)
            pass
        if word == _STOP:
            close_kept(self._control_w)
            self._control_w = None

    def _read(self, size: int, feedback: Optional[Feedback]) -> bytes:
        """Up to ``size`` bytes from the child (fewer only at the end), checking the
        caller's cancel while waiting."""
        parts: list[bytes] = []
        got = 0
        while got < size:
            if feedback is not None:
                ready = select.select([self._outcome], [], [], _POLL_S)[0]
                if not ready:
                    feedback.check()
                    continue
            block = os.read(self._outcome, min(size - got, 1 << 20))
            if not block:
                break
            parts.append(block)
            got += len(block)
        return b"".join(parts)

    def _read_into(self, size: int) -> Optional[bytearray]:
        """Exactly ``size`` bytes from the child, read in place (no piece joined to the
        next: a national value is 50-110 MB); None when the child ended first, or when
        this process has no room for that many (the child's value is then lost as if the
        child had run out of memory)."""
        try:
            data = bytearray(size)
        except (MemoryError, OverflowError):
            return None
        view = memoryview(data)
        got = 0
        while got < size:
            n = os.readv(self._outcome, [view[got:]])
            if n == 0:
                return None
            got += n
        return data

    def ready(self, timeout: float) -> bool:
        """Whether the child has said something (or left) within ``timeout`` seconds: a
        caller that will not wait for ever asks this before :meth:`result` (whose reads
        then find the child's answer, or its end, under way)."""
        if self._reaped:
            return True
        return bool(select.select([self._outcome], [], [], max(0.0, timeout))[0])

    def kill(self) -> None:
        """End the child at once (SIGKILL) and wait for it: for work with nothing to undo
        (it only reads), when it may be stuck; nothing if it has been reaped."""
        if self._reaped:
            return
        try:
            os.kill(self.pid, signal.SIGKILL)
        except OSError:  # (it has left already)
            pass
        self.stop()

    def answer_within(self, deadline_s: float) -> Optional[_T]:
        """The child's value if it comes within ``deadline_s`` seconds; otherwise (late,
        raised, died) None, the child killed: for read-only work the caller can do itself,
        so a child that fails costs time, never a verdict. Interrupted while waiting (a
        Ctrl-C, a signal handler's exception), the child is killed too, not waited for."""
        try:
            if self.ready(deadline_s):
                return self.result()
        except Exception:  # noqa: BLE001, S110 - the child failed: the caller does the work
            pass
        finally:
            self.kill()  # (nothing if it answered: reaped)
        return None

    def result(self, feedback: Optional[Feedback] = None) -> _T:
        """Wait for the child to stage its output, let it go on, and return its value (or
        raise its error). ``feedback``: the caller's cancel is checked while waiting; a
        cancel stops the child (nothing moved into place) and raises Cancelled."""
        try:
            head = self._read(1, feedback)
            if head == _HELD:
                if feedback is not None:
                    feedback.check()
                before_commit()  # (the child's commit is this process's to ask for)
                self._say(_GO)
                head = self._read(1, None)
            outcome = self._outcome_parts() if head == _DONE else None
        except BaseException:
            self.stop()
            raise
        self._reap(leaving=outcome is not None)
        if head != _DONE or outcome is None:
            raise RuntimeError(
                "the work in the child process stopped unexpectedly (killed or out of "
                "memory); nothing of it was moved into place"
            )
        (kind, text), inner = pickle.loads(outcome[0]), outcome[1]
        try:
            value = pickle.loads(inner)
        except Exception as exc:  # noqa: BLE001 - e.g. an exception that cannot be rebuilt
            kind, value = "error", RuntimeError(text or f"the child's value is unreadable: {exc}")
        del inner, outcome  # (the value's bytes: freed before the caller goes on)
        if kind == "error":
            raise value
        return value

    def _outcome_parts(self) -> Optional[tuple[bytes, bytearray]]:
        """The outcome after _DONE: its head's length and its head (the pickled kind and
        text), then the value's length and its pickle (None when the child ended before
        all of it came)."""
        size = self._length()
        head = self._read(size, None) if size is not None else b""
        if size is None or len(head) != size:
            return None
        size = self._length()
        inner = self._read_into(size) if size is not None else None
        return None if inner is None else (head, inner)

    def _length(self) -> Optional[int]:
        """The length the child sent before a part of its outcome (None: it ended first)."""
        size = self._read(_SIZE_BYTES, None)
        return int.from_bytes(size, "big") if len(size) == _SIZE_BYTES else None

    def stop(self) -> None:
        """Stop the child (its staged output removed) and wait for it to leave; nothing
        if it has left already."""
        if self._reaped:
            return
        self._say(_STOP)
        try:
            while True:  # (what it still sends is dropped; the pipe closes when it leaves)
                ready = select.select([self._outcome], [], [], _STOP_WAIT_S)[0]
                if not ready:
                    os.kill(self.pid, signal.SIGKILL)
                    break
                if not os.read(self._outcome, 1 << 20):
                    break
        finally:
            self._reap()

    def _reap(self, leaving: bool = False) -> None:
        """Wait for the child to leave; ``leaving`` (it has sent its whole outcome and is
        in ``os._exit``): only take it if it has left, else leave it to :func:`reap_left`
        (tearing down a national child's memory took 40-180 ms the caller waited for)."""
        if self._reaped:
            return
        self._reaped = True
        if self._control_w is not None:
            close_kept(self._control_w)
            self._control_w = None
        close_kept(self._outcome)
        try:
            if not leaving:
                _waitpid(self.pid, 0)
            elif not _waitpid(self.pid, os.WNOHANG):
                with _children_lock:
                    _leaving.add(self.pid)
        finally:
            _child_reaped()


def _waitpid(pid: int, options: int) -> bool:
    """os.waitpid(pid, options): whether the child has been reaped (here, or already by
    someone else's waitpid of any child)."""
    try:
        return os.waitpid(pid, options)[0] != 0
    except ChildProcessError:
        return True


def reap_left(wait: bool = True) -> None:
    """Reap the children that sent their whole outcome and were leaving when it was taken
    (ForkedCall._reap); ``wait``: wait for each to leave (they only end: their work is
    done), else take only those gone. Called before each fork (no zombies pile up) and by
    whoever must know that no child is left (the tests)."""
    with _children_lock:
        pids = list(_leaving)
    for pid in pids:
        if _waitpid(pid, 0 if wait else os.WNOHANG):
            with _children_lock:
                _leaving.discard(pid)


# (at this process's exit too: so a command's children are all its own, their CPU time
# counted with its own; the children left by then have long gone)
atexit.register(reap_left)


def _sized(data: bytes) -> bytes:
    """``data`` with its length before it (the outcome's parts)."""
    return len(data).to_bytes(_SIZE_BYTES, "big") + data


def _widen(fd: int) -> None:
    """The pipe of ``fd`` given a buffer of _PIPE_BYTES where the system allows it (Linux's
    F_SETPIPE_SZ, up to /proc/sys/fs/pipe-max-size); never an error: the buffer's size is
    the transfer's speed, not its content."""
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
    except (ImportError, AttributeError, OSError):
        pass


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
