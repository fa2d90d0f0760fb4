import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { runWithFakes } from "./fakeBin";

/**
 * A fake Hetzner Cloud API behind a fake `curl` on PATH (the project's fake-binary harness,
 * fakeBin.ts, runs the script): the scripts' real requests (method, path,
 * query, JSON body, token on stdin) are answered from a JSON state the test sets up, and every
 * call is recorded. Failures are injected per request. Enough of the API for the teardown and the
 * snapshot build: servers, load balancers, images, SSH keys, server actions, action polling.
 */
export interface FakeHetznerState {
    servers: FakeServer[];
    load_balancers: FakeLoadBalancer[];
    images: FakeImage[];
    ssh_keys: { id: number; name: string }[];
    /** Requests that fail: method and a regular expression on the path (with query). `times` defaults to always. */
    failures: { method: string; path: string; status: number; times?: number; code?: string }[];
    /** Actions that end in error instead of success, by the request that started them. */
    failingActions: { method: string; path: string }[];
    /** Items per page of a list answer (the API's is 50). */
    perPage?: number;
    /** A server that appears (a still-running autoscaler scaling up) once a request matching `after` was made. */
    appear?: { after: string; server: FakeServer };
    /** Every request, in order: "METHOD /path?query". */
    calls: string[];
    nextId: number;
}

export interface FakeServer {
    id: number;
    name: string;
    labels: Record<string, string>;
    private_net: { network: number; ip: string }[];
    public_net?: { ipv4: { ip: string } };
    status?: string;
}

interface FakeLoadBalancer {
    id: number;
    name: string;
    labels: Record<string, string>;
    private_net: { network: number; ip: string }[];
}

interface FakeImage {
    id: number;
    type: "snapshot" | "system";
    description: string;
    labels: Record<string, string>;
    architecture: "x86" | "arm";
    status?: string;
    created?: string;
}

/** The token the fake accepts; the scripts must send it as `Authorization: Bearer`. */
export const FAKE_API_TOKEN = "fakeHetznerToken0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKL";

/** A state with nothing in it. */
export function emptyState(overrides: Partial<FakeHetznerState> = {}): FakeHetznerState {
    return {
        servers: [],
        load_balancers: [],
        images: [],
        ssh_keys: [],
        failures: [],
        failingActions: [],
        calls: [],
        nextId: 900,
        ...overrides,
    };
}

/**
 * The fake API: one node process per test process, serving every run on a unix socket (a process
 * per request cost ~50 ms of CPU each, ~110 per suite; and mocha is blocked in spawnSync while a
 * script runs, so the server must be a process of its own). The fake `curl` sends its arguments,
 * stdin, FAKE_DIR, FAKE_TOKEN and working directory; the server answers what curl would print
 * (the --write-out text) and writes --output itself. Each FAKE_DIR has its own state, read from
 * its state.json at the first request, kept in memory and written back after every request.
 * The server exits, removing its directory, when its stdin (a pipe from the test process) closes.
 */
const FAKE_API_SERVER = `const fs = require("fs");
const http = require("http");
const path = require("path");
const [socket, ready] = process.argv.slice(1);
const states = new Map();
function answer(dir, cwd, token, args, stdin) {
const stateFile = dir + "/state.json";
if (!states.has(dir)) states.set(dir, JSON.parse(fs.readFileSync(stateFile, "utf8")));
const state = states.get(dir);
let method = "GET", data, output, writeOut, url, stdinHeader = false;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === "--request") method = args[++i];
  else if (a === "--data") data = args[++i];
  else if (a === "--output") output = args[++i];
  else if (a === "--write-out") writeOut = args[++i];
  else if (a === "--header") { if (args[++i] === "@-") stdinHeader = true; }
  else if (a.startsWith("--")) {}
  else url = a;
}
const headers = stdinHeader ? stdin : "";
const u = new URL(url);
const p = u.pathname.replace(/^\\/v1/, "");
const q = u.searchParams;
state.calls.push(method + " " + p + (u.search ? u.search : ""));
fs.appendFileSync(dir + "/log", "CURL\\t" + method + " " + p + "\\n");
if (state.appear && new RegExp(state.appear.after).test(method + " " + p)) { state.servers.push(state.appear.server); delete state.appear; }
let status = 200, body = {};
const finish = () => {
  fs.writeFileSync(stateFile, JSON.stringify(state));
  fs.writeFileSync(path.resolve(cwd, output), status === 204 ? "" : JSON.stringify(body));
  return writeOut ? writeOut.replace("%{http_code}", String(status)) : "";
};
const action = () => {
  const id = state.nextId++;
  const failing = state.failingActions.some((f) => f.method === method && new RegExp(f.path).test(p));
  state.actions = state.actions || {};
  state.actions[id] = failing ? "error" : "success";
  return { id, status: "running" };
};
if (!headers.includes("Authorization: Bearer " + token)) {
  status = 401; body = { error: { code: "unauthorized", message: "unable to authenticate" } }; return finish();
}
const failure = state.failures.find((f) => f.method === method && new RegExp(f.path).test(p + u.search) && (f.times === undefined || f.times > 0));
if (failure) {
  if (failure.times !== undefined) failure.times--;
  status = failure.status; body = { error: { code: failure.code || "service_error", message: "injected failure" } }; return finish();
}
const selector = (item) => {
  const s = q.get("label_selector");
  if (!s) return true;
  return s.split(",").every((term) => {
    const [k, v] = term.split("=");
    return v === undefined ? k in item.labels : item.labels[k] === v;
  });
};
const list = (key, items) => {
  const per = state.perPage || 50;
  const page = Number(q.get("page") || 1);
  const chosen = items.filter(selector).filter((x) => !q.get("name") || x.name === q.get("name"));
  const next = chosen.length > page * per ? page + 1 : null;
  body = { [key]: chosen.slice((page - 1) * per, page * per), meta: { pagination: { page, per_page: per, next_page: next } } };
};
let m;
if (method === "GET" && p === "/servers") list("servers", state.servers);
else if (method === "GET" && p === "/load_balancers") list("load_balancers", state.load_balancers);
else if (method === "GET" && p === "/ssh_keys") list("ssh_keys", state.ssh_keys.map((k) => ({ labels: {}, ...k })));
else if (method === "GET" && p === "/images") {
  list("images", state.images.filter((i) => (!q.get("type") || i.type === q.get("type")) && (!q.get("architecture") || i.architecture === (q.get("architecture") === "arm64" ? "arm" : "x86")) && (!q.get("status") || (i.status || "available") === q.get("status"))));
}
else if ((m = /^\\/actions\\/(\\d+)$/.exec(p)) && method === "GET") {
  const st = (state.actions || {})[m[1]];
  if (!st) { status = 404; body = { error: { code: "not_found", message: "action not found" } }; }
  else body = { action: { id: Number(m[1]), status: st, error: st === "error" ? { code: "action_failed", message: "injected action failure" } : null } };
}
else if ((m = /^\\/servers\\/(\\d+)$/.exec(p))) {
  const s = state.servers.find((x) => x.id === Number(m[1]));
  if (!s) { status = 404; body = { error: { code: "not_found", message: "server not found" } }; }
  else if (method === "DELETE") { state.servers = state.servers.filter((x) => x !== s); body = { action: action() }; }
  else body = { server: s };
}
else if ((m = /^\\/(load_balancers|images|ssh_keys)\\/(\\d+)$/.exec(p)) && method === "DELETE") {
  const key = m[1];
  const before = state[key].length;
  state[key] = state[key].filter((x) => x.id !== Number(m[2]));
  if (state[key].length === before) { status = 404; body = { error: { code: "not_found", message: "not found" } }; }
  else status = 204;
}
else if (method === "POST" && p === "/ssh_keys") {
  const b = JSON.parse(data); const key = { id: state.nextId++, name: b.name, public_key: b.public_key, labels: b.labels };
  state.ssh_keys.push(key); status = 201; body = { ssh_key: key };
}
else if (method === "POST" && p === "/servers") {
  const b = JSON.parse(data);
  const s = { id: state.nextId++, name: b.name, labels: b.labels || {}, private_net: [], public_net: { ipv4: { ip: "192.0.2.77" } }, server_type: b.server_type, location: b.location };
  state.servers.push(s); status = 201; body = { server: s, action: action() };
}
else if (method === "POST" && (m = /^\\/servers\\/(\\d+)\\/actions\\/(\\w+)$/.exec(p))) {
  const s = state.servers.find((x) => x.id === Number(m[1]));
  if (!s) { status = 404; body = { error: { code: "not_found", message: "server not found" } }; }
  else if (m[2] === "create_image") {
    const b = JSON.parse(data);
    const img = { id: state.nextId++, type: "snapshot", description: b.description, labels: b.labels || {}, architecture: "x86", status: "available" };
    state.images.push(img); status = 201; body = { image: img, action: action() };
  } else { status = 201; body = { action: action() }; }
}
else { status = 404; body = { error: { code: "not_found", message: "no route " + method + " " + p } }; }
return finish();
}
http.createServer((req, res) => {
  let text = "";
  req.setEncoding("utf8");
  req.on("data", (d) => { text += d; }).on("end", () => {
    const f = new URLSearchParams(text);
    try {
      res.end(answer(f.get("dir"), f.get("cwd"), f.get("token"), f.getAll("arg"), f.get("stdin") || ""));
    } catch (e) {
      // A bug in the fake: the test's output shows it, and the fake curl fails as a crash did.
      process.stderr.write("fake Hetzner API: " + e.stack + "\\n");
      res.statusCode = 500;
      res.end(String(e.stack));
    }
  });
}).listen(socket, () => fs.writeFileSync(ready, ""));
process.stdin.on("end", () => {
  fs.rmSync(path.dirname(socket), { recursive: true, force: true });
  process.exit(0);
}).resume();
`;

/**
 * The fake `curl`: hands its arguments (each one --data-urlencode'd, so any text survives), its
 * stdin when an argument is `@-`, and its context to the server with the real curl, and prints
 * the answer. Exit status 1 when the fake itself failed, as a crashed fake did.
 */
function fakeCurl(socket: string): string {
    return `n=$#
stdin=
for a in "$@"; do
  if [ "$a" = @- ]; then stdin=1; fi
  set -- "$@" --data-urlencode "arg=$a"
done
shift "$n"
if [ -n "$stdin" ]; then set -- "$@" --data-urlencode stdin@-; fi
/usr/bin/curl --silent --show-error --fail --unix-socket ${JSON.stringify(socket)} --data-urlencode "dir=$FAKE_DIR" \\
  --data-urlencode "cwd=$PWD" --data-urlencode "token=$FAKE_TOKEN" "$@" http://fake-hetzner/ || exit 1`;
}

/** The running server of this test process, started on first use. */
let server: { child: ChildProcess; socket: string } | undefined;

/** The server's socket; starts the server (and waits until it listens) when none runs. */
function apiSocket(): string {
    if (server && server.child.exitCode === null && server.child.signalCode === null) {
        return server.socket;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "platform-dr-hetzner-"));
    const socket = path.join(dir, "api.sock");
    const ready = path.join(dir, "ready");
    // stdin is a pipe that closes when this process ends, however it ends: the server then exits.
    const child = spawn(process.execPath, ["-e", FAKE_API_SERVER, socket, ready], { stdio: ["pipe", "ignore", "inherit"] });
    child.unref();
    (child.stdin as net.Socket).unref();
    process.on("exit", () => {
        child.kill();
        fs.rmSync(dir, { recursive: true, force: true });
    });
    // The tests run synchronously, so wait here: sleep in short steps until it listens.
    const sleeper = new Int32Array(new SharedArrayBuffer(4));
    const deadline = Date.now() + 10_000;
    while (!fs.existsSync(ready)) {
        if (Date.now() > deadline) {
            child.kill();
            throw new Error("the fake Hetzner API did not start within 10 s");
        }
        Atomics.wait(sleeper, 0, 0, 5);
    }
    server = { child, socket };
    return socket;
}

/** Outcome of one script run against the fake API. */
export interface FakeApiRun {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
    /** The API's state afterwards (servers left, calls made). */
    readonly state: FakeHetznerState;
    /** Every call of a fake, in order: `CURL\t<METHOD> <path>` for the API, what other fakes log. */
    readonly lines: readonly string[];
}

/**
 * Runs `script` (its text, libraries inlined) with the fake API, plus extra fake binaries
 * (`name` -> sh body), and returns what it printed and the API's state afterwards.
 */
export function runAgainstFakeHetzner(
    script: string,
    state: FakeHetznerState,
    env: Record<string, string>,
    fakes: Record<string, string> = {},
): FakeApiRun {
    const r = runWithFakes(
        script,
        {
            fakes: { curl: fakeCurl(apiSocket()), ...fakes },
            env: { FAKE_TOKEN: FAKE_API_TOKEN, HCLOUD_TOKEN: FAKE_API_TOKEN, POLL_SECONDS: "0", ...env },
            path: (dir) => `${dir}:${path.dirname(process.execPath)}:/usr/bin:/bin`,
            setup: (dir) => {
                fs.writeFileSync(path.join(dir, "state.json"), JSON.stringify(state));
            },
            timeoutMs: 20_000,
        },
        (dir) => ({ state: JSON.parse(fs.readFileSync(path.join(dir, "state.json"), "utf8")) as FakeHetznerState }),
    );
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, state: r.state, lines: r.lines };
}
