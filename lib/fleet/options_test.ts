import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { loadAccess } from "../config/access_conf.ts";
import { ConfigError } from "../config/lexer.ts";
import { loadServerConfig } from "../config/server_conf.ts";
import { fleetOptions } from "./options.ts";

const dir = await Deno.makeTempDir({ prefix: "fwknop-fleet-" });
const conf = (text: string) => {
  Deno.writeTextFileSync(`${dir}/fwknopd.conf`, text);
  return loadServerConfig(`${dir}/fwknopd.conf`);
};

Deno.test("fleet options: off without FLEET_REDIS_URL, defaults with it", () => {
  assertEquals(fleetOptions(conf("PCAP_INTF lo;\n")), undefined);
  Deno.writeTextFileSync(`${dir}/pw`, "s3cret\n");
  const o = fleetOptions(
    conf(
      `FLEET_REDIS_URL redis://user@10.77.0.1:6380;\nFLEET_REDIS_PASSWORD_FILE ${dir}/pw;\nFLEET_GATEWAY gw-a;\n`,
    ),
  )!;
  assertEquals(o.where, "10.77.0.1:6380");
  assertEquals(o.password, "s3cret");
  assertEquals([o.name, o.gateway, o.onDown, o.timeoutMs, o.maxLen], [
    "fwknop",
    "gw-a",
    "closed",
    1000,
    10000,
  ]);
  const v6 = fleetOptions(conf("FLEET_REDIS_URL rediss://[2001:db8::1];\nFLEET_GATEWAY g;\n"))!;
  assertEquals(v6.where, "[2001:db8::1]:6379");
});

Deno.test("fleet options: bad values name file, line and variable", () => {
  const cases: [string, RegExp][] = [
    ["FLEET_REDIS_URL http://x;\n", /fwknopd\.conf:1: FLEET_REDIS_URL: "http:" is not redis:/],
    ["FLEET_REDIS_URL redis://:pw@h;\n", /:1: FLEET_REDIS_URL: holds a password/],
    ["FLEET_REDIS_URL redis://h;\nFLEET_GATEWAY a b;\n", /:2: FLEET_GATEWAY: "a b" is not a name/],
    [
      `FLEET_REDIS_URL redis://h;\nFLEET_GATEWAY g;\nFLEET_REDIS_PASSWORD_FILE ${dir}/none;\n`,
      /:3: FLEET_REDIS_PASSWORD_FILE: .*none: no such file/,
    ],
  ];
  for (const [text, re] of cases) {
    try {
      fleetOptions(conf(text));
      throw new Error(`accepted: ${text}`);
    } catch (e) {
      if (!(e instanceof ConfigError) || !re.test(e.message)) throw e;
    }
  }
  assertThrows(
    () => conf("FLEET_ON_REDIS_DOWN open;\n"),
    ConfigError,
    'FLEET_ON_REDIS_DOWN: "open"',
  );
});

Deno.test("FLEET_GROUP in access.conf: a name, checked", () => {
  Deno.writeTextFileSync(`${dir}/a.conf`, "SOURCE ANY\nKEY k\nFLEET_GROUP ops-eu.1\n");
  assertEquals(loadAccess([`${dir}/a.conf`]).stanzas[0]!.fleetGroup, "ops-eu.1");
  Deno.writeTextFileSync(`${dir}/b.conf`, "SOURCE ANY\nKEY k\nFLEET_GROUP ops:eu\n");
  assertThrows(() => loadAccess([`${dir}/b.conf`]), ConfigError, "b.conf:3: FLEET_GROUP");
});

Deno.test("fleet options: redis-sentinel:// URLs", () => {
  const o = fleetOptions(
    conf(
      "FLEET_REDIS_URL rediss-sentinel://fwk@10.0.0.5,[2001:db8::6]:26380/2#prod-primary;\nFLEET_GATEWAY g;\n",
    ),
  )!;
  assertEquals(o.sentinels, [{ host: "10.0.0.5", port: 26379 }, {
    host: "2001:db8::6",
    port: 26380,
  }]);
  assertEquals([o.masterName, o.tls, o.username, o.database], ["prod-primary", true, "fwk", 2]);
  for (
    const bad of [
      "redis-sentinel://10.0.0.5:26379",
      "redis-sentinel://a:pw@10.0.0.5#m",
      "redis-sentinel://10.0.0.5:x#m",
    ]
  ) {
    assertThrows(
      () => fleetOptions(conf(`FLEET_REDIS_URL ${bad};\nFLEET_GATEWAY g;\n`)),
      ConfigError,
      "FLEET_REDIS_URL",
    );
  }
});

Deno.test("fleet options: FLEET_KEY_FILE is checked, and a FLEET_GROUP stanza needs it", () => {
  Deno.writeTextFileSync(`${dir}/access.conf`, "SOURCE ANY\nKEY k\nFLEET_GROUP ops\n");
  const stanzas = loadAccess([`${dir}/access.conf`]).stanzas;
  const base = "FLEET_REDIS_URL redis://h;\nFLEET_GATEWAY g;\n";
  assertThrows(
    () => fleetOptions(conf(base), stanzas),
    ConfigError,
    "fwknopd.conf: FLEET_KEY_FILE: not set, and the FLEET_GROUP stanza at",
  );
  assertEquals(fleetOptions(conf(base))?.key, undefined, "no groups: a replay cache only");
  const key = `${dir}/fleet.key`;
  const write = (text: string, mode: number) => {
    Deno.writeTextFileSync(key, text, { mode });
    Deno.chmodSync(key, mode);
  };
  const withKey = `${base}FLEET_KEY_FILE ${key};\n`;
  write(btoa("k".repeat(32)) + "\n", 0o600);
  assertEquals(fleetOptions(conf(withKey), stanzas)?.key?.length, 32);
  const cases: [string, number, string][] = [
    [
      btoa("k".repeat(32)),
      0o640,
      `:3: FLEET_KEY_FILE: ${key}: readable by group or others (mode 0640)`,
    ],
    [btoa("k".repeat(31)), 0o600, "the key is 31 bytes; at least 32 are needed"],
    ["not base64 at all!", 0o600, `${key}: not base64`],
  ];
  for (const [text, mode, msg] of cases) {
    write(text, mode);
    assertThrows(() => fleetOptions(conf(withKey), stanzas), ConfigError, msg);
  }
  Deno.removeSync(key);
  assertThrows(() => fleetOptions(conf(withKey)), ConfigError, "no such file");
});
