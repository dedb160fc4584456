import { assertEquals } from "../../tests/assert.ts";
import { httpSpaRequest } from "./http.ts";

// The request fwknop 2.6.10 printed for SPEC vector V8.
const WIRE =
  "/6lwfrELRCOTRZ3B3bnsV/QUmI9IyZSyxd8SHed08Q4v2HHhItwaCkyX/pkVrm0Ug8AS6fWWRD/TZiuQfBywQZBez56oCiGXWha2I/b7PtZ7FkoWnFmVFm8vXwlJyJWq4BCYbuvqPrgHT+vrQ6EjJJnSH927dk4M8jqV4i9LECjC793C/p5wbV+JWBPDvCGPe1g7JryF8KM8";

Deno.test("httpSpaRequest matches the stock client's request", () => {
  const r = httpSpaRequest(WIRE, "spa.example.com", 62201, "Fwknop/2.6.10");
  assertEquals(
    r.request,
    "GET /_6lwfrELRCOTRZ3B3bnsV_QUmI9IyZSyxd8SHed08Q4v2HHhItwaCkyX_pkVrm0Ug8AS6fWWRD_TZiuQfBywQZBez56oCiGXWha2I_b7PtZ7FkoWnFmVFm8vXwlJyJWq4BCYbuvqPrgHT-vrQ6EjJJnSH927dk4M8jqV4i9LECjC793C_p5wbV-JWBPDvCGPe1g7JryF8KM8 HTTP/1.0\r\n" +
      "User-Agent: Fwknop/2.6.10\r\nAccept: */*\r\nHost: spa.example.com\r\nConnection: close\r\n\r\n",
  );
  assertEquals([r.connectHost, r.connectPort], ["spa.example.com", 62201]);
});

Deno.test("httpSpaRequest through a proxy uses an absolute URL and connects to the proxy", () => {
  const r = httpSpaRequest("ab+/", "srv.example", 62201, "UA", "http://proxy.example:3128");
  assertEquals(r.request.split("\r\n")[0], "GET http://srv.example/ab-_ HTTP/1.0");
  assertEquals(r.request.split("\r\n")[3], "Host: proxy.example");
  assertEquals([r.connectHost, r.connectPort], ["proxy.example", 3128]);
  assertEquals(httpSpaRequest("x", "d", 80, "UA", "proxy2").connectPort, 80);
});
