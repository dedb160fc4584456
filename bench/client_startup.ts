/**
 * Startup cost of `fwknop-ts -T` against the stock `fwknop -T` with the same
 * arguments and against Deno's floor (an empty script under the same
 * `deno run` flags): median wall time over interleaved runs with its
 * interquartile range, and the ratio to the floor taken in each round (both
 * ran within milliseconds of each other, so a busy moment on a shared
 * machine hits both).
 *
 * @module
 */

const CLIENT = new URL("../client.ts", import.meta.url).pathname;
const ARGS = [
  "-A",
  "tcp/22",
  "-a",
  "1.2.3.4",
  "-D",
  "127.0.0.1",
  "--key-rijndael",
  "fwknoptest",
  "--key-hmac",
  "fwknophmactest",
  "-T",
  "--no-rc-file",
  "--no-save-args",
];
const RUNS = 30;

/** One command timed: argv and its wall times in ms, one per round. */
interface Timed {
  cmd: string;
  args: string[];
  times: number[];
}

/** A sample's median and interquartile range. */
interface Spread {
  median: number;
  q1: number;
  q3: number;
}

async function once(t: Timed): Promise<number> {
  const t0 = performance.now();
  const r = await new Deno.Command(t.cmd, {
    args: t.args,
    stdout: "null",
    stderr: "null",
    env: { HOME: "/tmp" },
  }).output();
  const dt = performance.now() - t0;
  if (!r.success) throw new Error(`${t.cmd} failed`);
  return dt;
}

/**
 * Runs the commands in turn, `runs` rounds after two warm-up rounds (so a
 * noisy moment hits them all); each command's `times` gets one entry a round.
 */
async function interleaved(cmds: Timed[], runs: number): Promise<void> {
  for (let i = 0; i < runs + 2; i++) {
    for (const c of cmds) {
      const dt = await once(c);
      if (i >= 2) c.times.push(dt); // the first runs warm caches
    }
  }
}

/** Median and quartiles (nearest rank). */
function spread(xs: number[]): Spread {
  const s = [...xs].sort((a, b) => a - b);
  const at = (f: number) => s[Math.round((s.length - 1) * f)]!;
  return { median: at(0.5), q1: at(0.25), q3: at(0.75) };
}

const ms = (s: Spread) => `${s.median.toFixed(1)} ms [${s.q1.toFixed(1)}-${s.q3.toFixed(1)}]`;
const ratio = (s: Spread) => `${s.median.toFixed(2)}x [${s.q1.toFixed(2)}-${s.q3.toFixed(2)}]`;

/** The ratio of `a` to `b` in each round: a noisy moment hits both. */
const perRound = (a: Timed, b: Timed) => spread(a.times.map((t, i) => t / b.times[i]!));

/**
 * Runs the benchmark and returns report lines: medians with their
 * interquartile range in brackets, and the ratio to the floor taken round by
 * round.
 *
 * @param runs Rounds (CI's short check passes a few).
 */
export async function benchClientStartup(runs = RUNS): Promise<string[]> {
  const perms = ["--allow-read", "--allow-write", "--allow-env", "--allow-net", "--allow-sys"];
  const empty = await Deno.makeTempFile({ suffix: ".ts" });
  const t = (cmd: string, args: string[]): Timed => ({ cmd, args, times: [] });
  const deno = Deno.execPath();
  // With --allow-ffi the crypto seam uses libcrypto and node:crypto is never loaded.
  const [floor, ours, floorFfi, oursFfi] = [
    t(deno, ["run", ...perms, empty]),
    t(deno, ["run", ...perms, CLIENT, ...ARGS]),
    t(deno, ["run", ...perms, "--allow-ffi", empty]),
    t(deno, ["run", ...perms, "--allow-ffi", CLIENT, ...ARGS]),
  ] as const;
  try {
    await interleaved([floor, ours, floorFfi, oursFfi], runs);
  } finally {
    await Deno.remove(empty);
  }
  const stock = t("fwknop", ARGS);
  let haveStock = true;
  try {
    await interleaved([stock], runs);
  } catch {
    haveStock = false;
  }
  const [o, f, oF, fF] = [ours, floor, oursFfi, floorFfi].map((x) => spread(x.times)) as [
    Spread,
    Spread,
    Spread,
    Spread,
  ];
  const lines = [
    `client startup (-T, median of ${runs} [interquartile range]): fwknop-ts ${ms(o)} ` +
    `(node:crypto), ${ms(oF)} with --allow-ffi (libcrypto)`,
    `client startup: Deno's floor (an empty script, same flags) ${ms(f)}, ${ms(fF)} with ` +
    `--allow-ffi; ratio fwknop-ts/floor, round by round = ${ratio(perRound(ours, floor))} ` +
    `(node:crypto), ${ratio(perRound(oursFfi, floorFfi))} (libcrypto)`,
  ];
  if (haveStock) {
    const s = spread(stock.times).median;
    lines.push(
      `client startup: stock fwknop ${s.toFixed(1)} ms; ratio fwknop-ts/fwknop = ${
        (o.median / s).toFixed(1)
      }x (node:crypto), ${(oF.median / s).toFixed(1)}x (libcrypto)`,
    );
  } else lines.push("client startup: stock fwknop not installed, no ratio");
  return lines;
}
