/** The option lists in docs/ are the programs' --help, so they cannot drift apart. */
import { assertEquals } from "./assert.ts";
import { main as clientMain } from "../client.ts";
import { main as serverMain } from "../server.ts";

async function help(main: typeof clientMain): Promise<string> {
  let out = "";
  await main(["--help"], { out: (t) => out += t, err: () => {} });
  return out.trimEnd();
}

function optionsBlock(doc: string): string {
  const i = doc.indexOf("## Options");
  const j = doc.indexOf("```", i) + 4;
  return doc.slice(j, doc.indexOf("```", j)).trimEnd();
}

Deno.test("docs: client.md and server.md show the current --help", async () => {
  const docs = (name: string) => Deno.readTextFile(new URL(`../docs/${name}`, import.meta.url));
  assertEquals(optionsBlock(await docs("client.md")), await help(clientMain));
  assertEquals(optionsBlock(await docs("server.md")), await help(serverMain));
});
