import fc from "npm:fast-check@3.23.2";
import { assertEquals } from "../../tests/assert.ts";
import {
  checkAccessMessage,
  checkCommandMessage,
  checkIPv4,
  checkNatAccess,
  checkProtoPort,
  checkTimeoutText,
  checkUsername,
} from "./fields.ts";

const ok = undefined;

Deno.test("checkUsername applies libfko's character rule", () => {
  assertEquals(checkUsername("root"), ok);
  assertEquals(checkUsername("first.last-1 x"), ok);
  for (const ch of '"/\\[]:;|=,+*?<>') assertEquals(typeof checkUsername(`a${ch}b`), "string", ch);
  assertEquals(checkUsername(""), "is empty");
  assertEquals(checkUsername("a\tb"), 'holds the character "\\t"');
  assertEquals(checkUsername("x".repeat(63)), ok);
  assertEquals(checkUsername("x".repeat(64)), "is longer than 63 characters");
});

Deno.test("checkIPv4 accepts dotted quads only", () => {
  for (const ip of ["1.2.3.4", "0.0.0.0", "255.255.255.255", "10.0.0.1"]) {
    assertEquals(checkIPv4(ip), ok, ip);
  }
  for (const ip of ["1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.a", "1..2.3", "::1", "1.2.3.4 "]) {
    assertEquals(typeof checkIPv4(ip), "string", ip);
  }
  assertEquals(checkIPv4("010.0.0.1"), '"010.0.0.1" has an octet with a leading zero');
});

Deno.test("checkProtoPort accepts only tcp/N and udp/N with N in 1..65535", () => {
  for (const s of ["tcp/22", "udp/53", "tcp/1", "udp/65535"]) {
    assertEquals(checkProtoPort(s), ok, s);
  }
  for (
    const s of [
      "icmp/0",
      "none/0",
      "tcp/0",
      "tcp/65536",
      "TCP/22",
      "tcpx/22",
      "tcp/",
      "tcp/22x",
      "tcp/123456",
    ]
  ) {
    assertEquals(typeof checkProtoPort(s), "string", s);
  }
});

Deno.test("checkAccessMessage checks the IP and every request", () => {
  assertEquals(checkAccessMessage("1.2.3.4,tcp/22"), ok);
  assertEquals(checkAccessMessage("1.2.3.4,tcp/22,udp/53"), ok);
  assertEquals(checkAccessMessage("1.2.3.4"), "has no proto/port list after the IP address");
  assertEquals(checkAccessMessage("1.2.3.4,tcp/22,"), '"" is not tcp/PORT or udp/PORT');
  assertEquals(checkAccessMessage("1.2.3.4,none/0"), '"none/0" is not tcp/PORT or udp/PORT');
  assertEquals(checkAccessMessage("host,tcp/22"), '"host" is not a dotted-quad IPv4 address');
  assertEquals(typeof checkAccessMessage("1.2.3.4," + "tcp/22,".repeat(40) + "tcp/22"), "string");
});

Deno.test("checkCommandMessage needs an IP and a command", () => {
  assertEquals(checkCommandMessage("1.2.3.4,touch /tmp/x"), ok);
  assertEquals(checkCommandMessage("1.2.3.4,"), "has an empty command");
  assertEquals(checkCommandMessage("1.2.3.4"), "has no command after the IP address");
  assertEquals(checkCommandMessage("1.2.3.4,a\0b"), "holds a NUL byte");
});

Deno.test("checkNatAccess needs exactly HOST,PORT", () => {
  assertEquals(checkNatAccess("192.168.1.55,22"), ok);
  assertEquals(checkNatAccess("internal.example,8080"), ok);
  assertEquals(checkNatAccess("a,b,22"), '"a,b,22" is not HOST,PORT');
  assertEquals(checkNatAccess("a b,22"), 'host "a b" holds a forbidden character');
  assertEquals(checkNatAccess("host,0"), "port 0 is out of range 1..65535");
  assertEquals(checkNatAccess(",22"), "host must be 1 to 70 characters");
});

Deno.test("checkTimeoutText accepts 0..65536", () => {
  assertEquals(checkTimeoutText("0"), ok);
  assertEquals(checkTimeoutText("65536"), ok);
  assertEquals(checkTimeoutText("65537"), "65537 is above 65536");
  assertEquals(checkTimeoutText("-1"), '"-1" is not a number');
});

/** The plain definitions the hand-written scanners must agree with. */
const reference = {
  username(name: string, maxLen = 63): string | undefined {
    if (name.length === 0) return "is empty";
    if (name.length > maxLen) return `is longer than ${maxLen} characters`;
    for (const ch of name) {
      const c = ch.charCodeAt(0);
      if (c < 0x20 || c > 0x7e || '"/\\[]:;|=,+*?<>'.includes(ch)) {
        return `holds the character ${JSON.stringify(ch)}`;
      }
    }
    return undefined;
  },
  ipv4(ip: string): string | undefined {
    if (ip.length < 7 || ip.length > 15) return `"${ip}" is not a dotted-quad IPv4 address`;
    const parts = ip.split(".");
    if (parts.length !== 4) return `"${ip}" is not a dotted-quad IPv4 address`;
    for (const p of parts) {
      if (!/^\d{1,3}$/.test(p) || Number(p) > 255) {
        return `"${ip}" is not a dotted-quad IPv4 address`;
      }
      if (p.length > 1 && p.startsWith("0")) return `"${ip}" has an octet with a leading zero`;
    }
    return undefined;
  },
  protoPort(spec: string): string | undefined {
    const m = /^(tcp|udp)\/(.*)$/.exec(spec);
    if (m === null) return `"${spec}" is not tcp/PORT or udp/PORT`;
    if (!/^\d+$/.test(m[2]!)) return `port "${m[2]}" is not a number`;
    const digits = m[2]!.replace(/^0+(?=\d)/, "");
    if (digits.length > 5 || Number(digits) < 1 || Number(digits) > 65535) {
      return `port ${digits} is out of range 1..65535`;
    }
    if (m[2]!.length > 5) return `port "${m[2]}" has more than 5 digits`;
    return undefined;
  },
};

Deno.test("the field scanners agree with the plain regex definitions on random input", () => {
  const chars = fc.constantFrom(..."0123456789.", ..."tcpud/ x", "\n", "\r", "\u2028", "é", "😀");
  const text = fc.oneof(
    fc.array(chars, { maxLength: 18 }).map((a) => a.join("")),
    fc.string({ maxLength: 20 }),
    fc.tuple(
      fc.array(fc.integer({ min: 0, max: 999 }), { minLength: 1, maxLength: 5 }),
      fc.boolean(),
    )
      .map(([o, z]) => o.map((x) => (z && x < 10 ? `0${x}` : `${x}`)).join(".")),
    fc.tuple(fc.constantFrom("tcp/", "udp/", "TCP/", "tcp", "udp//"), fc.string({ maxLength: 7 }))
      .map(([a, b]) => a + b),
    fc.integer({ min: -5, max: 99999 }).map((n) => `tcp/${n}`),
  );
  fc.assert(
    fc.property(text, (t) => {
      assertEquals(checkIPv4(t), reference.ipv4(t), t);
      assertEquals(checkProtoPort(t), reference.protoPort(t), t);
      assertEquals(checkUsername(t), reference.username(t), t);
    }),
    { numRuns: 20000 },
  );
});
