/**
 * Prometheus metrics (opt-in: `ENABLE_METRICS Y`, served on
 * `METRICS_ADDRESS`, loopback by default). Counters are kept by the engine
 * as it decides; gauges are read when scraped. The text exposition format,
 * checked by `promtool check metrics` in a test.
 *
 * @module
 */
import { type GuardedListener, listenGuarded, type StreamConn } from "../sys/listen.ts";
import { httpResponse, readRequestHead } from "../sys/http_head.ts";

/** Upper bounds (seconds) of the SPA-to-rule histogram. */
const BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Values read at scrape time. */
export interface MetricsGauges {
  liveGrants?: () => number;
  /** Frames the capture's prefilter turned away (never reached the engine). */
  screened?: () => number;
  /** Frames the kernel dropped because the capture buffer was full. */
  captureDropped?: () => number;
  knockSources?: () => number;
  /** Fleet mode: 1 while Redis is reachable. */
  redisUp?: () => number;
}

/** The daemon's metrics. */
export class Metrics {
  readonly #packets = new Map<string, number>();
  readonly #grants = new Map<string, number>();
  #replays = 0;
  #fwFailures = 0;
  readonly #latency = new Array<number>(BUCKETS.length).fill(0);
  #latencySum = 0;
  #latencyCount = 0;
  gauges: MetricsGauges = {};
  readonly backend: string;

  constructor(backend: string) {
    this.backend = backend;
  }

  /** A packet's outcome: `accepted`, or the reason it was refused. */
  verdict(label: string): void {
    this.#packets.set(label, (this.#packets.get(label) ?? 0) + 1);
    if (label === "replay") this.#replays++;
  }

  /** A grant the firewall applied, and how long it took from the packet's arrival. */
  granted(stanza: number, seconds: number): void {
    const k = String(stanza);
    this.#grants.set(k, (this.#grants.get(k) ?? 0) + 1);
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) this.#latency[i]!++;
    this.#latencySum += seconds;
    this.#latencyCount++;
  }

  /** The firewall refused a grant. */
  firewallFailed(): void {
    this.#fwFailures++;
  }

  /** The exposition text. */
  render(): string {
    const out: string[] = [];
    const head = (name: string, type: string, help: string) =>
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    const esc = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
    head(
      "fwknopd_packets_total",
      "counter",
      "Packets handled, by verdict (accepted or the reason).",
    );
    const packets = new Map(this.#packets);
    const screened = this.gauges.screened?.();
    if (screened !== undefined) packets.set("screened", (packets.get("screened") ?? 0) + screened);
    for (const [v, n] of [...packets].sort()) {
      out.push(`fwknopd_packets_total{verdict="${esc(v)}"} ${n}`);
    }
    head("fwknopd_grants_total", "counter", "Grants the firewall applied, by access stanza.");
    for (const [s, n] of [...this.#grants].sort()) {
      out.push(`fwknopd_grants_total{stanza="${s}",backend="${esc(this.backend)}"} ${n}`);
    }
    head("fwknopd_replays_total", "counter", "Packets refused as replays.");
    out.push(`fwknopd_replays_total ${this.#replays}`);
    head("fwknopd_firewall_failures_total", "counter", "Grants the firewall refused.");
    out.push(`fwknopd_firewall_failures_total ${this.#fwFailures}`);
    head(
      "fwknopd_spa_to_rule_seconds",
      "histogram",
      "Time from a packet's arrival in the daemon to its rule being in place.",
    );
    BUCKETS.forEach((b, i) =>
      out.push(`fwknopd_spa_to_rule_seconds_bucket{le="${b}"} ${this.#latency[i]}`)
    );
    out.push(`fwknopd_spa_to_rule_seconds_bucket{le="+Inf"} ${this.#latencyCount}`);
    out.push(`fwknopd_spa_to_rule_seconds_sum ${this.#latencySum}`);
    out.push(`fwknopd_spa_to_rule_seconds_count ${this.#latencyCount}`);
    const gauge = (name: string, help: string, f: (() => number) | undefined, counter = false) => {
      if (f === undefined) return;
      head(name, counter ? "counter" : "gauge", help);
      out.push(`${name} ${f()}`);
    };
    gauge("fwknopd_grants_live", "Grants open now.", this.gauges.liveGrants);
    gauge(
      "fwknopd_capture_dropped_total",
      "Frames the kernel dropped because the capture buffer was full.",
      this.gauges.captureDropped,
      true,
    );
    gauge(
      "fwknopd_knock_sources",
      "Sources with a knock sequence in progress.",
      this.gauges.knockSources,
    );
    gauge("fwknopd_fleet_redis_up", "1 while the fleet's Redis is reachable.", this.gauges.redisUp);
    return out.join("\n") + "\n";
  }
}

/** Scrapes served at once; past it a new connection is closed at once (docs/operations.md). */
export const METRICS_MAX_CONNECTIONS = 8;
/** A connection's whole life: the request head must arrive and the answer go out within it. */
export const METRICS_TIMEOUT_MS = 5000;
/** The longest request head taken (a Prometheus scrape sends about 300 bytes). */
export const METRICS_MAX_REQUEST = 8192;

const TEXT = "text/plain; charset=utf-8";

/** Answers one connection: `GET /metrics`, or 404, 405, 431 or 400. */
async function answer(c: StreamConn, m: Metrics): Promise<void> {
  const head = await readRequestHead(c, METRICS_MAX_REQUEST);
  let reply: Uint8Array;
  if (head.kind === "too-large") {
    reply = httpResponse("431 Request Header Fields Too Large", TEXT, "");
  } else if (head.kind === "bad") reply = httpResponse("400 Bad Request", TEXT, "");
  else if (head.method !== "GET") reply = httpResponse("405 Method Not Allowed", TEXT, "");
  else if (head.target !== "/metrics") reply = httpResponse("404 Not Found", TEXT, "not found\n");
  else {
    reply = httpResponse("200 OK", "text/plain; version=0.0.4; charset=utf-8", m.render());
  }
  await c.write(reply);
}

/**
 * Serves `/metrics` over HTTP/1.1 (one request per connection) with at most
 * {@link METRICS_MAX_CONNECTIONS} connections open, each closed after
 * {@link METRICS_TIMEOUT_MS}, a request head of at most
 * {@link METRICS_MAX_REQUEST} bytes, and an accept loop that outlives running
 * out of descriptors.
 *
 * @param address `host:port` (METRICS_ADDRESS).
 * @param m The metrics rendered on each scrape.
 * @param warn Where rate-limited listener warnings go (the daemon's log).
 * @returns The listener, listening.
 * @throws {Error} naming the address when it cannot listen.
 */
export async function serveMetrics(
  address: string,
  m: Metrics,
  warn: (msg: string) => void = () => {},
): Promise<GuardedListener> {
  const i = address.lastIndexOf(":");
  const host = address.slice(0, i).replace(/^\[(.*)\]$/, "$1");
  const port = Number(address.slice(i + 1));
  try {
    return await listenGuarded(host, port, {
      name: `metrics on ${address}`,
      maxConnections: METRICS_MAX_CONNECTIONS,
      lifetimeMs: METRICS_TIMEOUT_MS,
      warn,
    }, (c) => answer(c, m));
  } catch (e) {
    throw new Error(`Cannot serve metrics on ${address}: ${(e as Error).message}`);
  }
}
