import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { ConfigError } from "../config/lexer.ts";
import { loadServerConfig } from "../config/server_conf.ts";
import { alertOptions, alertPeers } from "./options.ts";

async function conf(text: string): Promise<string> {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/fwknopd.conf`, text);
  return `${dir}/fwknopd.conf`;
}

async function opts(text: string) {
  return alertOptions(loadServerConfig(await conf(text)));
}

Deno.test("alerts are off until a destination is set (fwknopd 2.6 configs send nothing)", async () => {
  assertEquals(await opts("PCAP_INTF lo\n"), undefined);
  assertEquals(await opts("ALERTING_METHODS ALL\n"), undefined);
});

Deno.test("EMAIL_ADDRESSES turns mail on with fwknop-style defaults", async () => {
  const o = (await opts("EMAIL_ADDRESSES root@localhost, ops@example.org\n"))!;
  assertEquals(o.mail!.to, ["root@localhost", "ops@example.org"]);
  assertEquals([o.mail!.host, o.mail!.port, o.mail!.startTls], ["localhost", 25, false]);
  assertEquals([...o.mail!.classes], ["grant", "replay", "fault"]);
  assertEquals([o.timeoutMs, o.retries, o.queueSize], [10000, 3, 100]);
  assert(o.mail!.from.startsWith("fwknopd@"));
  assertEquals(o.webhook, undefined);
});

Deno.test("ALERTING_METHODS noemail and nowebhook turn a method off; nosyslog is accepted", async () => {
  const both = "EMAIL_ADDRESSES a@b.example\nALERT_WEBHOOK_URL https://hooks.example/x\n";
  assertEquals(await opts(`${both}ALERTING_METHODS noemail,nowebhook\n`), undefined);
  const o = (await opts(`${both}ALERTING_METHODS nosyslog, noemail\n`))!;
  assertEquals(o.mail, undefined);
  assertEquals(o.webhook!.url.href, "https://hooks.example/x");
  assertEquals([...o.webhook!.classes], ["grant", "refusal", "replay", "fault"]);
});

Deno.test("bad alert settings name the file, the line and the variable", async () => {
  const cases: [string, string][] = [
    ["ALERTING_METHODS email,pager\n", ':1: ALERTING_METHODS: "email" is not ALL'],
    ["EMAIL_ADDRESSES root@localhost,evil@x>\n", ':1: EMAIL_ADDRESSES: "evil@x>" is not a mail'],
    ["EMAIL_ADDRESSES a@b\nALERT_FROM <x@y>\n", ':2: ALERT_FROM: "<x@y>" is not a mail address'],
    ["EMAIL_ADDRESSES a@b\nALERT_SMTP_SERVER relay\n", ':2: ALERT_SMTP_SERVER: "relay" is not'],
    ["EMAIL_ADDRESSES a@b\nALERT_SMTP_SERVER relay:70000\n", ":2: ALERT_SMTP_SERVER"],
    ["EMAIL_ADDRESSES a@b\nALERT_EMAIL_EVENTS grant,login\n", ':2: ALERT_EMAIL_EVENTS: "login"'],
    [
      "ALERT_WEBHOOK_URL http://hooks.example/x\n",
      ':1: ALERT_WEBHOOK_URL: "http://hooks.example/x" is not https://',
    ],
    ["ALERT_WEBHOOK_URL not a url\n", ':1: ALERT_WEBHOOK_URL: "not a url" is not a URL'],
    ["ALERT_TIMEOUT 0\n", ":1: ALERT_TIMEOUT:"],
    ["ALERT_QUEUE_SIZE 100000\n", ":1: ALERT_QUEUE_SIZE:"],
  ];
  for (const [text, want] of cases) {
    const path = await conf(text);
    assertThrows(() => alertOptions(loadServerConfig(path)), ConfigError, `${path}${want}`);
  }
});

Deno.test("plain http is allowed to loopback only; peers are host:port for --allow-net", async () => {
  const path = await conf(
    "ALERT_WEBHOOK_URL http://127.0.0.1:8080/hook\nEMAIL_ADDRESSES a@b.example\n" +
      "ALERT_SMTP_SERVER [2001:db8::25]:587\n",
  );
  const c = loadServerConfig(path);
  assertEquals(alertOptions(c)!.mail!.host, "2001:db8::25");
  assertEquals(alertPeers(c), ["[2001:db8::25]:587", "127.0.0.1:8080"]);
  const https = loadServerConfig(await conf("ALERT_WEBHOOK_URL https://hooks.example/x\n"));
  assertEquals(alertPeers(https), ["hooks.example:443"]);
  assertEquals(alertPeers(loadServerConfig(await conf("PCAP_INTF lo\n"))), []);
});
