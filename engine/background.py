"""A background thread that does a round of work, then sleeps until woken or its interval passes."""
import logging
import threading

log = logging.getLogger(__name__)


class WakeableLoop:
    """Subclasses define ``run_once()`` (truthy when it did work: go again at once) and ``thread_name``."""

    thread_name = "background"
    interval: float = 1.0

    def __init__(self):
        self._wake, self._stop = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self):
        raise NotImplementedError

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if self.run_once():
                    continue
            except Exception:  # the thread must outlive one bad round; the next one retries
                log.exception("%s round failed", self.thread_name)
            self._wake.wait(self.interval)
            self._wake.clear()
