/**
 * Fuzzing that stays: every seed and every saved crash input of each parser
 * is replayed (a fixed crash stays fixed), then a short campaign runs
 * against each (three seconds per target, a new seed each run, printed so a
 * failure can be replayed with `deno task fuzz`). A crash fails the test,
 * prints its input and is saved under tests/fuzz/crashes/.
 */
import { assertEquals } from "./assert.ts";
import { report } from "./env.ts";
import { campaign, saveCrash, stored, tryInput } from "./fuzz/fuzz.ts";
import { TARGETS } from "./fuzz/targets.ts";

const MS_PER_TARGET = 3000;

Deno.test("fuzz: seeds and saved crash inputs replay cleanly", () => {
  const failures: string[] = [];
  for (const t of TARGETS) {
    const inputs = [...stored("corpus", t.name), ...stored("crashes", t.name)];
    assertEquals(inputs.length > 0, true, `${t.name} has no seed corpus`);
    for (const input of inputs) {
      const err = tryInput(t, input);
      if (err !== undefined) {
        failures.push(`${t.name}: ${JSON.stringify(input).slice(0, 200)}: ${err}`);
      }
    }
  }
  assertEquals(failures, []);
});

Deno.test({
  name: "fuzz: a bounded campaign over every parser finds no crash",
  sanitizeResources: false,
  async fn() {
    const seed = Date.now() & 0x7fffffff;
    const found: string[] = [];
    let runs = 0;
    for (const t of TARGETS) {
      const r = campaign(t, MS_PER_TARGET, seed);
      runs += r.runs;
      for (const c of r.crashes) {
        const path = await saveCrash(c);
        found.push(
          `${t.name}: ${JSON.stringify(c.input).slice(0, 300)} -> ${
            c.error.split("\n")[0]
          } (saved ${path})`,
        );
      }
    }
    report(`fuzz: ${runs} inputs over ${TARGETS.length} parsers, seed ${seed}`);
    assertEquals(found, []);
  },
});
