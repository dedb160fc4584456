/**
 * The one place that knows what the native libraries are called on each
 * platform Deno runs on. Verified here: Linux. Built to spec: macOS (libpcap
 * and libc are in the system, as `libpcap.A.dylib` and `libSystem.B.dylib`).
 *
 * @module
 */

/** The operating system, as Deno (or Node) names it. */
export function osName(): string {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  return g.Deno?.build?.os ?? g.process?.platform ?? "linux";
}

const NAMES: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  linux: {
    c: ["libc.so.6"],
    pcap: ["libpcap.so.0.8", "libpcap.so.1", "libpcap.so"],
    nftables: ["libnftables.so.1"],
    crypto: ["libcrypto.so.3", "libcrypto.so"],
  },
  darwin: {
    c: ["libSystem.B.dylib", "/usr/lib/libSystem.B.dylib"],
    pcap: ["libpcap.A.dylib", "/usr/lib/libpcap.A.dylib", "libpcap.dylib"],
    crypto: ["libcrypto.3.dylib", "libcrypto.dylib"],
  },
  freebsd: {
    c: ["libc.so.7"],
    pcap: ["libpcap.so.8", "libpcap.so"],
  },
};

/**
 * The file names to try for a library on this platform, in order.
 *
 * @param lib `c`, `pcap`, `nftables` or `crypto`.
 * @param os The platform (default: this one).
 */
export function libNames(lib: NativeLib, os: string = osName()): readonly string[] {
  return NAMES[os]?.[lib] ?? NAMES.linux![lib]!;
}

/** The native libraries the seams load. */
export type NativeLib = "c" | "pcap" | "nftables" | "crypto";

/**
 * Opens the first of the library's names that loads with `symbols`, hands
 * its symbols to `look`, and closes it again (it leaves nothing resident).
 *
 * @returns What `look` says, or `undefined` when no name loads.
 */
function probe<T>(
  lib: NativeLib,
  symbols: Record<string, unknown>,
  look: (symbols: Record<string, unknown>) => T,
): T | undefined {
  const D: AnyDeno = (globalThis as AnyDeno).Deno;
  for (const name of libNames(lib)) {
    let handle;
    try {
      handle = D.dlopen(name, symbols);
    } catch {
      continue; // try the next name
    }
    try {
      return look(handle.symbols);
    } finally {
      handle.close();
    }
  }
  return undefined;
}

/**
 * Whether one of the library's names loads (Deno FFI allowed and the file
 * present); the handle is closed again.
 */
export function canLoad(lib: NativeLib): boolean {
  return probe(lib, {}, () => true) ?? false;
}

/**
 * Whether the first of the library's names that loads exports `symbol`
 * (false when none loads), looked up with nothing bound.
 */
export function exportsSymbol(lib: NativeLib, symbol: string): boolean {
  const spec = { [symbol]: { type: "pointer", optional: true } };
  return probe(lib, spec, (s) => s[symbol] !== null) ?? false;
}

// deno-lint-ignore no-explicit-any
type AnyDeno = any;
/** A symbol definition as `Deno.dlopen` takes it. */
type SymbolDef = Record<string, unknown>;

/** A function definition that gets a generic call (not a static, not nonblocking). */
const isGeneric = (def: SymbolDef) => "parameters" in def && def.nonblocking !== true;

/** What `dlopen` is asked for in generic mode: the address of each such function. */
function addresses(symbols: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, def] of Object.entries(symbols as Record<string, SymbolDef>)) {
    out[key] = isGeneric(def) ? { type: "pointer", optional: def.optional === true } : def;
  }
  return out;
}

/** A function called through Deno's generic foreign call (`UnsafeFnPointer`): no stub compiled. */
function genericFunction(
  D: AnyDeno,
  ptr: unknown,
  def: SymbolDef,
): (...args: unknown[]) => unknown {
  const { optional: _optional, ...signature } = def;
  const fn = new D.UnsafeFnPointer(ptr, signature);
  return (...args: unknown[]) => fn.call(...args);
}

let oneShot = false;

/**
 * Marks this process as one that runs briefly (the client: one packet, then
 * exit): from now on {@link dlopenFirst} binds no function. Call it before
 * anything opens a library (`lib/sys/one_shot.ts` does, as the client's
 * first import).
 */
export function bindLazily(): void {
  oneShot = true;
}

/** Whether {@link bindLazily} marked this process as one-shot. */
export function isOneShot(): boolean {
  return oneShot;
}

/** Libraries opened so far with every function bound (for the tests). */
const eager: string[] = [];

/** The libraries this process opened with every function bound. */
export function openedEagerly(): readonly string[] {
  return eager;
}

/**
 * Opens the first of `names` that loads (Deno FFI) and returns its symbols.
 *
 * Binding a function with `Deno.dlopen` compiles a call stub for it: about
 * 0.2–0.3 ms each, and the first one costs about 2 MiB of resident memory.
 * That pays in the daemon: a bound function is called through V8's fast path
 * (about 0.1 µs). A process marked with {@link bindLazily} (or a call with
 * `generic`) gets functions on Deno's generic foreign call instead (no stub;
 * 1–5 µs a call): the client, which makes a handful of calls, compiles none.
 * Nonblocking functions and statics are bound as given (they compile
 * nothing).
 *
 * @param generic Use the generic call whatever the process (for the tests).
 * @throws {Error} with the last loader error when none loads.
 */
export function dlopenFirst<S extends Record<string, unknown>>(
  names: readonly string[],
  symbols: S,
  generic: boolean = oneShot,
  // deno-lint-ignore no-explicit-any
): any {
  const D: AnyDeno = (globalThis as AnyDeno).Deno;
  let last: unknown;
  for (const name of names) {
    let found: Record<string, unknown>;
    try {
      found = D.dlopen(name, generic ? addresses(symbols) : symbols).symbols;
    } catch (e) {
      last = e;
      continue;
    }
    if (!generic) {
      eager.push(name);
      return found;
    }
    const table: Record<string, unknown> = {};
    for (const [key, def] of Object.entries(symbols as Record<string, SymbolDef>)) {
      const ptr = found[key];
      table[key] = !isGeneric(def) || ptr === null ? ptr : genericFunction(D, ptr, def);
    }
    return table;
  }
  throw last instanceof Error ? last : new Error(`cannot load any of ${names.join(", ")}`);
}

/**
 * The firewall fwknopd's build would choose on this platform: iptables on
 * Linux, pf on macOS and OpenBSD, ipfw on FreeBSD.
 */
export function defaultFirewallType(os: string = osName()): string {
  return os === "darwin" || os === "openbsd" ? "pf" : os === "freebsd" ? "ipfw" : "iptables";
}
