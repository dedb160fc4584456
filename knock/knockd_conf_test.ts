import { assertEquals, assertThrows } from "../tests/assert.ts";
import { ConfigError } from "../lib/config/lexer.ts";
import { acceptPort, parseKnockdConf } from "./knockd_conf.ts";

const CONF = `[options]
  UseSyslog
  Interface = eth0

[openSSH]
  sequence    = 7000,8000:udp,9000
  seq_timeout = 5
  tcpflags    = syn
  command     = /sbin/iptables -A INPUT -s %IP% -p tcp --dport 22 -j ACCEPT

[opencloseHTTPS]
  sequence      = 2222:udp,3333:tcp
  seq_timeout   = 15
  start_command = /usr/sbin/iptables -I INPUT -s %IP% -p tcp --syn --dport 443 -j ACCEPT
  cmd_timeout   = 10
  stop_command  = /usr/sbin/iptables -D INPUT -s %IP% -p tcp --syn --dport 443 -j ACCEPT

[mail]
  sequence = 4000,5000
  command  = /usr/local/bin/notify %IP% mail
  cmd_timeout = 60

[nothing]
  command = /bin/true
`;

Deno.test("knockd.conf: sequences, accepts as grants, other commands as argv", () => {
  const { sections, warnings } = parseKnockdConf(CONF, "/etc/knockd.conf", 4);
  assertEquals(sections.map((s) => [s.name, s.stanza.index]), [
    ["openSSH", 4],
    ["opencloseHTTPS", 5],
    ["mail", 6],
  ]);
  const [ssh, https, mail] = sections;
  assertEquals(ssh!.stanza.sequence, [
    { proto: "tcp", port: 7000 },
    { proto: "udp", port: 8000 },
    { proto: "tcp", port: 9000 },
  ]);
  assertEquals([ssh!.stanza.knockInterval, ssh!.stanza.openPorts, ssh!.stanza.commands], [5, [{
    proto: "tcp",
    port: 22,
  }], undefined]);
  assertEquals([https!.stanza.openPorts, https!.stanza.fwAccessTimeout], [[{
    proto: "tcp",
    port: 443,
  }], 10]);
  assertEquals(mail!.stanza.commands, {
    start: ["/usr/local/bin/notify", "%IP%", "mail"],
    timeout: 60,
  });
  assertEquals(warnings.length, 1);
  assertEquals(/\[nothing\] has no sequence; skipped/.test(warnings[0]!), true);
});

Deno.test("knockd.conf: mistakes name file and line", () => {
  assertThrows(
    () => parseKnockdConf("[a]\n sequence = 7000,x\n command = /bin/true\n", "k.conf", 1),
    ConfigError,
    "k.conf:2: sequence",
  );
  assertThrows(() => parseKnockdConf("sequence = 1,2\n", "k.conf", 1), ConfigError, "k.conf:1");
  assertEquals(acceptPort("iptables -A INPUT -s %IP% -p udp --dport 1194 -j ACCEPT"), {
    proto: "udp",
    port: 1194,
  });
  assertEquals(acceptPort("iptables -A INPUT -s 10.0.0.1 -p tcp --dport 22 -j ACCEPT"), undefined);
});
