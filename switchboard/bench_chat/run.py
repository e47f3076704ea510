"""Chat capacity: ``make bench-chat`` (a benchmark: it prints figures and asserts nothing).

Starts the whole stack as ``make run`` does (own ports, a scratch data folder, this
checkout's model) and drives it on loopback with simulated customers in the six
languages (:mod:`switchboard.bench_chat.scripts`: FAQ questions, an identity check before
account data, a handoff), with no pause between turns; when one's script ends a new
customer takes its place. Printed, per load level:
turns/s, latency p50/p95/p99, errors, and CPU milliseconds per turn of each service
(its process and every child, from ``/proc``):

- closed loop over ``POST /api/chat`` at each ``--concurrency`` (N customers at once);
- closed loop over ``/ws/chat`` at the highest concurrency;
- Rasa's REST webhook alone, the same way, so the gateway's cost is a ratio;
- open loop: customers arrive at a fixed rate of ``--rate`` turns/s offered;
- one 30-turn conversation: the latency of turn 1 against turn 30.

``--rasa-instances N`` drives the scaled topology of ``make run-scaled`` instead
(PostgreSQL, Redis, nginx; N Rasa servers behind nginx, one gateway and one action server,
so that only Rasa's scale changes): ``make bench-chat ARGS="--rasa-instances 2"`` against
``--rasa-instances 1`` gives what a second Rasa server adds, and costs, on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import Any, Dict, List, Optional, Sequence

import aiohttp

from switchboard import paths
from switchboard.bench_chat.customers import new_sender, open_conversation, play
from switchboard.bench_chat.scripts import Kind, Script, long_script, mean_turns, scripts
from switchboard.bench_chat.stats import Run
from switchboard.bench_chat.targets import ScaledStack, SingleStack, Target

DEFAULT_OUT = paths.ROOT / "reports" / "bench-chat.json"


class Bench:
    """The running stack and the load drivers."""

    def __init__(self, target: Target, all_scripts: Sequence[Script]) -> None:
        self.target, self.urls, self.scripts = target, target.urls, list(all_scripts)

    def _cpu(self) -> Dict[str, float]:
        return self.target.cpu_seconds()

    async def _customer(self, http: aiohttp.ClientSession, transport: str, script: Script, run: Run) -> None:
        try:
            conversation = await open_conversation(transport, http, self.urls, new_sender(f"bench-{script.language}"))
        except Exception as failed:  # noqa: BLE001 - a refused connection is an error to count
            run.error(f"connect {type(failed).__name__}")
            return
        try:
            await play(conversation, script, run)
        finally:
            await conversation.close()

    async def closed_loop(self, name: str, transport: str, customers: int, seconds: float) -> Run:
        """``customers`` at once, each replaced by a new one when its script ends."""
        run = Run(name)
        deadline = time.perf_counter() + seconds
        async with _session(customers) as http:
            async def loop(index: int) -> None:
                turn = index
                while time.perf_counter() < deadline:
                    await self._customer(http, transport, self.scripts[turn % len(self.scripts)], run)
                    turn += customers
            return await self._measure(run, [loop(i) for i in range(customers)])

    async def open_loop(self, name: str, turns_per_second: float, seconds: float) -> Run:
        """New customers arrive on a fixed schedule, ``turns_per_second`` turns offered in all."""
        run = Run(name)
        interval = mean_turns(self.scripts) / turns_per_second
        arrivals = int(seconds / interval)
        async with _session(max(64, arrivals)) as http:
            async def arrive(index: int) -> None:
                await asyncio.sleep(index * interval)
                await self._customer(http, "http", self.scripts[index % len(self.scripts)], run)
            return await self._measure(run, [arrive(i) for i in range(arrivals)])

    async def long_conversation(self, script: Script, repeats: int = 3) -> Dict[str, Any]:
        """Turn-by-turn latency of a long conversation, one customer at a time, median over repeats."""
        by_turn: List[List[float]] = [[] for _ in script.turns]
        run = Run("long conversation")
        async with _session(1) as http:
            for _ in range(repeats):
                latencies: List[float] = []
                conversation = await open_conversation("http", http, self.urls, new_sender("bench-long"))
                await play(conversation, script, run, latencies)
                for index, seconds in enumerate(latencies):
                    by_turn[index].append(seconds)
        if not by_turn[0] or not by_turn[-1]:
            return {"turns": len(script.turns), "turn_1_ms": None, f"turn_{len(script.turns)}_ms": None,
                    "ratio": None, "errors": sum(run.errors.values())}
        first, last = median(by_turn[0]), median(by_turn[-1])
        return {"turns": len(script.turns), "turn_1_ms": round(first * 1000, 1),
                f"turn_{len(script.turns)}_ms": round(last * 1000, 1), "ratio": round(last / first, 2),
                "errors": sum(run.errors.values())}

    async def _measure(self, run: Run, tasks: List[Any]) -> Run:
        before, started = self._cpu(), time.perf_counter()
        await asyncio.gather(*tasks)
        run.seconds = time.perf_counter() - started
        after = self._cpu()
        run.cpu_seconds = {name: round(after.get(name, 0.0) - before.get(name, 0.0), 3) for name in before}
        return run


def _session(connections: int) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connections + 8))


def format_row(summary: Dict[str, Any]) -> str:
    """One line of the printed table."""
    cpu = ", ".join(f"{name} {ms}" for name, ms in summary["cpu_ms_per_turn"].items())
    return (f"{summary['name']:34} {summary['turns_per_second'] or 0:7.1f} {summary['p50_ms'] or 0:8.0f} "
            f"{summary['p95_ms'] or 0:8.0f} {summary['p99_ms'] or 0:8.0f} {summary['errors']:6d}   {cpu}")


async def measure(bench: Bench, concurrency: Sequence[int], rate: float, seconds: float) -> Dict[str, Any]:
    """Every load level, one after the other; the figures as a JSON-ready dict."""
    runs: List[Run] = []
    warm = await bench.closed_loop("warm-up", "http", 2, min(5.0, seconds))
    print(f"warm-up: {len(warm.latencies)} turns, {sum(warm.errors.values())} errors", flush=True)
    for level in concurrency:
        runs.append(await bench.closed_loop(f"http closed loop, {level} customers", "http", level, seconds))
        print(format_row(runs[-1].summary()), flush=True)
    top = max(concurrency)
    for name, transport in ((f"ws closed loop, {top} customers", "ws"), (f"rasa webhook alone, {top} customers", "webhook")):
        runs.append(await bench.closed_loop(name, transport, top, seconds))
        print(format_row(runs[-1].summary()), flush=True)
    runs.append(await bench.open_loop(f"http open loop, {rate:g} turns/s offered", rate, seconds))
    print(format_row(runs[-1].summary()), flush=True)
    long = await bench.long_conversation(long_script())
    return {"runs": [run.summary() for run in runs], "long_conversation": long}


def report(figures: Dict[str, Any]) -> str:
    """The figures as text: the table, the gateway ratio, turn 1 against turn 30."""
    lines = [f"topology: {figures.get('topology', 'make run')}",
             f"{'load':34} {'turns/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6}   CPU ms per turn",
             *[format_row(run) for run in figures["runs"]]]
    alone = next((run for run in figures["runs"] if run["name"].startswith("rasa webhook alone")), None)
    top = [run for run in figures["runs"] if run["name"].startswith("http closed loop")][-1:]
    if top and alone and alone["turns_per_second"] and top[0]["turns_per_second"]:
        lines.append(f"through the gateway / Rasa alone at the same concurrency: "
                     f"{top[0]['turns_per_second'] / alone['turns_per_second']:.2f} of the throughput")
    long = figures["long_conversation"]
    turns = long["turns"]
    last = long[f"turn_{turns}_ms"]
    lines.append(f"a {turns}-turn conversation: turn 1 {long['turn_1_ms']} ms, turn {turns} {last} ms "
                 f"({long['ratio']}x; goal <= 1.5x)")
    lines.append("goals: >= 50 turns/s on 2 cores; p99 <= 300 ms at 20 turns/s open loop; 0 errors at 50 and 200")
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    """Start the stack, run the load levels, print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrency", default="1,10,50", help="closed-loop customers at once, comma-separated")
    parser.add_argument("--rate", type=float, default=20.0, help="open loop: turns per second offered")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each load level")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON figures")
    parser.add_argument("--only", nargs="+", choices=[kind.value for kind in Kind], metavar="KIND",
                        help="only these kinds of customer (faq, identity, handoff) instead of the 70/20/10 mix; "
                             "--only faq is the issue's four-turn FAQ conversation")
    parser.add_argument("--rasa-instances", type=int, default=None, metavar="N",
                        help="drive the scaled topology (make run-scaled: PostgreSQL, Redis, nginx) with N Rasa "
                             "servers and one gateway and action server, instead of make run's stack")
    args = parser.parse_args(argv)
    try:
        levels = [int(n) for n in args.concurrency.split(",") if n.strip()]
    except ValueError:
        parser.error(f"--concurrency takes whole numbers separated by commas, not {args.concurrency!r}")
    if not levels or min(levels) < 1 or args.rate <= 0 or args.seconds <= 0:
        parser.error("--concurrency, --rate and --seconds must be positive")
    if args.rasa_instances is not None and args.rasa_instances < 1:
        parser.error("--rasa-instances must be at least 1")
    if not paths.model_path().is_file():
        print(f"No trained model at {paths.model_path()}: run `make train` first.", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="bench-chat-") as scratch:
        target: Target = SingleStack(Path(scratch)) if args.rasa_instances is None else ScaledStack(args.rasa_instances)
        try:
            mix = {Kind(kind): 1.0 for kind in args.only} if args.only else None
            figures = asyncio.run(measure(Bench(target, scripts(mix=mix)), levels, args.rate, args.seconds))
        finally:
            target.stop()
    figures["topology"] = "make run" if args.rasa_instances is None else f"scaled, {args.rasa_instances} Rasa"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print("\n" + report(figures))
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
