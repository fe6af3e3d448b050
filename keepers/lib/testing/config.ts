// Test support (not used by any keeper at run time): the config tests every keeper has, table-driven. A keeper's
// config.test.ts calls `configErrorTests` inside its describe() with its own cases, beside its own tests of
// defaults and parsing.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import type { ConfigInput } from "../config.js";
import { ConfigError } from "../errors.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

export type Env = Record<string, string | undefined>;
export type MainResult = { code: number | null; stderr: string; stdout: string };

/**
 * Runs a keeper's real entry point as an operator would (`npx tsx keepers/<name>/main.ts`). Only PATH and HOME
 * come from the outer environment: the keeper must not depend on anything else. npm's own warnings about the
 * machine's npmrc are silenced so that stderr is the keeper's alone.
 */
export function runMain(script: string, env: Env): Promise<MainResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("npx", ["tsx", script], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH!,
        HOME: process.env.HOME ?? "/tmp",
        npm_config_loglevel: "error",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, stderr, stdout }));
  });
}

/** The field the {@link ConfigError} of `load` names; `(accepted)` when it loads. Any other error is rethrown. */
export function fieldOf(load: (input: ConfigInput) => unknown, env: Env): string {
  try {
    load({ env });
  } catch (error) {
    if (error instanceof ConfigError) return error.field;
    throw error;
  }
  return "(accepted)";
}

/**
 * The "bad setting" tests of one keeper:
 * - `rejects`: each `[FIELD, patch]` — `good` with `patch` over it (`undefined` unsets) — is refused with a
 *   ConfigError naming FIELD;
 * - `messages`: each `[patch, message]` is refused with exactly that message (`FIELD: problem`);
 * - `exits`: the entry point `main`, started with each `env`, exits 78 with ONE line on stderr — equal to `stderr`,
 *   or matching it — prints nothing on stdout, and never shows any of the private key `key`.
 */
export function configErrorTests(spec: {
  main: string;
  load: (input: ConfigInput) => unknown;
  good: Env;
  key: string;
  rejects: readonly (readonly [field: string, patch: Env])[];
  messages?: readonly (readonly [patch: Env, message: string])[];
  exits: readonly { when: string; env: Env; stderr: string | RegExp }[];
}): void {
  it.each(spec.rejects)("rejects a bad %s (%j)", (field, patch) => {
    expect(fieldOf(spec.load, { ...spec.good, ...patch })).toBe(field);
  });

  if (spec.messages?.length)
    it.each(spec.messages)("names the problem in words (%j)", (patch, message) => {
      expect(() => spec.load({ env: { ...spec.good, ...patch } })).toThrowError(message);
    });

  for (const exit of spec.exits)
    it(`exits 78 with one stderr line naming the field when ${exit.when}, never printing the key`, async () => {
      const { code, stderr, stdout } = await runMain(spec.main, exit.env);
      expect(code).toBe(78);
      const lines = stderr.split("\n").filter((l) => l.trim() !== "");
      expect(lines).toHaveLength(1);
      if (typeof exit.stderr === "string") expect(lines[0]).toBe(exit.stderr);
      else expect(lines[0]).toMatch(exit.stderr);
      expect(stdout).toBe("");
      expect(stderr + stdout).not.toContain(spec.key.slice(2, 20));
    });
}
