/**
 * Fleet mode's settings from fwknopd.conf (`FLEET_*`), checked once at
 * load so a bad value names its file and line.
 *
 * @module
 */
import { hostname, readText } from "../sys/files.ts";
import { FLEET_GROUP_NAME } from "../config/access_conf.ts";
import { ConfigError } from "../config/lexer.ts";
import type { ServerConfig } from "../config/server_conf.ts";
import { readFleetKey } from "./key.ts";

/** What to do with SPA packets while Redis cannot be reached. */
export type OnRedisDown = "closed" | "local";

/** A host and port. */
export interface HostPort {
  host: string;
  port: number;
}

/** Fleet mode's settings. */
export interface FleetOptions {
  /** `redis://` or `rediss://` URL, without a password. */
  url: string;
  /** `host:port` of the URL, for logs and permission checks. */
  where: string;
  /** The URL's parts, handed to the client one by one (the client ignores a separate
   * password when the URL holds a user name, so the URL itself is never passed). */
  host: string;
  port: number;
  tls: boolean;
  username?: string;
  database?: number;
  /** Sentinel mode (`redis-sentinel://h1:26379,h2:26379#name`): the sentinels to ask. */
  sentinels?: HostPort[];
  /** Sentinel mode: the name of the monitored primary. */
  masterName?: string;
  /** From FLEET_REDIS_PASSWORD_FILE (never the URL or the command line). */
  password?: string;
  /** PEM text of FLEET_REDIS_CA_FILE, for `rediss://` with a private CA. */
  ca?: string;
  /** Per-command time limit (FLEET_REDIS_TIMEOUT), milliseconds. */
  timeoutMs: number;
  /** Key namespace (FLEET_NAME). */
  name: string;
  /** This gateway (FLEET_GATEWAY, default the host name). */
  gateway: string;
  onDown: OnRedisDown;
  /** FLEET_STREAM_MAXLEN: grant messages kept per group (approximate trim). */
  maxLen: number;
  /** FLEET_CLOCK_SKEW, seconds (60 when not given). */
  clockSkew?: number;
  /** The fleet key from FLEET_KEY_FILE: grants and revocations are signed and checked with it. */
  key?: Uint8Array;
}

function fail(c: ServerConfig, name: string, msg: string): never {
  throw new ConfigError(c.origin(name), name, msg);
}

/**
 * Reads fleet mode's settings.
 *
 * @param c fwknopd.conf.
 * @param stanzas The access stanzas, when known: a FLEET_GROUP stanza needs FLEET_KEY_FILE.
 * @returns The settings, or `undefined` without FLEET_REDIS_URL (no fleet).
 * @throws {ConfigError} naming the variable, file and line of a bad value.
 */
export function fleetOptions(
  c: ServerConfig,
  stanzas: readonly { fleetGroup?: string; origin: { file: string; line: number } }[] = [],
): FleetOptions | undefined {
  const o = connection(c);
  const grouped = stanzas.find((s) => s.fleetGroup !== undefined);
  if (o !== undefined && o.key === undefined && grouped !== undefined) {
    fail(
      c,
      "FLEET_KEY_FILE",
      `not set, and the FLEET_GROUP stanza at ${grouped.origin.file}:${grouped.origin.line} ` +
        "needs it: grants and revocations are signed with the fleet key (docs/fleet.md)",
    );
  }
  return o;
}

function connection(c: ServerConfig): FleetOptions | undefined {
  const raw = c.get("FLEET_REDIS_URL");
  if (raw === undefined) return undefined;
  if (/^rediss?-sentinel:/.test(raw)) return finish(c, sentinelUrl(c, raw));
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    fail(c, "FLEET_REDIS_URL", `"${raw}" is not a URL (redis://host:port or rediss://host:port)`);
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") {
    fail(c, "FLEET_REDIS_URL", `"${u.protocol}" is not redis: or rediss:`);
  }
  if (u.password !== "") {
    fail(
      c,
      "FLEET_REDIS_URL",
      "holds a password; put it in the file named by FLEET_REDIS_PASSWORD_FILE instead",
    );
  }
  const db = u.pathname.replace(/^\//, "");
  if (db !== "" && !/^\d{1,2}$/.test(db)) {
    fail(c, "FLEET_REDIS_URL", `"/${db}" is not a database number`);
  }
  return finish(c, {
    url: u.toString(),
    where: `${u.hostname}:${u.port === "" ? "6379" : u.port}`,
    host: u.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: u.port === "" ? 6379 : Number(u.port),
    tls: u.protocol === "rediss:",
    ...(u.username === "" ? {} : { username: decodeURIComponent(u.username) }),
    ...(db === "" ? {} : { database: Number(db) }),
  });
}

/** The connection part of the settings. */
type Where = Pick<
  FleetOptions,
  "url" | "where" | "host" | "port" | "tls" | "username" | "database" | "sentinels" | "masterName"
>;

/**
 * `redis-sentinel://[user@]host[:port][,host[:port]...][/db]#name` (the
 * form Lettuce and others use; `rediss-sentinel://` for TLS). Ports default
 * to 26379.
 */
function sentinelUrl(c: ServerConfig, raw: string): Where {
  const m = /^(rediss?)-sentinel:\/\/(?:([^@/#]*)@)?([^/#]+)(?:\/(\d{1,2}))?#([^#]+)$/.exec(raw);
  if (m === null) {
    fail(
      c,
      "FLEET_REDIS_URL",
      `"${raw}" is not redis-sentinel://host:port[,host:port...][/db]#name`,
    );
  }
  const [, scheme, user, hosts, db, name] = m;
  if (user !== undefined && user.includes(":")) {
    fail(
      c,
      "FLEET_REDIS_URL",
      "holds a password; put it in the file named by FLEET_REDIS_PASSWORD_FILE instead",
    );
  }
  const sentinels = hosts!.split(",").map((h) => {
    const hm = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:\[\]]+))(?::(\d{1,5}))?$/.exec(h.trim());
    if (hm === null) fail(c, "FLEET_REDIS_URL", `"${h}" is not host:port`);
    return { host: hm[1] ?? hm[2]!, port: hm[3] === undefined ? 26379 : Number(hm[3]) };
  });
  return {
    url: raw,
    where: `${name} via sentinel ${sentinels.map((s) => `${s.host}:${s.port}`).join(",")}`,
    host: sentinels[0]!.host,
    port: sentinels[0]!.port,
    tls: scheme === "rediss",
    ...(user === undefined || user === "" ? {} : { username: decodeURIComponent(user) }),
    ...(db === undefined ? {} : { database: Number(db) }),
    sentinels,
    masterName: decodeURIComponent(name!),
  };
}

/** The rest of the settings: names, policy, secrets. */
function finish(c: ServerConfig, w: Where): FleetOptions {
  const gateway = c.get("FLEET_GATEWAY") ?? hostname().split(".")[0]!;
  for (const [v, text] of [["FLEET_NAME", c.get("FLEET_NAME")!], ["FLEET_GATEWAY", gateway]]) {
    if (!FLEET_GROUP_NAME.test(text!)) {
      fail(c, v!, `"${text}" is not a name (letters, digits, '.', '_' and '-', at most 64)`);
    }
  }
  const o: FleetOptions = {
    ...w,
    timeoutMs: c.int("FLEET_REDIS_TIMEOUT"),
    name: c.get("FLEET_NAME")!,
    gateway,
    onDown: c.get("FLEET_ON_REDIS_DOWN") === "local" ? "local" : "closed",
    maxLen: c.int("FLEET_STREAM_MAXLEN"),
    clockSkew: c.int("FLEET_CLOCK_SKEW"),
  };
  const keyFile = c.get("FLEET_KEY_FILE");
  if (keyFile !== undefined) {
    const key = readFleetKey(keyFile);
    if (typeof key === "string") fail(c, "FLEET_KEY_FILE", key);
    o.key = key;
  }
  const pwFile = c.get("FLEET_REDIS_PASSWORD_FILE");
  if (pwFile !== undefined) o.password = readSecret(c, "FLEET_REDIS_PASSWORD_FILE", pwFile);
  const caFile = c.get("FLEET_REDIS_CA_FILE");
  if (caFile !== undefined) o.ca = readSecret(c, "FLEET_REDIS_CA_FILE", caFile);
  return o;
}

/** Reads a file named by a variable; denied and absent are told apart. */
function readSecret(c: ServerConfig, name: string, path: string): string {
  try {
    return readText(path).replace(/\r?\n$/, "");
  } catch (e) {
    const err = e as Error & { code?: string; name?: string };
    if (err.name === "NotCapable" || /Requires read access/.test(err.message)) {
      fail(c, name, `${path}: read permission needed (--allow-read=${path})`);
    }
    fail(
      c,
      name,
      `${path}: ${err.code === "ENOENT" ? "no such file" : err.message}`,
    );
  }
}
