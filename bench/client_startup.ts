/**
 * Startup cost of `fwknop-ts -T` against the stock `fwknop -T` with the same
 * arguments and against Deno's floor (an empty script under the same
 * `deno run` flags): median wall time over interleaved runs, and the ratios.
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
const RUNS = 15;

/** One command timed: argv and its wall times in ms. */
interface Timed {
  cmd: string;
  args: string[];
  times: number[];
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
 * noisy moment hits them all), and returns each one's median in ms.
 */
async function interleaved(cmds: Timed[], runs: number): Promise<number[]> {
  for (let i = 0; i < runs + 2; i++) {
    for (const c of cmds) {
      const dt = await once(c);
      if (i >= 2) c.times.push(dt); // the first runs warm caches
    }
  }
  return cmds.map((c) => {
    const s = [...c.times].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)]!;
  });
}

/**
 * Runs the benchmark and returns report lines.
 *
 * @param runs Rounds (CI's short check passes a few).
 */
export async function benchClientStartup(runs = RUNS): Promise<string[]> {
  const perms = ["--allow-read", "--allow-write", "--allow-env", "--allow-net", "--allow-sys"];
  const empty = await Deno.makeTempFile({ suffix: ".ts" });
  const t = (cmd: string, args: string[]): Timed => ({ cmd, args, times: [] });
  const deno = Deno.execPath();
  // With --allow-ffi the crypto seam uses libcrypto and node:crypto is never loaded.
  const cmds = [
    t(deno, ["run", ...perms, empty]),
    t(deno, ["run", ...perms, CLIENT, ...ARGS]),
    t(deno, ["run", ...perms, "--allow-ffi", empty]),
    t(deno, ["run", ...perms, "--allow-ffi", CLIENT, ...ARGS]),
  ];
  let floor: number, ours: number, floorFfi: number, oursFfi: number;
  try {
    [floor, ours, floorFfi, oursFfi] = (await interleaved(cmds, runs)) as [
      number,
      number,
      number,
      number,
    ];
  } finally {
    await Deno.remove(empty);
  }
  let stock: number | undefined;
  try {
    stock = (await interleaved([t("fwknop", ARGS)], runs))[0];
  } catch {
    stock = undefined;
  }
  const lines = [
    `client startup (-T, median of ${runs}): fwknop-ts ${ours.toFixed(1)} ms (node:crypto), ` +
    `${oursFfi.toFixed(1)} ms with --allow-ffi (libcrypto)`,
    `client startup: Deno's floor (an empty script, same flags) ${floor.toFixed(1)} ms, ` +
    `${floorFfi.toFixed(1)} ms with --allow-ffi; ratio fwknop-ts/floor = ${
      (ours / floor).toFixed(2)
    }x (node:crypto), ${(oursFfi / floorFfi).toFixed(2)}x (libcrypto)`,
  ];
  if (stock !== undefined) {
    lines.push(
      `client startup: stock fwknop ${stock.toFixed(1)} ms; ratio fwknop-ts/fwknop = ${
        (ours / stock).toFixed(1)
      }x (node:crypto), ${(oursFfi / stock).toFixed(1)}x (libcrypto)`,
    );
  } else lines.push("client startup: stock fwknop not installed, no ratio");
  return lines;
}
