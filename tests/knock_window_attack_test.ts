/**
 * The encrypted-knock attack of the security review, at the unit that
 * decides (lib/policy/knock.ts): 10 million windows of the attack's shape
 * (`Salted__`, a random salt, then a random block or the attack's repeated
 * `Salted__` + 8 random bytes) from random sources. Each stage's pass count
 * is checked against its expected rate, none may be accepted, and the
 * address binding is checked on valid windows with their address mutated.
 * docs/security.md has the arithmetic.
 */
import { assert, assertEquals } from "./assert.ts";
import { report } from "./env.ts";
import { encryptSequence } from "../knock/sequence.ts";
import type { KnockReport, KnockStanza } from "../knock/watcher.ts";
import { IpAddr } from "../lib/net/addr.ts";
import { knockStanza } from "./knock_stanza.ts";
import { KnockPolicy } from "../lib/policy/knock.ts";
import type { PolicyOptions } from "../lib/policy/options.ts";

const WINDOWS = 10_000_000;
const KEY = "correct horse battery staple";
const OPTS = { replay: false, test: false } as PolicyOptions;
const SALTED = [..."Salted__"].map((c) => c.charCodeAt(0));
const STANZA: KnockStanza = knockStanza({
  index: 2,
  key: KEY,
  openPorts: [{ proto: "tcp", port: 10501 }],
  permitClientPorts: true,
});

/** Chance that a random block's last bytes are a PKCS#7 tail leaving 8 to 15 bytes. */
const P_PADDING = [1, 2, 3, 4, 5, 6, 7, 8].reduce((a, k) => a + 256 ** -k, 0);
const P_CHECKSUM = 1 / 256;
const P_PROTOCOL = 3 / 256;

/** Whether `n` of `trials` is within 6 standard deviations (and a little slack) of `p`. */
function plausible(n: number, trials: number, p: number): boolean {
  const mean = trials * p;
  return Math.abs(n - mean) <= 6 * Math.sqrt(mean * (1 - p)) + 3;
}

function windowReport(bytes: number[], src: IpAddr): KnockReport {
  return {
    kind: "window",
    stanza: STANZA,
    src,
    last: { proto: "tcp", dport: 61000 },
    bytes,
    first: true,
  };
}

Deno.test("knock window attack: 10 million hostile windows, each stage at its expected rate, none accepted", () => {
  const policy = new KnockPolicy();
  const stages = new Map<string, number>();
  const rnd = new Uint8Array(2048 * 28);
  const bytes = new Array<number>(32).fill(0);
  let accepted = 0;
  for (let i = 0; i < WINDOWS; i++) {
    const o = (i % 2048) * 28;
    if (o === 0) crypto.getRandomValues(rnd);
    for (let j = 0; j < 8; j++) bytes[j] = SALTED[j]!;
    // Half the windows: the review's stream, whose block also starts with "Salted__".
    const shaped = i % 2 === 1;
    for (let j = 8; j < 32; j++) {
      bytes[j] = shaped && j >= 16 && j < 24 ? SALTED[j - 16]! : rnd[o + j - 8]!;
    }
    const src = IpAddr.fromV4(
      (rnd[o + 24]! << 24 | rnd[o + 25]! << 16 | rnd[o + 26]! << 8 | rnd[o + 27]!) >>> 0,
    );
    const v = policy.decide(windowReport(bytes, src), OPTS, 1_800_000_000);
    if (v.plan !== undefined) accepted++;
    const e = v.events[0];
    const stage = e === undefined ? "none" : e.code === "knock-undecryptable" ? e.args[0]! : e.code;
    stages.set(stage, (stages.get(stage) ?? 0) + 1);
  }
  const at = (k: string) => stages.get(k) ?? 0;
  const passedPadding = WINDOWS - at("padding");
  const passedChecksum = passedPadding - at("checksum");
  const passedProtocol = passedChecksum - at("protocol");
  report(
    `knock windows: ${WINDOWS} tried; passed padding ${passedPadding}, checksum ${passedChecksum}, ` +
      `protocol ${passedProtocol}; refused at port ${at("port")}, username ${at("username")}, ` +
      `address ${at("knock-address")}; accepted ${accepted}`,
  );
  assertEquals(at("magic") + at("length"), 0, "every window has the attack's shape");
  assert(plausible(passedPadding, WINDOWS, P_PADDING), `padding passed ${passedPadding}`);
  assert(
    plausible(passedChecksum, passedPadding, P_CHECKSUM),
    `checksum passed ${passedChecksum} of ${passedPadding}`,
  );
  assert(
    plausible(passedProtocol, passedChecksum, P_PROTOCOL),
    `protocol passed ${passedProtocol} of ${passedChecksum}`,
  );
  assertEquals(accepted, 0);
  assertEquals(at("knock-accepted"), 0);
});

Deno.test("knock window attack: a valid window opens only for the address it names", () => {
  const policy = new KnockPolicy();
  let opened = 0;
  let refused = 0;
  for (let i = 0; i < 2000; i++) {
    const v4 = (0xc0000200 + (i % 250) + 1) >>> 0; // 192.0.2.1 .. 192.0.2.250
    const src = IpAddr.fromV4(v4);
    // Mutations: each single bit of the address, and a random other address.
    const other = i % 33 === 32
      ? (crypto.getRandomValues(new Uint32Array(1))[0]! | 1) >>> 0
      : (v4 ^ (1 << (i % 33))) >>> 0;
    for (const [ip, want] of [[v4, true], [other, other === v4]] as [number, boolean][]) {
      const { cipher } = encryptSequence(
        { allowIp: IpAddr.fromV4(ip).text, proto: "tcp", port: 22, username: "u" },
        KEY,
      );
      const v = policy.decide(windowReport(cipher, src), OPTS, 1_800_000_000);
      if (want) {
        assert(v.plan?.kind === "grant", `${IpAddr.fromV4(ip).text} from ${src.text}`);
        assertEquals(v.plan.grant.src.text, src.text);
        opened++;
      } else {
        assertEquals(v.events.map((e) => e.code), ["knock-address"]);
        refused++;
      }
    }
  }
  assertEquals([opened, refused], [2000, 2000]);
});
