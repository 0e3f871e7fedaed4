"""`deslab query`, `deslab describe` and `deslab sql` in real terminals and pipes."""

from __future__ import annotations

import subprocess
import sys

import pexpect
import pytest

from .conftest import file_digest


def _deslab(*args: str, env=None, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "deslab.cli", *args], capture_output=True,
                          text=True, env=env, input=input, timeout=60)


@pytest.fixture
def env(catalog_env):
    import os

    return dict(os.environ)


def test_query_prints_and_exports(env, tmp_path):
    p = _deslab("query", "SELECT RA, DEC FROM DR2_MAIN WHERE ROWNUM <= 3", env=env)
    assert p.returncode == 0, p.stderr
    assert "deg" in p.stdout and "3 rows" in p.stdout
    out = tmp_path / "q.fits"
    p = _deslab("query", "SELECT * FROM DR2_MAIN WHERE RA < :r", "--bind", "r=0.2", "-o",
                str(out), env=env)
    assert p.returncode == 0, p.stderr
    assert "rows written to" in p.stderr and out.exists()


def test_error_in_a_subprocess_is_one_line_exit_2(env):
    p = _deslab("query", "DROP TABLE DR2_MAIN", env=env)
    assert p.returncode == 2
    assert "read-only" in p.stderr and "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("args,needle", [
    (["query", "SELECT * FROM DR2_MIAN"], "DR2_MAIN"),
    (["query", "SELECT 1 FROM DUAL", "-o", "/nonexistent-dir/x.fits"], "does not exist"),
    (["query", "SELECT 1 FROM DUAL", "-o", "x.docx"], ".parquet"),
    (["query", "SELECT 1 FROM DUAL WHERE 1 = :x"], ":x"),
    (["query", "SELECT 1 FROM DUAL", "--bind", "novalue"], "NAME=VALUE"),
    (["describe", "DR2_MIAN"], "did you mean DR2_MAIN"),
])
def test_errors_are_one_line_exit_2(catalog_env, capsys, args, needle):
    from deslab.cli import main

    assert main(args) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_describe(catalog_env, capsys):
    from deslab.cli import main

    assert main(["describe", "dr2_main"]) == 0
    assert "Right ascension" in capsys.readouterr().out
    assert main(["describe", "--find-columns", "mag_auto"]) == 0
    out = capsys.readouterr().out
    assert "MAG_AUTO_Y" in out and "FLUX" not in out


def test_sql_shell_from_a_pipe(env, tmp_path):
    script = (f"select count(*) n\nfrom dr2_main;\nfind_tables dr2\n"
              f"select * from dr2_main where rownum < 10; > {tmp_path / 'p.csv'}\n")
    p = _deslab("sql", env=env, input=script)
    assert p.returncode == 0, p.stderr
    assert "100000" in p.stdout and "DR2_TILE_INFO" in p.stdout
    assert "9 rows written" in p.stdout and (tmp_path / "p.csv").exists()


@pytest.mark.slow
def test_sql_shell_in_a_real_terminal(env, tmp_path, catalog_env):
    before = file_digest(catalog_env)
    env = dict(env, DESLAB_HOME=str(tmp_path), TERM="xterm", COLUMNS="160", LINES="50")
    child = pexpect.spawn(sys.executable, ["-m", "deslab.cli", "sql"], env=env,
                          encoding="utf-8", timeout=30, dimensions=(50, 160))
    try:
        child.expect("DESDB ~>")
        # multi-line statement ending with ;
        child.sendline("SELECT COUNT(*) AS N")
        child.expect(r"\.\.\.>")
        child.sendline("FROM DR2_MAIN;")
        child.expect("100000")
        child.expect("1 row in")
        child.expect("DESDB ~>")
        # Tab completes a table name
        child.send("describe_table DR2_TI")
        child.send("\t")
        child.expect("DR2_TILE_INFO")
        child.sendline("")
        child.expect("URAMIN")
        child.expect("DESDB ~>")
        # export with '> file'
        out = tmp_path / "shell.fits"
        child.sendline(f"SELECT * FROM DR2_MAIN WHERE ROWNUM <= 50; > {out}")
        child.expect("50 rows written")
        child.expect("DESDB ~>")
        # < check, < explain, a refused statement and an error keep the session alive
        child.sendline("SELECT * FROM DR2_MAIN WHERE ROWNUM < 3; < check")
        child.expect("LIMIT 2")
        child.sendline("DELETE FROM DR2_MAIN;")
        child.expect("read-only")
        child.sendline("SELECT MAG_AUTO_GG FROM DR2_MAIN;")
        child.expect("did you mean MAG_AUTO_G")
        # Ctrl-C cancels a running query; the session stays usable
        child.sendline("SELECT SUM(SIN(a.RA*b.DEC)) FROM DR2_MAIN a, DR2_MAIN b;")
        import time

        time.sleep(1.5)
        child.sendintr()
        child.expect("cancelled")
        child.sendline("SELECT 1 AS ONE FROM DUAL;")
        child.expect("1 row in")
        child.sendline("exit")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert out.exists()
    history = (tmp_path / ".deslab_sql_history").read_text()
    assert "FROM DR2_MAIN;" in history
    assert file_digest(catalog_env) == before
