"""ServiceProcess: the plumbing shared by the tests' background services (the fake, the
registry, containerd). Standard library only.
"""

import subprocess
import time


class ServiceProcess:
    """Context manager: one service in a process of its own, its output in `log_path`.

    A subclass names itself in `name` (for messages), starts the process in _launch(log) and
    says in _ready() whether it serves yet (one quick look), or overrides _wait_ready() where
    it can block on a signal instead. Entering starts it and waits, polling every
    `poll_interval` s for at most `startup_timeout` s, raising with the log tail if it exits or
    never gets ready; then (and on a failed start) it is stopped: terminate, wait up to
    `stop_timeout` s, kill. Leaving stops it and raises, with the log tail, if it had died
    in between.
    """

    name = "service"
    poll_interval = 0.1
    stop_timeout = 10

    def __init__(self, log_path, startup_timeout):
        self.log_path = log_path
        self.startup_timeout = startup_timeout
        self.process = None

    def __enter__(self):
        with open(self.log_path, "wb") as log:
            self.process = self._launch(log)
        try:
            self._wait_ready()
        except BaseException:
            self._stop()
            raise
        return self

    def __exit__(self, *exc_info):
        crashed = self.process.poll()
        self._stop()
        if crashed is not None:
            raise RuntimeError(f"{self.name} died (status {crashed}):\n{self.log_tail()}")

    def log_tail(self, lines=30):
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def check_running(self):
        """Raise, with the log tail, if the service is no longer running."""
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited (status {self.process.returncode}):\n"
                               f"{self.log_tail()}")

    def _launch(self, log):
        """Start the service, its output going to the open file `log`; returns the Popen."""
        raise NotImplementedError

    def _ready(self):
        """Whether the service serves yet: one quick look, no waiting."""
        raise NotImplementedError

    def _wait_ready(self):
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            self.check_running()
            if self._ready():
                return
            time.sleep(self.poll_interval)
        raise RuntimeError(f"{self.name} did not become ready within {self.startup_timeout} s:\n"
                           f"{self.log_tail()}")

    def _stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
