/**
 * Imported first by the client (`client.ts`): this process sends a packet or
 * two and exits, so native libraries are bound lazily (see `bindLazily` in
 * `libs.ts`) and the crypto seam opens libcrypto without compiling a call
 * stub per function. It is the client's first import: module evaluation
 * follows import order, and the crypto seam opens libcrypto while its module
 * is evaluated (`lib/sys/one_shot_test.ts` checks the outcome).
 *
 * @module
 */

import { bindLazily } from "./libs.ts";

bindLazily();
