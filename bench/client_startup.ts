/**
 * Startup cost of `fwknop-ts -T` against the stock `fwknop -T` with the same
 * arguments: median wall time over repeated runs, and the ratio.
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

async function median(cmd: string, args: string[]): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS + 2; i++) {
    const t0 = performance.now();
    const r = await new Deno.Command(cmd, {
      args,
      stdout: "null",
      stderr: "null",
      env: { HOME: "/tmp" },
    }).output();
    const dt = performance.now() - t0;
    if (!r.success) throw new Error(`${cmd} failed`);
    if (i >= 2) times.push(dt); // the first runs warm caches
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** Runs the benchmark and returns report lines. */
export async function benchClientStartup(): Promise<string[]> {
  const perms = ["--allow-read", "--allow-write", "--allow-env", "--allow-net", "--allow-sys"];
  const ours = await median("deno", ["run", ...perms, CLIENT, ...ARGS]);
  // With --allow-ffi the crypto seam uses libcrypto and node:crypto is never loaded.
  const oursFfi = await median("deno", ["run", ...perms, "--allow-ffi", CLIENT, ...ARGS]);
  let stock: number | undefined;
  try {
    stock = await median("fwknop", ARGS);
  } catch {
    stock = undefined;
  }
  const lines = [
    `client startup (-T, median of ${RUNS}): fwknop-ts ${ours.toFixed(1)} ms (node:crypto), ` +
    `${oursFfi.toFixed(1)} ms with --allow-ffi (libcrypto)`,
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
