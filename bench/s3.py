"""S3 benchmark: object throughput against raw disk speed, small-object rates, listing, memory.

Run from the repo root (see docs/benchmarks.md):

    .venv/bin/python bench/s3.py [--size-mib 1024] [--clients 8] [--seconds 10]
                                 [--list-keys 100000] [--write-docs]

One run, one temporary directory (under --tmp-dir, /var/tmp by default) holding both the
raw baseline file and the state of its own `nuage up`, so both sit on the same disk:

1. raw: sequential write of a --size-mib file in 1 MiB writes + fsync, then a sequential
   read of it after dropping it from the page cache (posix_fadvise DONTNEED);
2. big objects, encryption on (it always is): a single-stream PUT of that file and a GET
   streamed to nowhere; a multipart upload with 4 parts in flight and a GET as 4 parallel
   ranged requests. The server's blob files are dropped from the page cache before each
   GET, like the raw file. The server's RSS is sampled every 20 ms during these transfers;
3. the same two transfers once more through boto3 (upload_file / download_fileobj with
   TransferConfig(max_concurrency=4)): what users see, client costs included; no target;
4. 4 KiB PUT, GET, HEAD and DELETE, --clients concurrent keep-alive clients, --seconds each;
5. listing: --list-keys empty objects are PUT by 16 concurrent clients (timed; capped by
   --list-fill-seconds), then one full ListObjectsV2 pagination (1,000 keys a page) is timed.

The load generator for 2, 4 and 5 is this file's own SigV4 client (http.client for big
bodies, asyncio streams for small requests) because boto3 spends far more CPU per request
and per byte (it hashes bodies sent over plain HTTP) and, on a small machine, client and
server share the CPUs. Big bodies are sent with UNSIGNED-PAYLOAD (the server still computes
MD5 for the ETag); 4 KiB bodies are signed (x-amz-content-sha256 = their SHA-256).

Targets (issue 3): PUT >= 50% of the raw write speed, GET >= 40% of the raw read speed,
server peak memory < 300 MB during the big transfers. The server is always stopped and the
temporary directory removed; every request goes to 127.0.0.1 and every phase is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import datetime
import hashlib
import hmac
import http.client
import math
import os
import re
import sys
import tempfile
import time
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from support import (
    HOST,
    BenchError,
    Connection,
    Latencies,
    MemorySampler,
    NuageServer,
    conclude,
    git_revision,
    issue_token,
    machine,
    sigterm_as_interrupt,
    table,
    today,
)

RESULTS_START = "<!-- bench/s3.py results: start -->"
RESULTS_END = "<!-- bench/s3.py results: end -->"
REGION = "RegionOne"
MIB = 1 << 20
IO_BLOCK = MIB
PUT_TARGET = 0.5
GET_TARGET = 0.4
MEMORY_TARGET_MB = 300.0
REQUEST_TIMEOUT = 30.0      # small requests
TRANSFER_TIMEOUT = 600.0    # one big body
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED = "UNSIGNED-PAYLOAD"
S3_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def ec2_credentials(base_url: str, password: str) -> tuple[str, str]:
    """Keys as `openstack ec2 credentials create` makes them: admin, project admin."""
    token, info = issue_token(base_url, password)
    user_id, project_id = info["user"]["id"], info["project"]["id"]
    resp = httpx.post(f"{base_url}/identity/v3/users/{user_id}/credentials/OS-EC2",
                      json={"tenant_id": project_id}, headers={"X-Auth-Token": token},
                      timeout=30.0)
    if resp.status_code not in (200, 201):
        raise BenchError(f"EC2 credential failed: HTTP {resp.status_code} {resp.text[:300]}")
    cred = resp.json()["credential"]
    return str(cred["access"]), str(cred["secret"])


# --------------------------------------------------------------------------- SigV4


def _quote(value: str, safe: str = "-_.~") -> str:
    return urllib.parse.quote(value, safe=safe)


class Signer:
    """AWS Signature V4 in the Authorization header, for service s3."""

    def __init__(self, access: str, secret: str, port: int) -> None:
        self.access, self.secret, self.host = access, secret, f"{HOST}:{port}"
        self._keys: dict[str, bytes] = {}

    def _key(self, date: str) -> bytes:
        if date not in self._keys:
            k = ("AWS4" + self.secret).encode()
            for part in (date, REGION, "s3", "aws4_request"):
                k = hmac.new(k, part.encode(), hashlib.sha256).digest()
            self._keys[date] = k
        return self._keys[date]

    def headers(self, method: str, path: str, query: list[tuple[str, str]],
                payload_hash: str, extra: dict[str, str] | None = None) -> dict[str, str]:
        """Signed headers; `path` is already URI-encoded (as sent)."""
        amz_date = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
        headers = {"host": self.host, "x-amz-date": amz_date,
                   "x-amz-content-sha256": payload_hash}
        headers.update({k.lower(): v for k, v in (extra or {}).items()})
        names = sorted(headers)
        canonical_query = "&".join(f"{_quote(k)}={_quote(v)}" for k, v in sorted(query))
        canonical = "\n".join([method, path, canonical_query,
                               "".join(f"{n}:{headers[n].strip()}\n" for n in names),
                               ";".join(names), payload_hash])
        scope = f"{amz_date[:8]}/{REGION}/s3/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                             hashlib.sha256(canonical.encode()).hexdigest()])
        signature = hmac.new(self._key(amz_date[:8]), to_sign.encode(),
                             hashlib.sha256).hexdigest()
        headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={self.access}/{scope}, "
                                    f"SignedHeaders={';'.join(names)}, Signature={signature}")
        return headers


def target(path: str, query: list[tuple[str, str]]) -> str:
    if not query:
        return path
    return path + "?" + "&".join(f"{_quote(k)}={_quote(v)}" for k, v in query)


def object_path(bucket: str, key: str) -> str:
    return f"/{bucket}/{_quote(key, safe='/-_.~')}"


# --------------------------------------------------------------------------- big bodies


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    received: int = 0   # body bytes read when streamed to nowhere


class BigClient:
    """Requests whose bodies come from / go to a file range, over http.client."""

    def __init__(self, signer: Signer, port: int) -> None:
        self.signer, self.port = signer, port

    def request(self, method: str, path: str, query: list[tuple[str, str]] | None = None, *,
                body: bytes = b"", source: tuple[Path, int, int] | None = None,
                extra: dict[str, str] | None = None, discard: bool = False) -> Reply:
        query = query or []
        length = source[2] if source is not None else len(body)
        payload = UNSIGNED if source is not None else hashlib.sha256(body).hexdigest()
        headers = self.signer.headers(method, path, query, payload, extra)
        if method in ("PUT", "POST"):
            headers["content-length"] = str(length)
        conn = http.client.HTTPConnection(HOST, self.port, timeout=TRANSFER_TIMEOUT,
                                          blocksize=IO_BLOCK)
        try:
            conn.putrequest(method, target(path, query), skip_host=True,
                            skip_accept_encoding=True)
            for name, value in headers.items():
                conn.putheader(name, value)
            conn.endheaders()
            if source is not None:
                _send_range(conn, *source)
            elif body:
                conn.send(body)
            resp = conn.getresponse()
            reply = Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, b"")
            if discard and resp.status in (200, 206):
                buf = bytearray(IO_BLOCK)
                while n := resp.readinto(buf):
                    reply.received += n
            else:
                reply.body = resp.read()
            return reply
        finally:
            conn.close()

    def check(self, reply: Reply, expect: tuple[int, ...], what: str) -> Reply:
        if reply.status not in expect:
            raise BenchError(f"{what}: HTTP {reply.status} {reply.body[:300]!r}")
        return reply


def _send_range(conn: http.client.HTTPConnection, path: Path, offset: int, length: int
                ) -> None:
    with path.open("rb", buffering=0) as f:
        f.seek(offset)
        buf = bytearray(IO_BLOCK)
        view = memoryview(buf)
        left = length
        while left:
            n = f.readinto(view[: min(IO_BLOCK, left)])
            if not n:
                raise BenchError(f"{path} shorter than expected")
            conn.send(view[:n])
            left -= n


def drop_cache(paths: Iterator[Path] | list[Path]) -> None:
    """Evict (clean, fsynced) file pages so the next read comes from the disk."""
    for path in paths:
        with contextlib.suppress(OSError):
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def blob_files(state_dir: Path) -> Iterator[Path]:
    return (p for p in (state_dir / "blobs").rglob("*") if p.is_file())


@dataclass
class Transfer:
    name: str
    nbytes: int
    seconds: float

    @property
    def mib_s(self) -> float:
        return self.nbytes / MIB / self.seconds if self.seconds > 0 else math.nan


def raw_baseline(path: Path, size: int) -> tuple[Transfer, Transfer]:
    block = os.urandom(IO_BLOCK)
    began = time.perf_counter()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        left = size
        while left:
            left -= os.write(fd, block[: min(IO_BLOCK, left)])
        os.fsync(fd)
    finally:
        os.close(fd)
    write = Transfer("raw write + fsync", size, time.perf_counter() - began)
    drop_cache([path])
    began = time.perf_counter()
    total = 0
    with path.open("rb", buffering=0) as f:
        buf = bytearray(IO_BLOCK)
        while n := f.readinto(buf):
            total += n
    read = Transfer("raw read (cold cache)", total, time.perf_counter() - began)
    return write, read


def file_md5(path: Path) -> str:
    md5 = hashlib.md5()
    with path.open("rb") as f:
        while block := f.read(8 * MIB):
            md5.update(block)
    return md5.hexdigest()


def single_stream(client: BigClient, bucket: str, key: str, path: Path, size: int,
                  state_dir: Path) -> tuple[Transfer, Transfer, str]:
    opath = object_path(bucket, key)
    began = time.perf_counter()
    reply = client.check(client.request("PUT", opath, source=(path, 0, size)), (200,),
                         "single-stream PUT")
    put = Transfer("PUT, single stream", size, time.perf_counter() - began)
    etag = reply.headers.get("etag", "").strip('"')
    drop_cache(blob_files(state_dir))
    began = time.perf_counter()
    reply = client.check(client.request("GET", opath, discard=True), (200,),
                         "single-stream GET")
    get = Transfer("GET, single stream", reply.received, time.perf_counter() - began)
    if reply.received != size:
        raise BenchError(f"GET returned {reply.received} bytes, expected {size}")
    return put, get, etag


def parallel(jobs: list[Callable[[], Reply]], workers: int) -> list[Reply]:
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda job: job(), jobs))


def multipart(client: BigClient, bucket: str, key: str, path: Path, size: int,
              part_size: int, state_dir: Path) -> tuple[Transfer, Transfer]:
    opath = object_path(bucket, key)
    began = time.perf_counter()
    reply = client.check(client.request("POST", opath, [("uploads", "")]), (200,),
                         "CreateMultipartUpload")
    upload_id = ET.fromstring(reply.body).findtext(f"{S3_NS}UploadId") or ""
    ranges = [(n + 1, off, min(part_size, size - off))
              for n, off in enumerate(range(0, size, part_size))]

    def part(number: int, offset: int, length: int) -> Callable[[], Reply]:
        return lambda: client.check(client.request(
            "PUT", opath, [("partNumber", str(number)), ("uploadId", upload_id)],
            source=(path, offset, length)), (200,), f"UploadPart {number}")

    replies = parallel([part(*r) for r in ranges], 4)
    doc = "".join(f"<Part><PartNumber>{n}</PartNumber><ETag>{r.headers['etag']}</ETag></Part>"
                  for (n, _, _), r in zip(ranges, replies, strict=True))
    body = f"<CompleteMultipartUpload>{doc}</CompleteMultipartUpload>".encode()
    reply = client.check(client.request("POST", opath, [("uploadId", upload_id)], body=body),
                         (200,), "CompleteMultipartUpload")
    if b"<Error>" in reply.body:
        raise BenchError(f"CompleteMultipartUpload: {reply.body[:300]!r}")
    put = Transfer(f"PUT, multipart, 4 x {part_size // MIB} MiB parts in flight", size,
                   time.perf_counter() - began)
    drop_cache(blob_files(state_dir))

    def ranged(offset: int, length: int) -> Callable[[], Reply]:
        return lambda: client.check(client.request(
            "GET", opath, extra={"range": f"bytes={offset}-{offset + length - 1}"},
            discard=True), (206, 200), "ranged GET")

    began = time.perf_counter()
    replies = parallel([ranged(off, length) for _, off, length in ranges], 4)
    received = sum(r.received for r in replies)
    get = Transfer(f"GET, 4 parallel {part_size // MIB} MiB ranges", received,
                   time.perf_counter() - began)
    if received != size:
        raise BenchError(f"ranged GETs returned {received} bytes, expected {size}")
    return put, get


def boto3_transfers(port: int, access: str, secret: str, bucket: str, path: Path, size: int,
                    part_size: int, state_dir: Path) -> tuple[Transfer, Transfer]:
    import boto3
    from boto3.s3.transfer import TransferConfig
    from botocore.config import Config

    client: Any = boto3.client(
        "s3", endpoint_url=f"http://{HOST}:{port}", aws_access_key_id=access,
        aws_secret_access_key=secret, region_name=REGION,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
    config = TransferConfig(multipart_threshold=part_size, multipart_chunksize=part_size,
                            max_concurrency=4)
    began = time.perf_counter()
    client.upload_file(str(path), bucket, "boto3-object", Config=config)
    put = Transfer("boto3 upload_file (multipart, 4 threads)", size,
                   time.perf_counter() - began)
    drop_cache(blob_files(state_dir))
    began = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        client.download_fileobj(bucket, "boto3-object", sink, Config=config)
    get = Transfer("boto3 download_fileobj (4 threads)", size, time.perf_counter() - began)
    client.delete_object(Bucket=bucket, Key="boto3-object")
    return put, get


# --------------------------------------------------------------------------- small requests


def encode(signer: Signer, method: str, path: str, query: list[tuple[str, str]] | None = None,
           body: bytes = b"", body_sha256: str | None = None) -> bytes:
    query = query or []
    headers = signer.headers(method, path, query, body_sha256 or
                             hashlib.sha256(body).hexdigest())
    if method in ("PUT", "POST"):
        headers["content-length"] = str(len(body))
    lines = [f"{method} {target(path, query)} HTTP/1.1",
             *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass(kw_only=True)
class OpResult(Latencies):
    name: str


async def _op_client(conn: Connection, requests: Callable[[int], bytes | None], expect: int,
                     deadline: float, out: OpResult, head: bool) -> None:
    n = 0
    while time.perf_counter() < deadline:
        request = requests(n)
        if request is None:
            return
        n += 1
        start = time.perf_counter()
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT):
                status, body = await conn.roundtrip(request, head)
            error = "" if status == expect else f"HTTP {status}: {body[:200]!r}"
        except (OSError, EOFError, ValueError, TimeoutError, asyncio.LimitOverrunError) as exc:
            error = f"{type(exc).__name__}: {exc}"
            await conn.close()
            await asyncio.sleep(0.01)
        if error:
            out.errors += 1
            out.first_error = out.first_error or error
        else:
            out.latencies.append(time.perf_counter() - start)


async def run_phase(conns: list[Connection], name: str,
                    requests: list[Callable[[int], bytes | None]], expect: int,
                    seconds: float, head: bool = False) -> OpResult:
    out = OpResult(name=name)
    began = time.perf_counter()
    try:
        async with asyncio.timeout(seconds + 2 * REQUEST_TIMEOUT), asyncio.TaskGroup() as tg:
            for conn, req in zip(conns, requests, strict=True):
                tg.create_task(_op_client(conn, req, expect, began + seconds, out, head))
    finally:
        out.seconds = time.perf_counter() - began
    return out


async def small_ops(signer: Signer, port: int, bucket: str, clients: int, seconds: float
                    ) -> list[OpResult]:
    body = os.urandom(4096)
    digest = hashlib.sha256(body).hexdigest()
    conns = [Connection(port) for _ in range(clients)]
    written: list[list[str]] = [[] for _ in range(clients)]

    def putter(i: int) -> Callable[[int], bytes | None]:
        def make(n: int) -> bytes:
            path = object_path(bucket, f"small/{i:02d}/{n:08d}")
            written[i].append(path)
            return encode(signer, "PUT", path, body=body, body_sha256=digest)
        return make

    def cycler(i: int, method: str) -> Callable[[int], bytes | None]:
        def make(n: int) -> bytes | None:
            keys = written[i]
            return encode(signer, method, keys[n % len(keys)]) if keys else None
        return make

    def deleter(i: int) -> Callable[[int], bytes | None]:
        def make(n: int) -> bytes | None:
            keys = written[i]
            return encode(signer, "DELETE", keys[n]) if n < len(keys) else None
        return make

    results = []
    try:
        results.append(await run_phase(conns, "PUT 4 KiB", [putter(i) for i in range(clients)],
                                       200, seconds))
        results.append(await run_phase(conns, "GET 4 KiB", [cycler(i, "GET")
                                                            for i in range(clients)],
                                       200, seconds))
        results.append(await run_phase(conns, "HEAD 4 KiB", [cycler(i, "HEAD")
                                                             for i in range(clients)],
                                       200, seconds, head=True))
        results.append(await run_phase(conns, "DELETE", [deleter(i) for i in range(clients)],
                                       204, seconds))
    finally:
        for conn in conns:
            await conn.close()
    return results


@dataclass
class Listing:
    wanted: int
    created: int = 0
    fill_seconds: float = 0.0
    fill_errors: int = 0
    listed: int = 0
    pages: int = 0
    list_seconds: float = 0.0

    @property
    def complete(self) -> bool:
        return self.created >= self.wanted


async def fill_bucket(signer: Signer, port: int, bucket: str, count: int, seconds: float,
                      out: Listing, clients: int = 16) -> None:
    conns = [Connection(port) for _ in range(clients)]
    share = [count // clients + (1 if i < count % clients else 0) for i in range(clients)]

    def maker(i: int) -> Callable[[int], bytes | None]:
        def make(n: int) -> bytes | None:
            if n >= share[i]:
                return None
            return encode(signer, "PUT", object_path(bucket, f"k/{i:02d}/{n:07d}"),
                          body_sha256=EMPTY_SHA256)
        return make

    try:
        res = await run_phase(conns, "fill", [maker(i) for i in range(clients)], 200, seconds)
    finally:
        for conn in conns:
            await conn.close()
    out.created, out.fill_seconds, out.fill_errors = len(res.latencies), res.seconds, res.errors


async def list_all(signer: Signer, port: int, bucket: str, out: Listing) -> None:
    conn = Connection(port)
    token: str | None = None
    began = time.perf_counter()
    try:
        while True:
            query = [("list-type", "2"), ("max-keys", "1000")]
            if token:
                query.append(("continuation-token", token))
            status, body = await conn.roundtrip(encode(signer, "GET", f"/{bucket}", query))
            if status != 200:
                raise BenchError(f"ListObjectsV2: HTTP {status} {body[:300]!r}")
            out.pages += 1
            out.listed += body.count(b"<Contents>")
            match = re.search(rb"<NextContinuationToken>([^<]*)</NextContinuationToken>", body)
            if b"<IsTruncated>true</IsTruncated>" not in body or not match:
                break
            token = match.group(1).decode()
            if time.perf_counter() - began > TRANSFER_TIMEOUT:
                raise BenchError("listing took longer than 10 minutes")
    finally:
        out.list_seconds = time.perf_counter() - began
        await conn.close()


# --------------------------------------------------------------------------- report


@dataclass
class Results:
    size: int
    raw_write: Transfer
    raw_read: Transfer
    transfers: list[Transfer]
    boto3: list[Transfer]
    peak_rss_kib: int
    hwm_kib: int
    ops: list[OpResult]
    listing: Listing
    etag_ok: bool

    def checks(self) -> list[tuple[str, bool]]:
        out = []
        for t in self.transfers:
            base, goal = ((self.raw_write, PUT_TARGET) if t.name.startswith("PUT")
                          else (self.raw_read, GET_TARGET))
            out.append((t.name, t.mib_s / base.mib_s >= goal))
        out.append(("memory", self.peak_rss_kib / 1024 < MEMORY_TARGET_MB))
        return out


def verdict(ok: bool) -> str:
    return "pass" if ok else "**FAIL**"


def markdown(res: Results) -> str:
    transfers = [[res.raw_write.name, f"{res.raw_write.mib_s:,.0f}", "", "", "", ""],
                 [res.raw_read.name, f"{res.raw_read.mib_s:,.0f}", "", "", "", ""]]
    for t in res.transfers:
        is_put = t.name.startswith("PUT")
        base, goal = (res.raw_write, PUT_TARGET) if is_put else (res.raw_read, GET_TARGET)
        value = t.mib_s / base.mib_s
        transfers.append([t.name, f"{t.mib_s:,.0f}", "raw write" if is_put else "raw read",
                          f"{value:.2f}", f">= {goal}", verdict(value >= goal)])
    for t in res.boto3:
        is_put = "upload" in t.name
        base = res.raw_write if is_put else res.raw_read
        transfers.append([f"{t.name} (client view, no target)", f"{t.mib_s:,.0f}",
                          "raw write" if is_put else "raw read", f"{t.mib_s / base.mib_s:.2f}",
                          "", ""])
    rows = [f"Object size {res.size // MIB} MiB, encrypted (AES-256-GCM, 64 KiB chunks).",
            "",
            *table(["Transfer", "MiB/s", "Baseline", "Ratio", "Target", "Result"], transfers,
                   "lrlrrl")]
    peak_mb = res.peak_rss_kib / 1024
    rows += ["",
             f"Server peak RSS during the big transfers: **{peak_mb:,.0f} MB** (sampled every "
             f"20 ms; VmHWM since start {res.hwm_kib / 1024:,.0f} MB); target < "
             f"{MEMORY_TARGET_MB:.0f} MB: {verdict(peak_mb < MEMORY_TARGET_MB)}. "
             f"Single-stream ETag = MD5 of the file: {'yes' if res.etag_ok else '**NO**'}.",
             "",
             *table(["4 KiB operation", "Requests", "Errors", "Requests/s", "p50 (ms)",
                     "p99 (ms)"],
                    [[op.name, str(len(op.latencies)), str(op.errors), f"{op.rate:,.0f}",
                      f"{op.percentile_ms(50):.1f}", f"{op.percentile_ms(99):.1f}"]
                     for op in res.ops], "lrrrrr")]
    lst = res.listing
    if not lst.wanted:
        return "\n".join(rows)
    fill_rate = lst.created / lst.fill_seconds if lst.fill_seconds else math.nan
    list_rate = lst.listed / lst.list_seconds if lst.list_seconds else math.nan
    rows += ["",
             f"Listing: {lst.created:,} of {lst.wanted:,} empty objects created in "
             f"{lst.fill_seconds:,.1f} s by 16 concurrent clients ({fill_rate:,.0f} PUT/s, "
             f"{lst.fill_errors} errors)"
             + ("" if lst.complete else " — **stopped by --list-fill-seconds**")
             + f"; a full ListObjectsV2 pagination returned {lst.listed:,} keys in "
               f"{lst.pages} pages in **{lst.list_seconds:,.2f} s** ({list_rate:,.0f} keys/s, "
               f"{1000 * lst.list_seconds / max(lst.pages, 1):,.0f} ms a page)."]
    return "\n".join(rows)


def machine_line(args: argparse.Namespace, tmp: str) -> str:
    return (f"Measured {today()} at commit `{git_revision()}` with `--size-mib {args.size_mib} "
            f"--clients {args.clients} --seconds {args.seconds:g} --list-keys "
            f"{args.list_keys}`; machine: {machine()}; "
            f"state and raw file under `{Path(tmp).parent}` (same filesystem); SQLite. "
            "Client and server share the same CPUs.")


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size-mib", type=int, default=1024, help="big object (1024)")
    parser.add_argument("--part-mib", type=int, default=0,
                        help="multipart part size (default: size / 8, at least 5)")
    parser.add_argument("--clients", type=int, default=8, help="4 KiB clients (8)")
    parser.add_argument("--seconds", type=float, default=10.0, help="per 4 KiB phase (10)")
    parser.add_argument("--list-keys", type=int, default=100_000, help="keys to list (100000)")
    parser.add_argument("--list-fill-seconds", type=float, default=600.0,
                        help="cap on the time spent creating them (600)")
    parser.add_argument("--no-boto3", action="store_true", help="skip the boto3 transfers")
    parser.add_argument("--tmp-dir", default="/var/tmp",
                        help="parent of the run's temporary directory (/var/tmp)")
    parser.add_argument("--write-docs", action="store_true",
                        help="rewrite the results in docs/benchmarks.md")
    parser.add_argument("--check", action="store_true", help="exit 2 when a target is missed")
    args = parser.parse_args(argv)
    if args.size_mib < 5 or args.clients < 1 or args.seconds <= 0 or args.list_keys < 0:
        parser.error("--size-mib >= 5, --clients >= 1, --seconds > 0, --list-keys >= 0")
    if args.seconds > 600 or args.list_fill_seconds > 3600 or args.size_mib > 16384:
        parser.error("--seconds <= 600, --list-fill-seconds <= 3600, --size-mib <= 16384")
    if not args.part_mib:
        args.part_mib = max(5, args.size_mib // 8)
    return args


def step(message: str) -> None:
    print(f"-- {message}", flush=True)


def run(args: argparse.Namespace, tmp: Path) -> Results:
    size, part = args.size_mib * MIB, args.part_mib * MIB
    raw_path = tmp / "raw.bin"
    step(f"raw sequential write + fsync and cold read of {args.size_mib} MiB in {tmp}")
    raw_write, raw_read = raw_baseline(raw_path, size)
    print(f"   write {raw_write.mib_s:,.0f} MiB/s, read {raw_read.mib_s:,.0f} MiB/s")
    server = NuageServer(tmp / "state", tmp / "nuage-up.log",
                         env={"NUAGE_LOG_LEVEL": "warning"})
    try:
        server.start()
        server.wait_ready()
        access, secret = ec2_credentials(server.base_url, server.admin_password())
        signer = Signer(access, secret, server.s3_port)
        big = BigClient(signer, server.s3_port)
        big.check(big.request("PUT", "/bench"), (200,), "CreateBucket")
        sampler = MemorySampler(server.pid)
        with sampler:
            step("single-stream PUT and GET")
            put, get, etag = single_stream(big, "bench", "big-single", raw_path, size,
                                           server.state_dir)
            print(f"   PUT {put.mib_s:,.0f} MiB/s, GET {get.mib_s:,.0f} MiB/s")
            big.check(big.request("DELETE", object_path("bench", "big-single")), (204,),
                      "DELETE")
            step(f"multipart PUT ({args.part_mib} MiB parts, 4 in flight), 4 ranged GETs")
            mput, mget = multipart(big, "bench", "big-multipart", raw_path, size, part,
                                   server.state_dir)
            print(f"   PUT {mput.mib_s:,.0f} MiB/s, GET {mget.mib_s:,.0f} MiB/s")
            big.check(big.request("DELETE", object_path("bench", "big-multipart")), (204,),
                      "DELETE")
            boto: list[Transfer] = []
            if not args.no_boto3:
                step("boto3 upload_file / download_fileobj")
                boto = list(boto3_transfers(server.s3_port, access, secret, "bench", raw_path,
                                            size, part, server.state_dir))
                print(f"   PUT {boto[0].mib_s:,.0f} MiB/s, GET {boto[1].mib_s:,.0f} MiB/s")
            hwm = sampler.status("VmHWM")
        step("MD5 of the file (untimed, checks the single-stream ETag)")
        etag_ok = etag == file_md5(raw_path)
        step(f"4 KiB PUT/GET/HEAD/DELETE, {args.clients} clients, {args.seconds:g} s each")
        ops = asyncio.run(small_ops(signer, server.s3_port, "bench", args.clients,
                                    args.seconds))
        for op in ops:
            print(f"   {op.name}: {op.rate:,.0f}/s ({op.errors} errors)")
        listing = Listing(args.list_keys)
        if args.list_keys:
            big.check(big.request("PUT", "/bench-list"), (200,), "CreateBucket")
            step(f"creating {args.list_keys:,} keys (cap {args.list_fill_seconds:g} s)")
            asyncio.run(fill_bucket(signer, server.s3_port, "bench-list", args.list_keys,
                                    args.list_fill_seconds, listing))
            print(f"   {listing.created:,} keys in {listing.fill_seconds:,.1f} s")
            step("full ListObjectsV2 pagination")
            asyncio.run(list_all(signer, server.s3_port, "bench-list", listing))
            print(f"   {listing.listed:,} keys in {listing.list_seconds:,.2f} s")
        return Results(size, raw_write, raw_read, [put, get, mput, mget], boto,
                       sampler.peak_kib, hwm, ops, listing, etag_ok)
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sigterm_as_interrupt()
    with tempfile.TemporaryDirectory(prefix="nuage-bench-s3-", dir=args.tmp_dir) as tmp:
        try:
            results = run(args, Path(tmp))
        except BenchError as exc:
            print(f"bench/s3.py: {exc}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("bench/s3.py: interrupted", file=sys.stderr)
            return 130
        section = f"{machine_line(args, tmp)}\n\n{markdown(results)}"
    print()
    print(section)
    for op in results.ops:
        if op.errors:
            print(f"\n{op.name}: {op.errors} errors, first: {op.first_error}", file=sys.stderr)
    return conclude(section, write=args.write_docs, markers=(RESULTS_START, RESULTS_END),
                    check=args.check, met=all(ok for _, ok in results.checks()))


if __name__ == "__main__":
    sys.exit(main())
