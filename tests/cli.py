"""`accord` commands for tests, each in a process of its own without paying for the imports again.

A command spends about a second importing Litestar and every domain before it does anything, and the tests
run many. Here a forkserver imports the CLI and the domains once per test process, and each command runs in
a fresh child forked from it: its own process, its own database connections, exit status and output, on the
test run's database and environment, only without the imports. Tests of what a fresh executable does (other
settings in its environment, cron, several at once, a server) run the real `accord`: tests/servers.ACCORD.
"""

from __future__ import annotations

import io
import multiprocessing
import sys
import traceback
from concurrent.futures import ProcessPoolExecutor
from contextlib import redirect_stderr, redirect_stdout
from subprocess import CompletedProcess

from accord.cli import main
from accord.modules import DOMAINS

_forkserver = multiprocessing.get_context("forkserver")
_forkserver.set_forkserver_preload(["accord.cli", *(f"{domain}.module" for domain in DOMAINS)])


def _command(args: tuple[str, ...], stdin: str) -> tuple[int, str, str]:
    """In the child: `accord args` with `stdin`, its exit status and output, as a shell would see them."""
    out, err = io.StringIO(), io.StringIO()
    sys.stdin = io.StringIO(stdin)
    status = 0
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as exit:
            if isinstance(exit.code, int) or exit.code is None:
                status = exit.code or 0
            else:  # as the interpreter does with `raise SystemExit("text")`
                print(exit.code, file=sys.stderr)
                status = 1
        except BaseException:
            traceback.print_exc()
            status = 1
    return status, out.getvalue(), err.getvalue()


def accord(*args: str, stdin: str = "") -> CompletedProcess[str]:
    """Run `accord args` in a child of the forkserver and wait for it."""
    with ProcessPoolExecutor(max_workers=1, mp_context=_forkserver) as pool:
        status, out, err = pool.submit(_command, args, stdin).result(timeout=120)
    return CompletedProcess(["accord", *args], status, out, err)
