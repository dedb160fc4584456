/**
 * A small mutation fuzzer for the parsers (`deno task fuzz`). Each target
 * starts from its seed corpus (`tests/fuzz/corpus/<target>/`), mutates
 * inputs (flips, inserts, deletes, duplications, splices, boundary
 * numbers) and runs the parser; anything it throws other than its allowed
 * refusals is a crash, saved under `tests/fuzz/crashes/<target>/`, where
 * `tests/fuzz_test.ts` replays it on every run from then on.
 *
 *     deno task fuzz [--seconds N] [target ...]
 *
 * @module
 */
import { type FuzzTarget, TARGETS } from "./targets.ts";

const DIR = new URL("./", import.meta.url).pathname;
const BOUNDARY = ["0", "-1", "65535", "65536", "4294967296", "99999999999999999999", "", " ", "\0"];

/** A seeded generator, so a campaign can be replayed from its seed. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/** The inputs stored for a target in one folder (corpus or crashes). */
export function stored(kind: "corpus" | "crashes", target: string): string[] {
  const dir = `${DIR}${kind}/${target}`;
  try {
    return [...Deno.readDirSync(dir)].filter((e) => e.isFile).map((e) => e.name).sort().map((n) =>
      decodeStored(Deno.readTextFileSync(`${dir}/${n}`))
    );
  } catch {
    return [];
  }
}

/** Stored inputs are written as JSON strings (any byte survives). */
function decodeStored(text: string): string {
  return JSON.parse(text) as string;
}

/** One mutation of an input (`pool` supplies splices). */
export function mutate(input: string, pool: readonly string[], r: () => number): string {
  const n = Math.floor(r() * 8);
  const at = Math.floor(r() * (input.length + 1));
  const ch = () =>
    String.fromCharCode(r() < 0.7 ? 32 + Math.floor(r() * 95) : Math.floor(r() * 256));
  switch (n) {
    case 0:
      return input.slice(0, at) + ch() + input.slice(at + 1);
    case 1:
      return input.slice(0, at) + ch() + input.slice(at);
    case 2:
      return input.slice(0, at) + input.slice(at + 1 + Math.floor(r() * 8));
    case 3: {
      const len = Math.floor(r() * 16);
      return input.slice(0, at) + input.slice(at, at + len).repeat(2) + input.slice(at + len);
    }
    case 4: {
      const other = pool[Math.floor(r() * pool.length)] ?? "";
      const cut = Math.floor(r() * (other.length + 1));
      return input.slice(0, at) + other.slice(cut);
    }
    case 5: {
      const b = BOUNDARY[Math.floor(r() * BOUNDARY.length)]!;
      return input.replace(/\d+/, b);
    }
    case 6:
      return input.slice(0, at);
    default: {
      const i = Math.floor(r() * Math.max(1, input.length));
      const c = input.charCodeAt(i) ^ (1 << Math.floor(r() * 8));
      return input.slice(0, i) + String.fromCharCode(c & 0xff) + input.slice(i + 1);
    }
  }
}

/** A crash: the input and what was thrown. */
export interface Crash {
  target: string;
  input: string;
  error: string;
}

/** Runs one input; returns a crash description, or undefined. */
export function tryInput(t: FuzzTarget, input: string): string | undefined {
  try {
    t.run(input);
    return undefined;
  } catch (e) {
    if (t.allowed?.(e) === true) return undefined;
    return e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ""}` : String(e);
  }
}

/**
 * Fuzzes one target for a while.
 *
 * @returns The crashes found and the number of inputs run.
 */
export function campaign(
  t: FuzzTarget,
  ms: number,
  seed: number,
): { crashes: Crash[]; runs: number } {
  const r = rng(seed);
  const pool = [...stored("corpus", t.name)];
  if (pool.length === 0) pool.push("");
  const crashes: Crash[] = [];
  const seen = new Set<string>();
  const end = performance.now() + ms;
  let runs = 0;
  while (performance.now() < end) {
    let input = pool[Math.floor(r() * pool.length)]!;
    const rounds = 1 + Math.floor(r() * 4);
    for (let i = 0; i < rounds; i++) input = mutate(input, pool, r);
    if (input.length > 20000) input = input.slice(0, 20000);
    runs++;
    const err = tryInput(t, input);
    if (err === undefined) continue;
    const key = err.split("\n")[0]!;
    if (seen.has(key)) continue;
    seen.add(key);
    crashes.push({ target: t.name, input, error: err });
  }
  return { crashes, runs };
}

/** Saves a crash input for replay by the regression test. */
export async function saveCrash(c: Crash): Promise<string> {
  const data = new TextEncoder().encode(c.input);
  const hash = [...new Uint8Array(await crypto.subtle.digest("SHA-256", data))]
    .slice(0, 8).map((b) => b.toString(16).padStart(2, "0")).join("");
  const dir = `${DIR}crashes/${c.target}`;
  Deno.mkdirSync(dir, { recursive: true });
  const path = `${dir}/${hash}.json`;
  Deno.writeTextFileSync(path, JSON.stringify(c.input) + "\n");
  return path;
}

if (import.meta.main) {
  const args = [...Deno.args];
  const i = args.indexOf("--seconds");
  const seconds = i >= 0 ? Number(args.splice(i, 2)[1]) : 10;
  const names = args.length > 0 ? args : TARGETS.map((t) => t.name);
  const seed = Date.now() & 0x7fffffff;
  let total = 0;
  for (const t of TARGETS.filter((x) => names.includes(x.name))) {
    const { crashes, runs } = campaign(t, (seconds * 1000) / names.length, seed);
    total += crashes.length;
    // deno-lint-ignore no-console
    console.log(`${t.name}: ${runs} inputs, ${crashes.length} crashes (seed ${seed})`);
    for (const c of crashes) {
      // deno-lint-ignore no-console
      console.log(`  saved ${await saveCrash(c)}: ${c.error.split("\n")[0]}`);
    }
  }
  Deno.exit(total > 0 ? 1 : 0);
}
