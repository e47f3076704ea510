"""The chat load benchmark's parts that need no stack (switchboard/bench_chat)."""

import json
from pathlib import Path

import pytest

from switchboard.bench_chat import cpu
from switchboard.bench_chat.run import report
from switchboard.bench_chat.scripts import MIX, Kind, long_script, mean_turns, scripts
from switchboard.bench_chat.stats import Run, percentile
from switchboard.languages import LANGUAGES


def test_percentiles_interpolate_between_the_ranks() -> None:
    assert percentile([], 50) is None
    assert percentile([3.0], 99) == 3.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == pytest.approx(2.5)
    assert percentile([float(i) for i in range(101)], 99) == pytest.approx(99.0)


def test_a_run_summarises_turns_errors_and_cpu_per_turn() -> None:
    run = Run("x", seconds=2.0, latencies=[0.1, 0.2, 0.3, 0.4], cpu_seconds={"rasa": 0.8, "gateway": 0.04})
    run.error("http 500")
    run.error("http 500")
    summary = run.summary()
    assert summary["turns_per_second"] == 2.0 and summary["p50_ms"] == 250.0
    assert summary["errors"] == 2 and summary["error_kinds"] == {"http 500": 2}
    assert summary["cpu_ms_per_turn"] == {"rasa": 200.0, "gateway": 10.0}


def _stat(pid: int, session: int, utime: int, stime: int, cutime: int = 0, cstime: int = 0) -> str:
    # pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime ...
    return f"{pid} (python -m x) S 1 {session} {session} 0 -1 0 0 0 0 0 {utime} {stime} {cutime} {cstime} 20 0 1 0\n"


def test_cpu_time_is_summed_over_each_services_session(tmp_path: Path) -> None:
    for pid, text in {10: _stat(10, 10, 100, 50, 30, 20), 11: _stat(11, 10, 40, 10), 20: _stat(20, 20, 7, 3),
                      30: _stat(30, 30, 999, 999)}.items():
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_text(text)
    (tmp_path / "self").mkdir()
    ticks = cpu._TICKS
    assert cpu.session_cpu_seconds([10, 20], proc=tmp_path) == {10: 250 / ticks, 20: 10 / ticks}


def test_the_scripts_cover_every_language_and_kind_in_the_mix() -> None:
    all_scripts = scripts(per_language=20)
    assert {s.language for s in all_scripts} == set(LANGUAGES)
    for language in LANGUAGES:
        kinds = [s.kind for s in all_scripts if s.language == language]
        assert {kind: kinds.count(kind) for kind in Kind} == {kind: round(20 * share) for kind, share in MIX.items()}
    assert all(s.turns and all(s.turns) for s in all_scripts)
    assert scripts(per_language=20) == all_scripts, "the same seed picks the same examples"
    assert 2 < mean_turns(all_scripts) <= 4
    assert len(long_script().turns) == 30


def test_identity_scripts_give_a_sample_customers_account_and_birth_date() -> None:
    import yaml

    from switchboard import paths

    customers = yaml.safe_load((paths.ROOT / "content" / "customers.yml").read_text(encoding="utf-8"))["customers"]
    known = {(str(c["account_number"]), str(c["date_of_birth"])) for c in customers}
    identity = [s for s in scripts(per_language=20) if s.kind is Kind.IDENTITY]
    assert identity and all((s.turns[1], s.turns[2]) in known for s in identity)


def test_the_report_gives_the_gateway_ratio_and_turn_1_against_turn_30() -> None:
    def row(name: str, tps: float) -> dict:
        return {"name": name, "turns": 10, "turns_per_second": tps, "p50_ms": 1.0, "p95_ms": 2.0, "p99_ms": 3.0,
                "errors": 0, "error_kinds": {}, "cpu_ms_per_turn": {"rasa": 50.0}}
    figures = {"runs": [row("http closed loop, 1 customers", 10.0), row("http closed loop, 50 customers", 16.0),
                        row("rasa webhook alone, 50 customers", 20.0)],
               "long_conversation": {"turns": 30, "turn_1_ms": 60.0, "turn_30_ms": 90.0, "ratio": 1.5, "errors": 0}}
    text = report(figures)
    assert "through the gateway / Rasa alone at the same concurrency: 0.80 of the throughput" in text
    assert "turn 1 60.0 ms, turn 30 90.0 ms (1.5x" in text


@pytest.mark.stack
def test_the_benchmark_runs_every_load_level_against_the_real_stack(model_path, tmp_path: Path, capsys) -> None:
    from switchboard.bench_chat.run import main

    out = tmp_path / "bench-chat.json"
    assert main(["--seconds", "1", "--concurrency", "1,3", "--rate", "4", "--out", str(out)]) == 0
    figures = json.loads(out.read_text(encoding="utf-8"))
    names = [run["name"] for run in figures["runs"]]
    assert names == ["http closed loop, 1 customers", "http closed loop, 3 customers", "ws closed loop, 3 customers",
                     "rasa webhook alone, 3 customers", "http open loop, 4 turns/s offered"]
    for run in figures["runs"]:
        assert run["turns"] > 0 and run["errors"] == 0, run
        assert run["cpu_ms_per_turn"]["rasa"] > 0, f"no CPU time counted for Rasa: {run}"
    assert figures["long_conversation"]["errors"] == 0 and figures["long_conversation"]["turn_1_ms"] > 0
    assert "through the gateway / Rasa alone" in capsys.readouterr().out


def test_one_process_cpu_time_counts_its_ended_children(tmp_path: Path) -> None:
    (tmp_path / "10").mkdir()
    (tmp_path / "10" / "stat").write_text(_stat(10, 10, 100, 50, 30, 20))
    assert cpu.process_cpu_seconds(10, proc=tmp_path) == 200 / cpu._TICKS
    assert cpu.process_cpu_seconds(11, proc=tmp_path) == 0.0, "a process that is gone counts nothing"


def test_scaled_processes_are_told_apart_by_role() -> None:
    from switchboard.bench_chat.targets import ROLES

    def role(command: bytes) -> str:
        return next(name for name, marker in ROLES if marker in command)

    assert role(b"/venv/bin/python\x00-m\x00bot\x00") == "gateway"
    assert role(b"/venv/bin/python\x00-m\x00switchboard.rasa_cli\x00run\x00") == "rasa"
    assert role(b"/venv/bin/python\x00-m\x00actions.server\x00--port\x005056\x00") == "actions"
    assert role(b"nginx: worker process\x00") == "nginx"


def test_only_one_kind_of_customer_when_asked() -> None:
    faq_only = scripts(per_language=10, mix={Kind.FAQ: 1.0})
    assert len(faq_only) == 10 * len(LANGUAGES) and {s.kind for s in faq_only} == {Kind.FAQ}
    assert all(len(s.turns) == 4 for s in faq_only), "greeting, two questions, goodbye"
