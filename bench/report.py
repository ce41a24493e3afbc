"""The summary table (stdout) and the Markdown report (BENCHMARKS.md)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.async_load import ASYNC_MIN_FRACTION_OF_OPEN, AsyncResults
from bench.async_load import FLOORS as ASYNC_FLOORS
from bench.django_peers import FLOORS as PEER_FLOORS
from bench.django_peers import LABELS as PEER_LABELS
from bench.django_peers import PeersResults
from bench.dpop_cost import DPoPMeasured
from bench.http_load import HttpResults, ServerRun, paired_ratios
from bench.instructions import beyond
from bench.machine import Machine
from bench.metrics_cost import MAX_METRICS_US, MetricsMeasured
from bench.standards_cost import StandardsMeasured
from bench.validation import Measured, WsgiMeasured

REPEATED_MAX_US = 10.0
REPEATED_MAX_RSA_FRACTION = 1 / 3
#: A first-seen token costs at most this many bare RSA-2048 verifications.
FIRST_SEEN_MAX_RSA_MULTIPLE = 2.0
#: A DPoP request (cached bound token, fresh proof) costs at most this many bare verifications of its proof.
DPOP_MAX_VERIFY_MULTIPLE = 1.5
ME_MIN_PEER_MULTIPLE = 2.0  # over HTTP, the median of the per-round ratios
ME_MIN_CLUSTER_MULTIPLE = 1.0
FLOOD_MIN_FRACTION = 0.5
PEER_MIN_MULTIPLE = 2.0  # jwks_auth's in-process /me throughput over each Django peer's (shown, no verdict)
#: Instructions: each Django peer's /me over jwks_auth's, at least.
PEER_MIN_INSTRUCTION_MULTIPLE = 2.5
#: Instructions: jwks_auth's /me - / beyond the floor's, OpenSSL (the token's digest) not counted, at most.
OWN_MAX_INSTRUCTIONS = 30_000
#: Other work above this share of the CPUs during a measurement makes the run not comparable.
MAX_OTHER_BUSY = 0.10


@dataclass
class Row:
    section: str
    measure: str
    value: str
    compare: str = ""
    status: str = ""  # "met", "MISSED" or ""
    ref: str = ""  # id of the command that produced the figure


@dataclass
class Report:
    machine: Machine
    invocation: str
    smoke: bool
    validation: list[Measured] = field(default_factory=list)
    wsgi: WsgiMeasured | None = None
    http: HttpResults | None = None
    metrics: list[MetricsMeasured] = field(default_factory=list)
    dpop: DPoPMeasured | None = None
    standards: StandardsMeasured | None = None
    max_token_length: tuple[int, str] | None = None
    elapsed_s: float = 0.0
    load_start: str = ""
    load_end: str = ""
    background: list[str] = field(default_factory=list)
    code_start: str = ""
    code_end: str = ""
    other_work: list[tuple[str, float]] = field(default_factory=list)  # (part, share of CPUs busy with other work)
    peers: PeersResults | None = None
    peers_background: list[str] = field(default_factory=list)
    async_http: AsyncResults | None = None
    async_background: list[str] = field(default_factory=list)
    commands: dict[str, str] = field(default_factory=dict)

    # -- honesty ---------------------------------------------------------------
    def other_work_peaks(self) -> list[tuple[str, float]]:
        """(part, share of the CPUs other work took) for every in-process part and every wrk run."""
        peaks = list(self.other_work)
        if self.http is not None:
            for run in self.http.all_runs():
                for path, result in run.results.items():
                    if result.other_busy is not None:
                        peaks.append((f"HTTP {run.label} ({run.cache}) GET {path}", result.other_busy))
            if self.http.flood is not None and self.http.flood.valid.other_busy is not None:
                peaks.append(("HTTP forged-token flood", self.http.flood.valid.other_busy))
        if self.peers is not None:
            for run in self.peers.http:
                for path, result in run.results.items():
                    if result.other_busy is not None:
                        peaks.append((f"HTTP Django peer {run.label} GET {path}", result.other_busy))
        return peaks

    @property
    def comparable(self) -> bool:
        """False when other work took more than MAX_OTHER_BUSY of the CPUs during any measurement."""
        return all(share <= MAX_OTHER_BUSY for _, share in self.other_work_peaks())

    def _honesty_rows(self) -> list[Row]:
        peaks = self.other_work_peaks()
        if not peaks:
            return []
        part, share = max(peaks, key=lambda p: p[1])
        busy = sum(1 for _, s in peaks if s > MAX_OTHER_BUSY)
        status = "comparable" if self.comparable else "NOT COMPARABLE"
        return [
            Row(
                "run",
                f"other work during measurements, peak (limit {MAX_OTHER_BUSY:.0%} of the CPUs)",
                f"{share:.0%}",
                f"in {part}; {busy} of {len(peaks)} measurements over the limit",
                status,
            )
        ]

    # -- commands -------------------------------------------------------------
    def ref(self, command: str, prefix: str) -> str:
        for key, known in self.commands.items():
            if known == command:
                return key
        key = f"{prefix}{sum(1 for k in self.commands if k.startswith(prefix)) + 1}"
        self.commands[key] = command
        return key

    # -- rows -------------------------------------------------------------------
    def register_commands(self) -> None:
        """Number the commands in the order the run used them."""
        for m in self.validation:
            self.ref(m.command, "V")
        if self.wsgi is not None:
            self.ref(self.wsgi.command, "V")
        for m in self.metrics:
            self.ref(m.command, "M")
        if self.dpop is not None:
            self.ref(self.dpop.command, "D")
        if self.standards is not None:
            self.ref(self.standards.command, "S")
        if self.http is not None:
            for run in self.http.all_runs():
                for path in ("/", "/me"):
                    self._http_ref(run, path)
            if self.http.flood is not None:
                self.ref(self.http.flood.valid.command, "W")
                self.ref(self.http.flood.forged.command, "W")
                self.ref(self.http.flood.control.scripted.command, "W")
        if self.peers is not None:
            for m in self.peers.in_process:
                self.ref(m.command, "P")
            for c in self.peers.counted:
                self.ref(c.command, "I")
            for run in self.peers.http:
                for path in ("/", "/me"):
                    self._http_ref(run, path)

    def rows(self) -> list[Row]:
        self.register_commands()
        rows: list[Row] = self._honesty_rows()
        if self.validation:
            rows += self._validation_rows()
        if self.wsgi is not None:
            w, ref = self.wsgi, self.ref(self.wsgi.command, "V")
            sec = f"in-process WSGI, no network (µs/request, best of {w.repeats})"
            rows += [
                Row(sec, "GET /", f"{w.root_us:.0f}", f"{1e6 / w.root_us:,.0f} req/s on one core", "", ref),
                Row(
                    sec,
                    "GET /me (repeated token)",
                    f"{w.me_us:.0f}",
                    f"{1e6 / w.me_us:,.0f} req/s on one core",
                    "",
                    ref,
                ),
                Row(
                    sec,
                    "/me ÷ / (throughput)",
                    f"{w.root_us / w.me_us:.2f}",
                    f"/me costs {w.me_us - w.root_us:+.0f} µs",
                    "",
                    ref,
                ),
            ]
            if w.first_seen_us is not None and w.forged_us is not None:
                rows += [
                    Row(
                        sec,
                        "GET /me, first-seen valid token",
                        f"{w.first_seen_us:.0f}",
                        "a new token per request",
                        "",
                        ref,
                    ),
                    Row(
                        sec,
                        "GET /me, forged token (401)",
                        f"{w.forged_us:.0f}",
                        f"{w.forged_us / w.first_seen_us:.2f} x a first-seen valid token",
                        "",
                        ref,
                    ),
                    Row(
                        "targets (forged tokens)",
                        "refusing a forged token <= verifying a valid one (in process)",
                        f"{w.forged_us:.0f} / {w.first_seen_us:.0f} µs",
                        "<= 1.00 x",
                        _status(w.forged_us <= w.first_seen_us),
                        ref,
                    ),
                ]
        rows += self._metrics_rows()
        rows += self._dpop_rows()
        rows += self._standards_rows()
        if self.http is not None:
            rows += self._http_rows(self.http)
        if self.async_http is not None:
            rows += self._async_rows(self.async_http)
        if self.peers is not None:
            rows += self._peer_rows(self.peers)
        return rows

    def _async_rows(self, results: AsyncResults) -> list[Row]:
        sec = f"async views over HTTP (req/s, best of {results.rounds} round(s); ratios: median of the rounds)"
        rows: list[Row] = []
        for run in results.runs:
            for path in results.paths.get(run.label, {}):
                if path not in run.results:
                    continue
                compare = f"p99 {run.results[path].p99_ms:.1f} ms"
                if path in ASYNC_FLOORS:
                    median = results.median_ratio(run, path)
                    if median is not None:
                        compare += f"; {median:.2f} x {ASYNC_FLOORS[path]}" + _per_round(results.ratios(run, path))
                if not run.results[path].clean:
                    compare += "; NOT COMPARABLE: errors"
                rows.append(
                    Row(
                        sec,
                        f"{run.label}: GET {path}",
                        f"{run.rps(path):,.0f} req/s",
                        compare,
                        "",
                        self._http_ref(run, path),
                    )
                )
        best = results.best_asgi()
        label = f"async Ninja /me >= {ASYNC_MIN_FRACTION_OF_OPEN} x the same server's unauthenticated async endpoint"
        if best is None:
            return rows + [Row("targets (async)", label, "n/a", "no ASGI server measured", "not run")]
        median = results.median_ratio(best, "/ninja/ame")
        if median is None:
            return rows + [Row("targets (async)", label, "n/a", "no round measured both", "not run")]
        rows.append(
            Row(
                "targets (async)",
                label + f" ({best.label}, the best ASGI server here)",
                _ratio(median, ASYNC_MIN_FRACTION_OF_OPEN) + " median" + _per_round(results.ratios(best, "/ninja/ame")),
                f">= {ASYNC_MIN_FRACTION_OF_OPEN}",
                _status(median >= ASYNC_MIN_FRACTION_OF_OPEN),
            )
        )
        return rows

    def _peer_rows(self, peers: PeersResults) -> list[Row]:
        if peers.skipped:
            return [Row("Django peers", "all", "n/a", f"skipped: {peers.skipped}", "not run")]
        rows: list[Row] = []
        mine = peers.wsgi("jwks_auth")
        sec = "Django peers, one minimal Django + DRF stack, in process (µs/request)"
        for m in peers.in_process:
            compare = f"/ {m.root_us:.0f}; /me - / = {m.me_us - m.root_us:+.0f}"
            if m.first_seen_us is not None and m.forged_us is not None:
                compare += f"; first-seen {m.first_seen_us:.0f}; forged {m.forged_us:.0f}"
            if mine is not None and m.peer in PEER_FLOORS:
                compare += f"; jwks_auth /me costs {mine.me_us / m.me_us:.2f} x the floor's"
            elif mine is not None and m is not mine:
                compare += f"; jwks_auth /me {m.me_us / mine.me_us:.2f} x faster"
            rows.append(
                Row(sec, f"GET /me: {PEER_LABELS[m.peer]}", f"{m.me_us:.0f}", compare, "", self.ref(m.command, "P"))
            )
        rows += self._counted_rows(peers)
        hsec = "Django peers over HTTP (granian WSGI, one worker per core)"
        http_mine = peers.run("jwks_auth")
        for run in peers.http:
            w = run.results["/me"]
            compare = f"/ {run.rps('/'):,.0f} req/s; p99 /me {w.p99_ms:.1f} ms"
            if not run.clean:
                compare += "; NOT COMPARABLE: " + ", ".join(
                    f"{r.non_2xx} non-2xx and {r.socket_errors} socket errors on {p}"
                    for p, r in run.results.items()
                    if not r.clean
                )
            elif http_mine is not None and run is not http_mine:
                compare += f"; jwks_auth {http_mine.rps('/me') / run.rps('/me'):.2f} x"
            rows.append(
                Row(
                    hsec,
                    f"GET /me: {run.label}",
                    f"{run.rps('/me'):,.0f} req/s",
                    compare,
                    "",
                    self._http_ref(run, "/me"),
                )
            )
        return rows

    def _counted_rows(self, peers: PeersResults) -> list[Row]:
        sec = "Django peers, instructions per request (callgrind, in process)"
        if peers.counted_skipped:
            return [Row(sec, "all", "n/a", f"skipped: {peers.counted_skipped}", "not run")]
        rows = []
        mine, floor_count = peers.count("jwks_auth"), peers.count("floor")
        for c in peers.counted:
            compare = (
                f"/ {c.root / 1000:.0f} k; /me - / = {c.overhead / 1000:+.1f} k, of which OpenSSL "
                f"{c.overhead_openssl / 1000:+.1f} k"
            )
            if mine is not None and c is not mine:
                compare += f"; jwks_auth /me = {mine.me / c.me:.3f} x this"
            rows.append(
                Row(
                    sec,
                    f"GET /me: {PEER_LABELS[c.peer]}",
                    f"{c.me / 1000:.0f} k",
                    compare,
                    "",
                    self.ref(c.command, "I"),
                )
            )
        if mine is not None and floor_count is not None:
            own, ssl = beyond(mine, floor_count)
            rows.append(
                Row(
                    sec,
                    "jwks_auth /me - / beyond the floor's",
                    f"{own / 1000:.1f} k",
                    f"of which OpenSSL {ssl / 1000:.1f} k (the token's SHA-256, without the CPU's SHA "
                    "extensions under valgrind)",
                    "",
                    self.ref(mine.command, "I"),
                )
            )
            rows.append(
                Row(
                    "targets (instructions)",
                    f"jwks_auth /me - / beyond the floor's, the token's digest (OpenSSL) not counted, "
                    f"<= {OWN_MAX_INSTRUCTIONS / 1000:g} k",
                    f"{(own - ssl) / 1000:.1f} k",
                    f"<= {OWN_MAX_INSTRUCTIONS / 1000:g} k",
                    _status(own - ssl <= OWN_MAX_INSTRUCTIONS),
                    self.ref(mine.command, "I"),
                )
            )
        if mine is not None:
            for c in peers.counted:
                if c is mine or c.peer in PEER_FLOORS:
                    continue
                multiple = c.me / mine.me
                rows.append(
                    Row(
                        "targets (instructions)",
                        f"jwks_auth /me >= {PEER_MIN_INSTRUCTION_MULTIPLE:g} x fewer instructions than {c.peer} /me",
                        f"{_ratio(multiple, PEER_MIN_INSTRUCTION_MULTIPLE)} x fewer",
                        f">= {PEER_MIN_INSTRUCTION_MULTIPLE:g}",
                        _status(multiple >= PEER_MIN_INSTRUCTION_MULTIPLE),
                        self.ref(c.command, "I"),
                    )
                )
        return rows

    def _metrics_rows(self) -> list[Row]:
        rows = []
        for m in self.metrics:
            sec = f"metrics cost (µs/request through JWKSAuthentication, repeated token, best of {m.repeats})"
            ref = self.ref(m.command, "M")
            rows.append(
                Row(
                    sec,
                    f"{m.mode}: metrics on / off",
                    f"{m.on_us:.2f} / {m.off_us:.2f}",
                    f"+{m.cost_us:.2f} µs with metrics",
                    "",
                    ref,
                )
            )
            rows.append(
                Row(
                    "targets (operations)",
                    f"metrics cost, {m.mode}, < {MAX_METRICS_US:g} µs",
                    f"{m.cost_us:.2f} µs",
                    f"< {MAX_METRICS_US:g}",
                    _status(m.cost_us < MAX_METRICS_US),
                    ref,
                )
            )
        return rows

    def _standards_rows(self) -> list[Row]:
        m = self.standards
        if m is None:
            return []
        sec = f"Standards at the endpoint (µs/request, EndpointCheck.check, cached token, best of {m.repeats})"
        ref = self.ref(m.command, "S")
        return [
            Row(sec, "scope api1 only (no step-up asked)", f"{m.scopes_us:.1f}", "", "", ref),
            Row(
                sec,
                "RFC 9470 step-up: acr (one of 2) and max_age",
                f"{m.step_up_us:.1f}",
                f"+{m.step_up_cost_us:.1f} µs",
                "",
                ref,
            ),
            Row(
                sec,
                "RFC 9396: one required detail, covered by the 2nd of 2",
                f"{m.details_us:.1f}",
                f"+{m.details_cost_us:.1f} µs",
                "",
                ref,
            ),
        ]

    def _dpop_rows(self) -> list[Row]:
        d = self.dpop
        if d is None:
            return []
        sec = f"DPoP cost (µs/request through the front door, cached token, best of {d.repeats})"
        ref = self.ref(d.command, "D")
        return [
            Row(
                sec,
                "Bearer, unbound token",
                f"{d.bearer_us:.1f}",
                f"{1e6 / d.bearer_us:,.0f} req/s on one core",
                "",
                ref,
            ),
            Row(
                sec,
                "DPoP, bound token, a fresh ES256 proof each request",
                f"{d.dpop_us:.1f}",
                f"+{d.cost_us:.1f} µs, {d.dpop_us / d.bearer_us:.1f} x Bearer",
                "",
                ref,
            ),
            Row(
                sec,
                "of which a bare ES256 verify",
                f"{d.es256_verify_us:.1f}",
                f"{d.es256_verify_us / d.cost_us:.0%} of what DPoP adds",
                "",
                ref,
            ),
            *self._eddsa_rows(sec, ref),
            *(
                Row(
                    "targets (DPoP)",
                    f"DPoP request ({alg}) <= {DPOP_MAX_VERIFY_MULTIPLE:g} x the bare verification of its proof",
                    _ratio(request / bare, DPOP_MAX_VERIFY_MULTIPLE) + " x",
                    f"<= {DPOP_MAX_VERIFY_MULTIPLE:g} ({request:.1f} / {bare:.1f} µs)"
                    + _per_round(d.round_ratios.get(alg)),
                    _status(request <= DPOP_MAX_VERIFY_MULTIPLE * bare),
                    ref,
                )
                for alg, request, bare in (
                    ("ES256", d.dpop_us, d.es256_verify_us),
                    ("EdDSA", d.eddsa_us, d.eddsa_verify_us),
                )
                if request is not None and bare is not None
            ),
        ]

    def _eddsa_rows(self, sec: str, ref: str) -> list[Row]:
        d = self.dpop
        if d is None or d.eddsa_us is None or d.eddsa_verify_us is None:
            return []
        return [
            Row(
                sec,
                "DPoP, bound token, a fresh EdDSA (Ed25519) proof each request",
                f"{d.eddsa_us:.1f}",
                f"+{d.eddsa_us - d.bearer_us:.1f} µs, {d.eddsa_us / d.bearer_us:.1f} x Bearer",
                "",
                ref,
            ),
            Row(
                sec,
                "of which a bare Ed25519 verify",
                f"{d.eddsa_verify_us:.1f}",
                f"{d.eddsa_verify_us / (d.eddsa_us - d.bearer_us):.0%} of what DPoP adds",
                "",
                ref,
            ),
        ]

    def _core(self) -> Measured | None:
        return next((m for m in self.validation if m.case.name == "core"), None)

    def _validation_rows(self) -> list[Row]:
        rows: list[Row] = []
        core = self._core()
        if core is not None:
            r, ref = core.result, self.ref(core.command, "V")
            sec = f"validation (µs/token, best of {core.case.repeats * core.runs})"
            rows += [
                Row(sec, "(a) raw jwt.decode, preloaded key, aud+iss", f"{r.raw_jwt_decode_us:.1f}", "", "", ref),
                Row(
                    sec,
                    "(b) bare RSA-2048 PKCS#1 v1.5 SHA-256 verify",
                    f"{r.rsa_verify_us:.1f}",
                    f"{r.rsa_verify_us / r.raw_jwt_decode_us:.2f} x (a)",
                    "",
                    ref,
                ),
                Row(
                    sec,
                    "(c) product, first-seen tokens",
                    f"{r.first_seen_us:.1f}",
                    f"{r.first_seen_us / r.raw_jwt_decode_us:.2f} x (a)",
                    "",
                    ref,
                ),
                Row(
                    sec,
                    "(d) product, repeated token",
                    f"{r.repeated_us:.2f}",
                    f"{r.repeated_us / r.rsa_verify_us:.3f} x (b)",
                    "",
                    ref,
                ),
            ]
            if r.warm_set_us is not None:
                rows.append(
                    Row(
                        sec,
                        f"(e) product, {core.case.warm_set} distinct tokens, all seen before",
                        f"{r.warm_set_us:.2f}",
                        f"{r.warm_set_us / r.repeated_us:.2f} x (d)",
                        "",
                        ref,
                    )
                )
            tsec = "targets (validation)"
            rows += [
                Row(
                    tsec,
                    f"repeated token <= {REPEATED_MAX_US:g} µs",
                    f"{r.repeated_us:.2f} µs",
                    f"<= {REPEATED_MAX_US:g}",
                    _status(r.repeated_us <= REPEATED_MAX_US),
                    ref,
                ),
                Row(
                    tsec,
                    "repeated token < 1/3 RSA verify",
                    f"{r.repeated_us / r.rsa_verify_us:.3f} x (b)",
                    "< 0.333",
                    _status(r.repeated_us < r.rsa_verify_us * REPEATED_MAX_RSA_FRACTION),
                    ref,
                ),
                Row(
                    tsec,
                    f"first-seen token <= {FIRST_SEEN_MAX_RSA_MULTIPLE:g} x bare RSA-2048 verify",
                    f"{r.first_seen_us / r.rsa_verify_us:.2f} x (b)",
                    f"<= {FIRST_SEEN_MAX_RSA_MULTIPLE:g} ({r.first_seen_us:.1f} / {r.rsa_verify_us:.1f} µs)"
                    + _per_round(core.first_seen_ratios),
                    _status(r.first_seen_us <= FIRST_SEEN_MAX_RSA_MULTIPLE * r.rsa_verify_us),
                    ref,
                ),
                Row(
                    tsec,
                    "first-seen token <= raw jwt.decode",
                    f"{r.first_seen_us / r.raw_jwt_decode_us:.2f} x (a)",
                    "<= 1.00",
                    _status(r.first_seen_us <= r.raw_jwt_decode_us),
                    ref,
                ),
            ]
        gsec = "growth (µs/token: first-seen / repeated; raw jwt.decode)"
        base_case = next((m for m in self.validation if m.case.name == "base"), None)
        base = base_case.result if base_case is not None else None
        for m in self.validation:
            if m.case.name == "core":
                continue
            if m.case.name == "base":
                label = f"base: 1 key, 1 issuer, {m.result.token_bytes} B token"
            elif m.case.name.startswith("keys-"):
                label = f"{m.case.keys} keys in the JWKS"
            elif m.case.name.startswith("issuers-"):
                label = f"{m.case.issuers} configured issuers"
            else:
                label = f"{m.result.token_bytes} B token" + (
                    f" ({m.case.pad_bytes} B pad)" if m.case.pad_bytes else " (just under MAX_TOKEN_LENGTH)"
                )
            r = m.result
            compare = f"first-seen {r.first_seen_us / r.raw_jwt_decode_us:.2f} x raw"
            if base is not None and m is not base_case:
                compare = (
                    f"{r.first_seen_us / base.first_seen_us:.2f} / {r.repeated_us / base.repeated_us:.2f} x base; "
                    + compare
                )
            rows.append(
                Row(
                    gsec,
                    label,
                    f"{r.first_seen_us:.1f} / {r.repeated_us:.2f}; {r.raw_jwt_decode_us:.1f}",
                    compare,
                    "",
                    self.ref(m.command, "V"),
                )
            )
        return rows

    def _server_rows(self, run: ServerRun, section: str) -> list[Row]:
        rows = []
        for path in ("/", "/me"):
            w = run.results[path]
            errors = "" if w.clean else f" ({w.non_2xx} non-2xx, {w.socket_errors} socket errors)"
            cpu = f", server CPU {w.server_cpu_us:.0f} µs/req" if w.server_cpu_us is not None else ""
            rows.append(
                Row(
                    section,
                    f"GET {path}",
                    f"{w.rps:,.0f} req/s",
                    f"p50 {w.p50_ms:.2f} ms, p99 {w.p99_ms:.2f} ms{cpu}{errors}",
                    "",
                    self._http_ref(run, path),
                )
            )
        rows.append(Row(section, "/me ÷ /", f"{run.rps('/me') / run.rps('/'):.2f}", "", "", ""))
        return rows

    def _http_ref(self, run: ServerRun, path: str) -> str:
        server = self.ref(run.server_command, "S")
        return f"{server}+{self.ref(run.results[path].command, 'W')}"

    def _http_rows(self, http: HttpResults) -> list[Row]:
        best = http.recommended
        rows = [
            Row(
                "HTTP production servers (phase 1)",
                run.label,
                f"{run.rps('/me'):,.0f} req/s /me",
                f"{run.rps('/'):,.0f} req/s /; p99 /me {run.results['/me'].p99_ms:.1f} ms; "
                f"server CPU {run.results['/me'].server_cpu_us or 0:.0f} µs/req /me"
                + ("" if run.clean else " (errors)"),
                "chosen" if run.label == http.winner else "",
                self._http_ref(run, "/me"),
            )
            for run in sorted(http.sweep, key=lambda r: -r.rps("/me"))
        ]
        rows += self._server_rows(best, f"HTTP product: {best.label}, LocMem")
        if http.redis is not None:
            rows += self._server_rows(http.redis, f"HTTP product: {best.label}, Redis")
        if http.floor is not None:
            rows += self._server_rows(http.floor, f"HTTP floor: {http.floor.label}, bare app")
        peers = [(p, name) for p, name in ((http.peer, "one process"), (http.peer_cluster, "cluster")) if p is not None]
        for peer, name in peers:
            rows += self._server_rows(peer, f"HTTP peer: seed Node API (express-jwt + jwks-rsa), {peer.label}")
            for path in ("/me", "/"):
                mine, theirs = best.results[path], peer.results[path]
                cpu = ""
                if mine.server_cpu_us and theirs.server_cpu_us:
                    cpu = f"server CPU per request {mine.server_cpu_us / theirs.server_cpu_us:.2f} x peer's"
                rows.append(
                    Row(f"product ÷ Node peer ({name})", f"GET {path} req/s", f"{mine.rps / theirs.rps:.2f}", cpu)
                )
        flood = http.flood
        if flood is not None:
            sec = "forged-token flood (make serve, half the connections forged)"
            rows += [
                Row(
                    sec,
                    "valid GET /me under the flood",
                    f"{flood.valid.rps:,.0f} req/s",
                    f"p99 {flood.valid.p99_ms:.2f} ms",
                    "",
                    self.ref(flood.valid.command, "W"),
                ),
                Row(
                    sec,
                    "control: valid GET /me on both halves (the same two wrk processes)",
                    f"{flood.unflooded_rps:,.0f} req/s",
                    f"{flood.control.plain.rps:,.0f} + {flood.control.scripted.rps:,.0f} req/s",
                    "",
                    self.ref(flood.control.plain.command, "W") + "+" + self.ref(flood.control.scripted.command, "W"),
                ),
                Row(
                    sec,
                    f"forged GET /me ({flood.forged_tokens} distinct forged tokens)",
                    f"{flood.forged.rps:,.0f} req/s",
                    f"{flood.forged.non_2xx:,} of {flood.forged.requests:,} refused (non-2xx)",
                    "",
                    self.ref(flood.forged.command, "W"),
                ),
            ]
            if flood.forged_cpu_us is not None and flood.fair_share is not None and flood.valid_cpu_us is not None:
                rows.append(
                    Row(
                        sec,
                        "server CPU per request: forged (estimate) / valid (control)",
                        f"{flood.forged_cpu_us:.0f} / {flood.valid_cpu_us:.0f} µs",
                        f"fair share of the valid half at these costs: {flood.fair_share:.2f}",
                    )
                )
        tsec = "targets (HTTP)"
        for node, multiple, name in (
            (http.peer, ME_MIN_PEER_MULTIPLE, "one process"),
            (http.peer_cluster, ME_MIN_CLUSTER_MULTIPLE, "cluster mode"),
        ):
            label = f"/me >= {multiple:g} x Node peer /me ({name})"
            if node is not None:
                # Judged on the median of the per-round ratios (both sides measured in the same round), not on
                # a best-of ratio that may pair two different rounds.
                per_round = paired_ratios(best, "/me", node, "/me")
                ratio = statistics.median(per_round) if per_round else best.rps("/me") / node.rps("/me")
                shown = _ratio(ratio, multiple) + (" median" if per_round else "") + _per_round(per_round)
                rows.append(Row(tsec, label, shown, f">= {multiple:g}", _status(ratio >= multiple)))
            else:
                rows.append(Row(tsec, label, "n/a", f"peer skipped: {http.peer_skipped}", "not run"))
        if flood is not None:
            rows.append(
                Row(
                    tsec,
                    f"valid /me under 50% forged flood >= {FLOOD_MIN_FRACTION:g} x unflooded",
                    _ratio(flood.ratio, FLOOD_MIN_FRACTION) + _per_round(flood.round_ratios),
                    f">= {FLOOD_MIN_FRACTION:g}",
                    _status(flood.ratio >= FLOOD_MIN_FRACTION),
                )
            )
        return rows


def _per_round(ratios: list[float] | None) -> str:
    """The same ratio round by round (see http_load.paired_ratios), or run by run, after the best-of figure."""
    if not ratios or len(ratios) < 2:
        return ""
    return " (per round " + ", ".join(f"{r:.2f}" for r in ratios) + ")"


def _status(ok: bool) -> str:
    return "met" if ok else "MISSED"


def _ratio(value: float, line: float) -> str:
    """Two decimals, or three where two would round onto the target's line (0.946 is not 0.95)."""
    shown = f"{value:.2f}"
    return f"{value:.3f}" if float(shown) == line and value != line else shown


# -- rendering ---------------------------------------------------------------


def text_table(rows: list[Row]) -> str:
    """A plain-text table for the terminal."""
    header = ("section", "measure", "value", "compare", "target", "ref")
    body = [(r.section, r.measure, r.value, r.compare, r.status, r.ref) for r in rows]
    widths = [max(len(str(c)) for c in col) for col in zip(header, *body, strict=True)]
    lines = [
        " | ".join(str(c).ljust(w) for c, w in zip(header, widths, strict=True)),
        "-+-".join("-" * w for w in widths),
    ]
    last = None
    for cells in body:
        shown = ("" if cells[0] == last else cells[0],) + cells[1:]
        last = cells[0]
        lines.append(" | ".join(str(c).ljust(w) for c, w in zip(shown, widths, strict=True)))
    return "\n".join(lines)


def _md_table(header: list[str], body: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |" for cells in body]
    return "\n".join(lines)


def markdown(report: Report) -> str:
    rows = report.rows()  # fills report.commands
    m = report.machine
    out = [
        "# Benchmarks" + (" (smoke run: tiny counts, not for comparison)" if report.smoke else ""),
        "",
        *(
            [
                f"**Not comparable:** other work on the machine took more than {MAX_OTHER_BUSY:.0%} of the CPUs during "
                "at least one measurement (see the *run* row below and the *other work* column of the HTTP tables); "
                "rerun on a quiet machine before quoting these figures.",
                "",
            ]
            if not report.comparable
            else []
        ),
        f"Generated by `{report.invocation}` (bench/run.py) on {m.date}; the whole run took {report.elapsed_s:.0f} s.",
        "Every figure below names the exact command that produced it (column *ref*, see [Commands](#commands)).",
        "Numbers from different machines or runs are not comparable; the ratios are measured within this run.",
        "",
        "## Machine",
        "",
        _md_table(
            ["what", "value"],
            [
                ["CPUs (nproc)", str(m.nproc)],
                ["CPU model", m.cpu_model],
                ["Python", m.python],
                ["Node.js", m.node],
                ["kernel", m.kernel],
                ["date", m.date],
                ["load average 1/5/15 min, start of run", report.load_start],
                ["load average 1/5/15 min, end of run", report.load_end],
                *[["other work", note] for note in report.background],
                ["code at start of run (git)", report.code_start],
                ["code at end of run (git)", report.code_end],
            ],
        ),
        "",
        "## Summary",
        "",
        _md_table(
            ["section", "measure", "value", "compare", "target", "ref"],
            [[r.section, r.measure, r.value, r.compare, r.status, r.ref] for r in rows],
        ),
        "",
    ]
    out += _method(report)
    out += _reading(report)
    if report.http is not None:
        out += _http_details(report)
    if report.peers is not None and not report.peers.skipped:
        out += _peers_details(report)
    out += [
        "## Commands",
        "",
        "Run from the repository root. `$TOKEN` is an RS256 `at+jwt` access token minted by the bench "
        "(tests/support/tokens.py `access_claims(issuer, lifetime=3600)`) for the JWKS served by the bench's "
        "JWKSProvider at the `OIDC_JWKS_URI` shown; ports are picked free per run.",
        "",
    ]
    for key, command in report.commands.items():
        out += [f"- **{key}**: `{command}`"]
    out.append("")
    return "\n".join(out)


def _method(report: Report) -> list[str]:
    lines = ["## Method", ""]
    core = report._core()
    if core is not None:
        c = core.case
        lines += [
            "In-process validation (each case in a fresh interpreter, `python -m bench.validation_worker '<case>'`):",
            "Django is configured from `config.settings` (LocMem cache) with the case's issuers; a JWKSProvider serves "
            "the JWKS over loopback HTTP and one warm-up validation fetches it before timing. Each figure is the best "
            f"of {c.repeats} repeats of a loop with the garbage collector off (as `timeit` does), the measures' "
            f"repeats taken in turn so that other work on the machine hits them alike; every case runs {core.runs} "
            "time(s) in turn with the others, in a fresh process each, and keeps its best figures:",
            f"(a) `jwt.decode(token, public_key, algorithms=['RS256'], audience='api1', issuer=iss)` x {c.number_raw}; "
            f"(b) `public_key.verify(sig, signing_input, PKCS1v15(), SHA256())` x {c.number_rsa}; "
            f"(c) `{core.result.validator}` on {c.distinct} distinct, never-seen tokens per repeat (keys already "
            f"cached); (d) the same call on one token x {c.number_repeated}"
            + (f"; (e) {c.warm_set} distinct tokens validated once before timing, then cycled." if c.warm_set else "."),
            "Tokens carry `typ: at+jwt` and iss, sub, aud=api1, client_id, scope=api1, iat, nbf, exp, jti.",
            "",
        ]
    if report.dpop is not None:
        d = report.dpop
        lines += [
            "DPoP against Bearer (`python -m bench.dpop_worker`, a fresh interpreter): "
            f"`RequestVerifier().authenticate(request)` on {d.number} requests per repeat built beforehand, "
            "both tokens "
            "already in the verified-token cache: `Authorization: Bearer` with an unbound token, and `Authorization: "
            "DPoP` with a `cnf.jkt`-bound token and a `DPoP` proof (EC P-256, ES256) with a new `jti` per request, "
            "signed before timing (the client's cost is not counted). The proof's parsing, key checks, verification, "
            "claim and `htu` checks and its `jti`'s `cache.add` (LocMem with room for every `jti`; Redis would add one "
            "round trip) are what DPoP adds; the bare ES256 verification (cryptography, preloaded key) is its floor. "
            "The same with an Ed25519 client key (EdDSA proofs, their own bound token), against a bare Ed25519 "
            "verification. The target compares each DPoP request with the bare verification of its proof.",
            "",
        ]
    if report.standards is not None:
        m = report.standards
        lines += [
            "Standards at the endpoint (`python -m bench.standards_worker`, a fresh interpreter): "
            f"`EndpointCheck.check(request)` on {m.number} requests per repeat built beforehand, the token already in "
            "the verified-token cache; the baseline asks for a scope only (an endpoint that uses no step-up reads no "
            "`acr` or `auth_time`), the step-up case for an `acr` and a `max_age` the token meets, the RFC 9396 case "
            "for one `authorization_details` requirement (type and action) covered by the second of the token's two "
            "details.",
            "",
        ]
    if report.max_token_length is not None:
        limit, source = report.max_token_length
        lines += [
            f"Token size growth stops below the product's limit of {limit} characters ({source}); "
            "a 16 KB payload would exceed it and be refused.",
            "",
        ]
    if report.http is not None:
        load = report.http.load
        lines += [
            f"HTTP: wrk with {load.threads} threads, {load.connections} connections, {load.seconds} s, `--latency` "
            "(p99 from its latency distribution), after a short warm-up run per server and endpoint. In each phase all "
            "servers run side by side (idle when not loaded) and the wrk runs go in turn, server by server and path by "
            "path, for several rounds; each (server, path) reports its best round (highest req/s), since other work on "
            "a shared machine only slows runs down. The HTTP target rows also give the same ratio round by round "
            "(both sides measured in the same round): the best-of ratio may pair two different rounds, and the "
            "spread of the per-round ratios is how far a verdict near its line moves with the noise. "
            "Before each round the bench waits (up to `--wait-quiet` seconds) "
            "for other work to drop below 10% of the CPUs. Loopback only, so wrk shares the CPUs with the server. "
            "Every server fetches keys over HTTP from the bench's JWKSProvider "
            f"({report.http.jwks_fetches} JWKS fetches in total). Every server serves `config.wsgi:application` "
            "(uvicorn: `config.asgi:application`) with `DJANGO_DEBUG=0`, `DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost`, "
            "LocMem cache (no `REDIS_URL`) or a throwaway `redis-server --save '' --appendonly no`. "
            "The forged-token flood runs two wrk processes at once against `make serve`, each with half the threads "
            "and connections: one sends the valid token, the other cycles through distinct forged tokens (right "
            "issuer, key id and audience, random signature; bench/forgery.py) from a Lua script. Its control, run "
            "in turn with it each round, is the same two processes with the valid token in that script: the runs "
            "differ only in the tokens, and *unflooded* is the control's valid throughput on both halves.",
            "",
        ]
    if report.async_http is not None:
        lines += [
            "Async views (bench/async_load.py): granian `--interface asgi` and uvicorn (uvloop, httptools), a worker "
            "per core each, serve the ASGI test project `tests.asgi_app.asgi:application` "
            "(`DJANGO_SETTINGS_MODULE=tests.asgi_app.settings`, LocMem, the issuer in `TEST_JWKS_AUTH`): "
            "`/ninja/ame` (async Ninja, `AsyncJWKSBearer`), `/plain/async` (async view, `token_required`) and the same "
            "frameworks' async endpoints without authentication, `/ninja/open` and `/plain/open`. granian WSGI "
            "serving `config.wsgi:application` (the sync DRF `/me`, as `make serve`) runs beside them. Same wrk "
            "load and rounds as above; each authenticated endpoint's ratio to its unauthenticated one is taken "
            "round by round, and the target is judged on the median of the rounds on the ASGI server with the "
            "highest unauthenticated throughput.",
            "",
        ]
    return lines


def _reading(report: Report) -> list[str]:
    """Where the time goes, computed from this run's figures."""
    lines: list[str] = []
    core = report._core()
    if core is not None:
        r = core.result
        lines.append(
            f"- A first-seen token costs {r.first_seen_us:.0f} µs, of which {r.rsa_verify_us:.0f} µs "
            f"({r.rsa_verify_us / r.first_seen_us:.0%}) is the RSA verification itself; the rest is strict JWS parsing "
            "and claim checks "
            f"({r.first_seen_us - r.rsa_verify_us:.0f} µs, against the "
            f"{(FIRST_SEEN_MAX_RSA_MULTIPLE - 1) * r.rsa_verify_us:.0f} µs the target leaves them). "
            f"A repeated token costs {r.repeated_us:.1f} µs (a SHA-256 of the token and an LRU lookup)."
        )
    dpop = report.dpop
    if dpop is not None and dpop.parts_us:
        parts, verify = dpop.parts_us, dpop.es256_verify_us
        rest = dpop.dpop_us - dpop.bearer_us - parts["request"] - parts["proof"] - parts["replay"]
        budget = (DPOP_MAX_VERIFY_MULTIPLE - 1) * verify
        lines.append(
            f"- A DPoP request (ES256) costs {dpop.dpop_us:.0f} µs against {verify:.0f} µs for the bare verification "
            f"of its proof; the target leaves {budget:.0f} µs for everything else, and it took "
            f"{dpop.dpop_us - verify:.0f} µs. Timed alone, each on requests of its own: the cached token's check "
            f"{dpop.bearer_us:.1f} µs (the Bearer request), reading the request (method, scheme, host through "
            f"`ALLOWED_HOSTS`, path, headers) {parts['request']:.1f} µs, the proof's check without its replay record "
            f"{parts['proof']:.1f} µs ({parts['proof'] - verify:+.1f} µs beyond the bare verification: the strict "
            "parse, the `htu`, `iat` and `ath` checks, the DER form of the signature), and the replay record "
            f"{parts['replay']:.1f} µs (one `cache.add` through Django's LocMem backend: key validation, pickling, "
            f"its lock; Redis would add a round trip); the remaining {rest:.0f} µs are the binding step around them "
            "and the colder CPU caches of a request met once (the parts are timed in tighter loops)."
        )
    if report.wsgi is not None:
        w = report.wsgi
        lines.append(
            f"- In-process, `GET /` costs {w.root_us:.0f} µs and `GET /me` {w.me_us:.0f} µs: authentication, the scope "
            f"check and the larger JSON body add {w.me_us - w.root_us:+.0f} µs "
            f"({(w.me_us - w.root_us) / w.root_us:+.0%})."
        )
    http = report.http
    if http is not None and http.floor is not None:
        best, floor = http.recommended, http.floor
        b, f = best.results["/"].server_cpu_us, floor.results["/"].server_cpu_us
        if b and f:
            lines.append(
                f"- Under `make serve` ({best.label}) the server spends {b:.0f} µs of CPU per `GET /`; {floor.label} "
                f"serving a bare app spends {f:.0f} µs, so Django + DRF take about {b - f:.0f} µs per request "
                + (
                    f"there, more than the {report.wsgi.root_us:.0f} µs they take in a hot in-process loop "
                    "(a hot loop keeps the CPU caches warm; a server worker meets each request with colder caches)."
                    if report.wsgi
                    else "there."
                )
            )
    if http is not None and http.peer is not None:
        me, root = http.peer.results["/me"].server_cpu_us, http.peer.results["/"].server_cpu_us
        if me and root:
            lines.append(
                f"- The Node peer spends {root:.0f} µs of CPU per `GET /` and {me:.0f} µs per `GET /me`: it verifies "
                "the RSA signature of every request (no verified-token cache), and jwks-rsa hands jsonwebtoken a PEM "
                "string that is parsed into a key object again on every request. It runs as one process (like the "
                "seed), so it uses one of the two cores."
            )
    flood = http.flood if http is not None else None
    if flood is not None and flood.forged_cpu_us is not None and flood.fair_share is not None:
        valid_cpu = flood.valid_cpu_us or 0.0
        lines.append(
            "- Under the flood each connection gets its turn, so both halves are served at about the same rate, and "
            "the valid half's share of the CPU is Cv / (Cv + Cf). A valid request from the verified-token cache costs "
            f"the server {valid_cpu:.0f} µs of CPU; a forged one about {flood.forged_cpu_us:.0f} µs: the JWS header "
            "parse, an RSA verification that no cache can spare (every forged token is new to the server, and an "
            "attacker can make new ones for free) and a 401 that TokenMiddleware answers before routing (no view, no "
            f"DRF exception path). At these costs the valid half gets {flood.fair_share:.2f} of the unflooded rate at "
            f"best; it got {flood.ratio:.2f}."
            + (
                " Past 0.5, only a limit upstream (rate limits per client at the proxy) changes the share."
                if flood.fair_share >= 0.5
                else " Reaching 0.5 needs a forged request to cost no more than a cached valid one."
            )
        )
    peers = report.peers
    if peers is not None and not peers.skipped:
        mine, floor_peer = peers.wsgi("jwks_auth"), peers.wsgi("floor")
        if mine is not None and floor_peer is not None:
            own, bare = mine.me_us - mine.root_us, floor_peer.me_us - floor_peer.root_us
            lines.append(
                f"- In the shared minimal stack jwks_auth's `/me` costs {own:.0f} µs more than `/`; the floor, whose "
                f"token check is a dict lookup, {bare:.0f} µs, which is what DRF and the rendering cost on their own; "
                "jwks_auth's own share is the difference, "
                f"{own - bare:.0f} µs, for the header parse, the SHA-256 of the token, the verified-token cache, "
                "the binding and user, and the metrics (about 5 µs when timed alone in a hot loop: in a whole "
                "request the same code meets colder CPU caches)."
            )
        mine_count, floor_count = peers.count("jwks_auth"), peers.count("floor")
        if mine_count is not None and floor_count is not None:
            own, ssl = beyond(mine_count, floor_count)
            lines.append(
                "- Counted in instructions, which other load does not move: jwks_auth's `/me` executes "
                f"{mine_count.overhead / 1000:.0f} k more than its `/`, the floor's "
                f"{floor_count.overhead / 1000:.0f} k, so jwks_auth's own share is {own / 1000:.0f} k per request "
                f"({own / mine_count.root:.1%} of a `/`), of which {ssl / 1000:.0f} k is OpenSSL hashing the token "
                "(inflated under valgrind, see Django peers)."
            )
            roots = [c.root for c in (peers.count(name) for name in PEER_LABELS) if c is not None]
            if roots:
                lines.append(
                    "- The totals' ratios (the 2.5 x targets) include the `/` every peer's process executes alike: "
                    f"from {min(roots) / 1000:.1f} k to {max(roots) / 1000:.1f} k instructions here, a spread of "
                    f"{(max(roots) - min(roots)) / 1000:.1f} k with no token check on that path (which modules a "
                    "process imported moves its dicts and caches), enough to move a ratio near its line by about "
                    f"{(max(roots) - min(roots)) / mine_count.me:.1%}."
                )
        floor_run = peers.run("floor")
        if floor_run is not None and floor_run.clean and floor_run.rps("/"):
            share = floor_run.rps("/me") / floor_run.rps("/")
            lines.append(
                f"- Over HTTP the floor's `/me` serves {share:.2f} x its `/`: with no token check at all, DRF's "
                'authentication and permission steps and rendering the claims instead of `"Hello"` cost '
                f"{1 - share:.0%} of a request's throughput: `/me` against `/` measures DRF as much as the token "
                "check, which is why the targets compare jwks_auth with the floor, its peers and the crypto instead."
            )
    return (["## Reading the numbers", ""] + lines + [""]) if lines else []


def _http_details(report: Report) -> list[str]:
    http = report.http
    assert http is not None

    def table(runs: list[ServerRun]) -> str:
        body = []
        for run in runs:
            for path in ("/", "/me"):
                w = run.results[path]
                body.append(
                    [
                        run.target,
                        run.label,
                        run.cache,
                        f"GET {path}",
                        f"{w.rps:,.0f}",
                        f"{w.p50_ms:.2f}",
                        f"{w.p99_ms:.2f}",
                        "" if w.server_cpu_us is None else f"{w.server_cpu_us:.0f}",
                        "" if w.other_busy is None else f"{w.other_busy:.0%}",
                        f"{w.non_2xx}/{w.socket_errors}",
                        report._http_ref(run, path),
                    ]
                )
        return _md_table(
            [
                "target",
                "server",
                "cache",
                "request",
                "req/s",
                "p50 ms",
                "p99 ms",
                "server CPU µs/req",
                "other work during run",
                "non-2xx/socket err",
                "ref",
            ],
            body,
        )

    ranked = sorted(http.sweep, key=lambda r: (not r.clean, -r.rps("/me")))
    if not ranked:
        why = (
            f"No sweep in this run (`make bench`): phase 2 compares `make serve`'s own server, {http.winner}; "
            "`make bench-full` also compares the production servers."
        )
    else:
        why = _sweep_choice(http.winner, ranked)
    notes = [n for r in (http.redis, http.peer, http.peer_cluster) if r is not None for n in r.notes]
    if http.peer_skipped and http.peer is None:
        notes.append(f"Node peer skipped: {http.peer_skipped}")
    notes.append(
        "Other work on the machine before each round: "
        + "; ".join(b.split(" of the CPUs")[0] for b in http.background)
        + " of the CPUs busy."
    )
    return _http_sections(http, table, why, notes)


def _sweep_choice(winner: str, ranked: list[ServerRun]) -> str:
    best = ranked[0]
    why = (
        f"Chosen: **{winner}**: the highest clean `/me` throughput of the production servers in phase 1 "
        f"({best.rps('/me'):,.0f} req/s, p99 {best.results['/me'].p99_ms:.2f} ms, server CPU "
        f"{best.results['/me'].server_cpu_us or 0:.0f} µs/req)"
    )
    if len(ranked) > 1:
        gap = 1 - ranked[1].rps("/me") / best.rps("/me")
        why += f"; next best {ranked[1].label} at {ranked[1].rps('/me'):,.0f} req/s ({gap:.0%} less"
        why += ", a tie within run-to-run noise on this machine)" if gap < 0.05 else ")"
    why += (
        ". `make serve` (scripts/serve.sh) runs granian with one blocking thread per worker; phase 2 measures "
        "that script itself. gunicorn's sync worker closes the connection after every response, so each of its "
        "requests also pays for a new TCP connection; with the GIL only worker processes run Django in parallel, "
        "so threads add concurrency, not CPU."
    )
    return why


def _http_sections(http: HttpResults, table: Any, why: str, notes: list[str]) -> list[str]:
    return (
        [
            "## HTTP runs",
            "",
        ]
        + (
            [f"### Phase 1: production servers (LocMem), {http.sweep_rounds} round(s)", "", table(http.sweep), ""]
            if http.sweep
            else []
        )
        + [
            why,
            "",
            f"### Phase 2: `make serve` with LocMem{' and Redis' if http.redis else ''}, the floor, "
            f"and the Node peers, {http.compare_rounds} round(s)",
            "",
            f"*floor*: {http.floor.label if http.floor else 'the chosen server'} serving `bench/floor_app.py`, a bare "
            "app (no Django, no token check) that answers `/` like the API and `/me` with a fixed body: what the "
            "server, the kernel and wrk cost on their own. *node cluster*: bench/node-peer/cluster.js forks one "
            "index.js per core.",
            "",
            table(
                [r for r in (http.recommended, http.redis, http.floor, http.peer, http.peer_cluster) if r is not None]
            ),
            "",
            "*server CPU µs/req*: user+system CPU time of the server's whole process group (/proc/<pid>/stat) during "
            "the reported wrk run, divided by the requests it served; it depends less on other load than req/s does. "
            "*other work during run*: share of all CPUs busy with processes other than the server and wrk during that "
            "run (from /proc/stat); where it is high, that run's req/s is low.",
            "",
        ]
        + [f"- {n}" for n in notes]
        + [""]
    )


def _peers_details(report: Report) -> list[str]:
    peers = report.peers
    assert peers is not None
    body = []
    for m in peers.in_process:
        body.append(
            [
                PEER_LABELS[m.peer],
                f"{m.root_us:.0f}",
                f"{m.me_us:.0f}",
                f"{m.me_us - m.root_us:+.0f}",
                "" if m.first_seen_us is None else f"{m.first_seen_us:.0f}",
                "" if m.forged_us is None else f"{m.forged_us:.0f}",
                report.ref(m.command, "P"),
            ]
        )
    counted_body = [
        [
            PEER_LABELS[c.peer],
            f"{c.root:,.0f}",
            f"{c.me:,.0f}",
            f"{c.overhead:+,.0f}",
            f"{c.overhead_openssl:+,.0f}",
            f"{c.requests}",
            report.ref(c.command, "I"),
        ]
        for c in peers.counted
    ]
    counted_part = (
        [
            "Instructions per request, counted by callgrind (`valgrind --tool=callgrind`) in the same stack: only "
            "inside the worker's two batches of requests (`/`, then `/me`), with `PYTHONHASHSEED=0`. Other load on the "
            "machine does not change a count, so these compare the peers where timings here are noisy; they are not "
            "time (a cache miss costs more than a hit), and under valgrind OpenSSL runs without the CPU's SHA "
            "extensions, so its share, shown apart, counts several times what the CPU needs.",
            "",
            _md_table(
                ["peer", "GET / instr", "GET /me instr", "/me - /", "of which OpenSSL", "requests", "ref"], counted_body
            ),
            "",
        ]
        if counted_body
        else ([f"Instruction counts skipped: {peers.counted_skipped}.", ""] if peers.counted_skipped else [])
    )
    http_body = []
    for run in peers.http:
        for path in ("/", "/me"):
            w = run.results[path]
            http_body.append(
                [
                    run.label,
                    f"GET {path}",
                    f"{w.rps:,.0f}",
                    f"{w.p50_ms:.2f}",
                    f"{w.p99_ms:.2f}",
                    "" if w.server_cpu_us is None else f"{w.server_cpu_us:.0f}",
                    "" if w.other_busy is None else f"{w.other_busy:.0%}",
                    f"{w.non_2xx}/{w.socket_errors}",
                    report._http_ref(run, path),
                ]
            )
    return [
        "## Django peers",
        "",
        "One minimal Django + DRF project (bench/peers: no middleware, no database access per request, DRF's stock "
        "JSONRenderer and IsAuthenticated, a stateless user for every peer) in its own virtualenv "
        "(bench/out/peers-venv, from bench/peers/requirements.txt); only `DEFAULT_AUTHENTICATION_CLASSES` differs "
        "(`PEER=...`). In process: `bench/wsgi_worker.py` through the WSGI handler, best of its interleaved repeats; "
        "*first-seen*: a new valid token per request; *forged*: a new forged token per request (401). *floor*: "
        "bench/peers/auth.py's FloorAuthentication, a dict from the Authorization header to the verdict in front of "
        "the PyJWKClient class, so a repeated token costs one dict lookup: its `/me - /` is what DRF's "
        "authentication, permission check and the claims' rendering cost around a token check of zero.",
        "",
        _md_table(["peer", "GET / µs", "GET /me µs", "/me - / µs", "first-seen /me µs", "forged /me µs", "ref"], body),
        "",
        *counted_part,
        "Over HTTP: each peer under granian (one worker per core, one blocking thread), all running side by side, the "
        "same wrk load as the product, runs in turn.",
        "",
        _md_table(
            [
                "peer",
                "request",
                "req/s",
                "p50 ms",
                "p99 ms",
                "server CPU µs/req",
                "other work during run",
                "non-2xx/socket err",
                "ref",
            ],
            http_body,
        ),
        "",
    ]


README_START = "<!-- bench:performance:start -->"
README_END = "<!-- bench:performance:end -->"


def readme_snippet(report: Report) -> str:
    """The README's Performance figures: the summary's target rows, quoted from this run."""
    rows = [r for r in report.rows() if r.section.startswith("targets") or r.section == "run"]
    m = report.machine
    source = "bench/out/BENCHMARKS.smoke.md (a smoke run: not for quoting)" if report.smoke else "BENCHMARKS.md"
    head = f"From {source}, generated by `{report.invocation}` on {m.date} ({m.nproc} CPUs, {m.cpu_model}):" + (
        "" if report.comparable else " **not comparable**: other work passed 10% of the CPUs during the run."
    )
    table = _md_table(
        ["measure", "figure", "target", "status"], [[r.measure, r.value, r.compare, r.status] for r in rows]
    )
    return "\n".join([README_START, head, "", table, README_END])


def update_readme(report: Report, readme: Path) -> bool:
    """Replace the README's marked Performance figures; False when the markers are missing."""
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        return False
    readme.write_text(text[:start] + readme_snippet(report) + text[end + len(README_END) :], encoding="utf-8")
    return True


def write(report: Report, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(markdown(report), encoding="utf-8")
