/**
 * A real redis-server on loopback for the fleet unit tests: a free port,
 * no persistence, stopped and started again on the same port at will.
 *
 * @module
 */
import { haveCommand } from "./env.ts";
import { Background } from "./netns.ts";

/** A redis-server process on 127.0.0.1. */
export class LocalRedis {
  readonly port: number;
  #proc: Background | undefined;

  private constructor(port: number) {
    this.port = port;
  }

  /** Why it cannot run here, if it cannot. */
  static async unavailable(): Promise<string | undefined> {
    return (await haveCommand("redis-server", ["--version"]))
      ? undefined
      : "redis-server is not installed (Debian redis-server)";
  }

  /** Starts one on a free port. */
  static async start(): Promise<LocalRedis> {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close();
    const r = new LocalRedis(port);
    await r.up();
    return r;
  }

  /** `redis://127.0.0.1:PORT` */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts (again) on the same port, empty. */
  async up(): Promise<void> {
    this.#proc = new Background([
      "redis-server",
      "--bind",
      "127.0.0.1",
      "--port",
      String(this.port),
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      Deno.makeTempDirSync({ prefix: "redis-" }),
    ]);
    await this.#proc.waitFor(/Ready to accept connections/, 10_000);
  }

  /** Kills it (SIGKILL). */
  async down(): Promise<void> {
    await this.#proc?.stop("SIGKILL");
    this.#proc = undefined;
  }
}

/** Fleet settings for a plain `redis://host:port` (what FLEET_REDIS_URL would give). */
export function fleetTestOptions(
  url: string,
  name: string,
  gateway: string,
  timeoutMs = 500,
): import("../lib/fleet/options.ts").FleetOptions {
  const u = new URL(url);
  return {
    url,
    where: u.host,
    host: u.hostname,
    port: Number(u.port),
    tls: false,
    timeoutMs,
    name,
    gateway,
    onDown: "closed",
    maxLen: 1000,
  };
}
