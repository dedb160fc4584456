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
 * Whether one of the library's names loads (Deno FFI allowed and the file
 * present); the handle is closed again.
 */
export function canLoad(lib: NativeLib): boolean {
  // deno-lint-ignore no-explicit-any
  const D: any = (globalThis as any).Deno;
  for (const name of libNames(lib)) {
    try {
      D.dlopen(name, {}).close();
      return true;
    } catch {
      // try the next name
    }
  }
  return false;
}

/**
 * Whether the first of the library's names that loads exports `symbol`
 * (false when none loads). The library is opened with nothing bound and
 * closed again: it leaves nothing resident.
 */
export function exportsSymbol(lib: NativeLib, symbol: string): boolean {
  // deno-lint-ignore no-explicit-any
  const D: any = (globalThis as any).Deno;
  for (const name of libNames(lib)) {
    let handle;
    try {
      handle = D.dlopen(name, { [symbol]: { type: "pointer", optional: true } });
    } catch {
      continue; // try the next name
    }
    const found = handle.symbols[symbol] !== null;
    handle.close();
    return found;
  }
  return false;
}

/**
 * When a lazily bound function counts as hot (see {@link dlopenFirst}):
 * `calls` calls within `withinMs` milliseconds.
 */
export interface Hotness {
  /** Calls (default 32). */
  calls?: number;
  /** Within this many milliseconds (default 1000). */
  withinMs?: number;
}

const HOT: Required<Hotness> = { calls: 32, withinMs: 1000 };

// deno-lint-ignore no-explicit-any
type AnyDeno = any;
/** A symbol definition as `Deno.dlopen` takes it. */
type SymbolDef = Record<string, unknown>;

/** A function definition that gets a lazy binding (not a static, not nonblocking). */
const isLazy = (def: SymbolDef) => "parameters" in def && def.nonblocking !== true;

/** What the first `dlopen` asks for: the address of each lazily bound function. */
function addresses(symbols: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, def] of Object.entries(symbols as Record<string, SymbolDef>)) {
    out[key] = isLazy(def) ? { type: "pointer", optional: def.optional === true } : def;
  }
  return out;
}

/**
 * A function called through `UnsafeFnPointer` (no stub compiled) until it is
 * hot, then through its own binding, which also replaces it in `table` so
 * later lookups skip this wrapper. Calls are counted in windows that start at
 * a window's first call: a loop that wakes now and then never gets hot.
 */
function lazyFunction(
  D: AnyDeno,
  lib: { name: string; key: string; def: SymbolDef; ptr: unknown },
  table: Record<string, unknown>,
  hot: Required<Hotness>,
): (...args: unknown[]) => unknown {
  const { optional: _optional, ...def } = lib.def;
  const generic = new D.UnsafeFnPointer(lib.ptr, def);
  let impl = (...args: unknown[]) => generic.call(...args);
  let calls = 0;
  let since = 0;
  return (...args: unknown[]) => {
    if (calls === 0) since = performance.now();
    if (++calls === hot.calls) {
      if (performance.now() - since > hot.withinMs) {
        calls = 0; // an idle loop waking now and then: not hot
      } else {
        try {
          impl = D.dlopen(lib.name, { [lib.key]: def }).symbols[lib.key];
          table[lib.key] = impl;
        } catch {
          // keep the generic call: slower, same result
        }
      }
    }
    return impl(...args);
  };
}

let oneShot = false;

/**
 * Marks this process as one that runs briefly (the client: one packet, then
 * exit): from now on {@link dlopenFirst} binds functions lazily. Call it
 * before anything opens a library (`lib/sys/one_shot.ts` does, as the
 * client's first import).
 */
export function bindLazily(): void {
  oneShot = true;
}

/** Whether {@link bindLazily} marked this process as one-shot. */
export function isOneShot(): boolean {
  return oneShot;
}

/** Libraries opened so far with every function bound at once (for the tests). */
const eager: string[] = [];

/** The libraries this process opened with every function bound at once. */
export function openedEagerly(): readonly string[] {
  return eager;
}

/**
 * Opens the first of `names` that loads (Deno FFI) and returns its symbols.
 *
 * Binding a function with `Deno.dlopen` compiles a call stub for it: about
 * 0.2 ms each, and the first one costs about 2 MiB of resident memory. That
 * pays in the daemon: a bound function is called through V8's fast path
 * (about 0.1 µs), which needs the function to stay the same object for the
 * life of the process. A process marked with {@link bindLazily}, or a call
 * that passes `hotness`, gets functions that start on Deno's generic foreign
 * call instead (no stub; 1–5 µs a call) and get their own binding once hot
 * (32 calls within a second, or `hotness`): the client, which makes a
 * handful of calls, compiles none. Nonblocking functions and statics are
 * bound as given (they compile nothing).
 *
 * @throws {Error} with the last loader error when none loads.
 */
export function dlopenFirst<S extends Record<string, unknown>>(
  names: readonly string[],
  symbols: S,
  hotness?: Hotness,
  // deno-lint-ignore no-explicit-any
): any {
  const lazy = oneShot || hotness !== undefined;
  const hot = { ...HOT, ...hotness };
  const D: AnyDeno = (globalThis as AnyDeno).Deno;
  let last: unknown;
  for (const name of names) {
    let found: Record<string, unknown>;
    try {
      found = D.dlopen(name, lazy ? addresses(symbols) : symbols).symbols;
    } catch (e) {
      last = e;
      continue;
    }
    if (!lazy) {
      eager.push(name);
      return found;
    }
    const table: Record<string, unknown> = {};
    for (const [key, def] of Object.entries(symbols as Record<string, SymbolDef>)) {
      const ptr = found[key];
      table[key] = !isLazy(def) || ptr === null
        ? ptr
        : lazyFunction(D, { name, key, def, ptr }, table, hot);
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
