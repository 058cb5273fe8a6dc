"""Identity benchmark: token validation and token issue against a do-nothing baseline.

Run from the repo root (see docs/benchmarks.md):

    .venv/bin/python bench/identity.py [--clients 8] [--seconds 10] [--rounds 3] [--write-docs]

It starts its own `nuage up` on a free loopback port with a throw-away state dir, waits
until Keystone answers, then drives N concurrent keep-alive clients for a fixed time per
scenario (ping and validate alternate for --rounds rounds, merged; issue runs once):

- ping:     GET /ping, the same middleware stack with no work behind it (the baseline);
- validate: GET /identity/v3/auth/tokens (X-Auth-Token + X-Subject-Token);
- issue:    POST /identity/v3/auth/tokens, password method, project-scoped.

Absolute numbers depend on the machine (and on this client sharing its CPUs), so the figure
that matters is a ratio measured in the same run: validate throughput / ping throughput,
target >= 0.5. The server is stopped at the end whatever happens; every request goes to
127.0.0.1 and every loop is bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from support import (
    HOST,
    BenchError,
    Connection,
    Latencies,
    NuageServer,
    conclude,
    git_revision,
    issue_token,
    machine,
    password_auth_body,
    sigterm_as_interrupt,
    table,
    today,
)

RESULTS_START = "<!-- bench/identity.py results: start -->"
RESULTS_END = "<!-- bench/identity.py results: end -->"
TARGET_RATIO = 0.5
REQUEST_TIMEOUT = 10.0  # seconds; bounds the tail of each scenario


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    method: str
    path: str
    expect: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, object] | None = None


@dataclass(kw_only=True)
class Result(Latencies):
    scenario: Scenario


# --------------------------------------------------------------------------- identity


def scenarios(base_url: str, password: str) -> list[Scenario]:
    body = password_auth_body(password)
    auth_token, _ = issue_token(base_url, password)
    subject_token, _ = issue_token(base_url, password)
    return [
        Scenario("ping", "GET /ping (baseline)", "GET", "/ping", 200),
        Scenario(
            "validate",
            "GET /identity/v3/auth/tokens (validate)",
            "GET",
            "/identity/v3/auth/tokens",
            200,
            headers={"X-Auth-Token": auth_token, "X-Subject-Token": subject_token},
        ),
        Scenario(
            "issue",
            "POST /identity/v3/auth/tokens (password, project scope)",
            "POST",
            "/identity/v3/auth/tokens",
            201,
            body=body,
        ),
    ]


# --------------------------------------------------------------------------- load
# (support.Connection says why the load generator is not httpx)


def encode_request(sc: Scenario, port: int) -> bytes:
    body = json.dumps(sc.body).encode() if sc.body is not None else b""
    lines = [
        f"{sc.method} {sc.path} HTTP/1.1",
        f"Host: {HOST}:{port}",
        "Accept: application/json",
        "User-Agent: nuage-bench",
        *(f"{name}: {value}" for name, value in sc.headers.items()),
    ]
    if sc.body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _client_loop(port: int, sc: Scenario, deadline: float, out: Result) -> None:
    request = encode_request(sc, port)
    conn = Connection(port)
    try:
        while True:
            start = time.perf_counter()
            if start >= deadline:
                return
            try:
                async with asyncio.timeout(REQUEST_TIMEOUT):
                    status, body = await conn.roundtrip(request)
                error = "" if status == sc.expect else f"HTTP {status}: {body[:200]!r}"
            except (OSError, EOFError, ValueError, TimeoutError, asyncio.LimitOverrunError) as exc:
                error = f"{type(exc).__name__}: {exc}"
                await conn.close()
                await asyncio.sleep(0.01)  # no hot loop against a dead server
            if not error:
                out.latencies.append(time.perf_counter() - start)
            else:
                out.errors += 1
                out.first_error = out.first_error or error
    finally:
        await conn.close()


async def _drive(port: int, sc: Scenario, clients: int, seconds: float) -> Result:
    began = time.perf_counter()
    result = Result(scenario=sc, seconds=seconds)
    try:
        async with asyncio.timeout(seconds + 2 * REQUEST_TIMEOUT), asyncio.TaskGroup() as tg:
            for _ in range(clients):
                tg.create_task(_client_loop(port, sc, began + seconds, result))
    finally:
        result.seconds = time.perf_counter() - began
    return result


def run_scenario(port: int, sc: Scenario, clients: int, seconds: float, warmup: float) -> Result:
    if warmup > 0:
        asyncio.run(_drive(port, sc, clients, warmup))
    return asyncio.run(_drive(port, sc, clients, seconds))


# --------------------------------------------------------------------------- report


def ratio(results: dict[str, Result]) -> float:
    ping = results["ping"].rate
    return results["validate"].rate / ping if ping > 0 else math.nan


def merge(total: Result | None, more: Result) -> Result:
    """Two timed runs of the same scenario as one."""
    if total is None:
        return more
    return Result(scenario=more.scenario, seconds=total.seconds + more.seconds,
                  latencies=total.latencies + more.latencies,
                  errors=total.errors + more.errors,
                  first_error=total.first_error or more.first_error)


def markdown_table(results: dict[str, Result], round_ratios: list[float]) -> str:
    rows = table(
        ["Scenario", "Requests", "Errors", "Requests/s", "p50 (ms)", "p99 (ms)"],
        [[r.scenario.description, str(len(r.latencies)), str(r.errors), f"{r.rate:,.0f}",
          f"{r.percentile_ms(50):.1f}", f"{r.percentile_ms(99):.1f}"]
         for r in results.values()],
        "lrrrrr",
    )
    value = ratio(results)
    verdict = "meets" if value >= TARGET_RATIO else "MISSES"
    rows.append("")
    rows.append(
        f"Validation / ping throughput: **{value:.2f}** "
        f"({verdict} the target of >= {TARGET_RATIO}); "
        f"per round: {', '.join(f'{r:.2f}' for r in round_ratios)}."
    )
    return "\n".join(rows)


def machine_line(args: argparse.Namespace) -> str:
    database = args.database_url or "SQLite (default)"
    return (
        f"Measured {today()} at commit `{git_revision()}` with `--clients {args.clients} "
        f"--seconds {args.seconds:g} --rounds {args.rounds}`; machine: {machine()}; "
        f"database: {database}. Client and server share the same CPUs."
    )


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (8)")
    parser.add_argument("--seconds", type=float, default=10.0,
                        help="per scenario and round (10)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of ping then validate, merged (3)")
    parser.add_argument("--warmup", type=float, default=1.0, help="per scenario, unmeasured")
    parser.add_argument("--database-url", default=None, help="passed to `nuage up`")
    parser.add_argument(
        "--write-docs", action="store_true", help="rewrite the results in docs/benchmarks.md"
    )
    parser.add_argument(
        "--check", action="store_true", help=f"exit 2 when the ratio is below {TARGET_RATIO}"
    )
    args = parser.parse_args(argv)
    if args.clients < 1 or args.seconds <= 0 or args.warmup < 0 or not 1 <= args.rounds <= 20:
        parser.error("--clients >= 1, --seconds > 0, --warmup >= 0 and --rounds 1..20 "
                     "are required")
    if args.seconds > 600:
        parser.error("--seconds is capped at 600 to keep the run bounded")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sigterm_as_interrupt()
    with tempfile.TemporaryDirectory(prefix="nuage-bench-") as tmp:
        server = NuageServer(Path(tmp) / "state", Path(tmp) / "nuage-up.log",
                             database_url=args.database_url)
        try:
            server.start()
            server.wait_ready()
            results: dict[str, Result] = {}
            round_ratios: list[float] = []
            all_scenarios = scenarios(server.base_url, server.admin_password())
            compared = [sc for sc in all_scenarios if sc.name in ("ping", "validate")]
            # Ping and validate alternate, round after round, so that a burst of load from
            # elsewhere on the machine hits both rather than one of them.
            for number in range(args.rounds):
                this_round: dict[str, Result] = {}
                for sc in compared:
                    print(f"-- round {number + 1}/{args.rounds}: {sc.description}: "
                          f"{args.clients} clients, {args.seconds:g}s", flush=True)
                    this_round[sc.name] = run_scenario(
                        server.port, sc, args.clients, args.seconds, args.warmup)
                    results[sc.name] = merge(results.get(sc.name), this_round[sc.name])
                round_ratios.append(ratio(this_round))
            for sc in all_scenarios:
                if sc.name not in results:
                    print(f"-- {sc.description}: {args.clients} clients, {args.seconds:g}s",
                          flush=True)
                    results[sc.name] = run_scenario(
                        server.port, sc, args.clients, args.seconds, args.warmup)
        except BenchError as exc:
            print(f"bench/identity.py: {exc}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("bench/identity.py: interrupted", file=sys.stderr)
            return 130
        finally:
            server.stop()

    section = f"{machine_line(args)}\n\n{markdown_table(results, round_ratios)}"
    print()
    print(section)
    for r in results.values():
        if r.errors:
            print(
                f"\n{r.scenario.name}: {r.errors} errors, first: {r.first_error}", file=sys.stderr
            )
    return conclude(section, write=args.write_docs, markers=(RESULTS_START, RESULTS_END),
                    check=args.check, met=ratio(results) >= TARGET_RATIO)


if __name__ == "__main__":
    sys.exit(main())
