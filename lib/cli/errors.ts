/**
 * The two error families of the command-line programs: a mistake of the
 * person at the keyboard (`UsageError`, exit 2) and a failure of the world
 * (`RuntimeError`, exit 1). Anything else is a bug and keeps its stack.
 *
 * @module
 */

/** A wrong option, a missing value, a value of the wrong form: exit code 2. */
export class UsageError extends Error {
  /**
   * @param message One line saying what is wrong and how to fix it.
   */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** A failure outside the person's control (network, files, privileges): exit code 1. */
export class RuntimeError extends Error {
  /**
   * @param message One line saying what failed.
   */
  constructor(message: string) {
    super(message);
    this.name = "RuntimeError";
  }
}
