import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ExitCode } from "../lib/errors.js";
import { apyKeeperSettings } from "./config.js";

// The APY keeper's unit (keepers/systemd/aitbc-apy-keeper.service), checked as keepers/systemd/systemd.test.ts
// checks the fee keeper's.
const run = promisify(execFile);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const analyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].find((p) => existsSync(p));
const unit = path.join(repoRoot, "keepers/systemd/aitbc-apy-keeper.service");
const feeUnit = path.join(repoRoot, "keepers/systemd/aitbc-fee-keeper.service");

const values = (file: string, key: string) =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1));
const env = (file: string, name: string) =>
  values(file, "Environment")
    .find((v) => v.startsWith(`${name}=`))
    ?.slice(name.length + 1);

describe("the APY keeper's systemd unit", () => {
  it("keeps the keeper's process contract, with its own port, state, env file and key", () => {
    expect(values(unit, "RestartPreventExitStatus")).toEqual([String(ExitCode.config)]);
    expect(values(unit, "Restart")).toEqual(["on-failure"]);
    expect(values(unit, "KillSignal")).toEqual(["SIGTERM"]);
    expect(values(unit, "EnvironmentFile")).toEqual(["/etc/aitbc/apy-keeper.env"]);
    expect(values(unit, "LoadCredential")).toEqual(["private-key:/etc/aitbc/apy-keeper.key"]);
    expect(env(unit, "PRIVATE_KEY_FILE")).toBe("%d/private-key");
    const [exec] = values(unit, "ExecStart");
    expect(exec).toBe("/usr/bin/node --import tsx /opt/aitbc/keepers/apy/main.ts");
    expect(existsSync(path.join(repoRoot, "keepers/apy/main.ts"))).toBe(true);
    const db = env(unit, "DB_PATH")!;
    expect(db).toBe("/var/lib/aitbc/apy-keeper/apy-keeper.sqlite");
    expect(values(unit, "ReadWritePaths")).toEqual([path.dirname(db)]);
    expect(values(unit, "StateDirectory")).toEqual(["aitbc/apy-keeper"]);
    // its own port (the config's default), not the fee keeper's
    expect(env(unit, "HTTP_PORT")).toBe("9472");
    expect(apyKeeperSettings.httpPort.read({ get: () => undefined, flag: () => false })).toBe(9472);
    expect(env(unit, "HTTP_PORT")).not.toBe(env(feeUnit, "HTTP_PORT"));
    for (const key of ["NoNewPrivileges", "PrivateTmp", "ProtectHome"])
      expect(values(unit, key)).toEqual(["yes"]);
    expect(values(unit, "ProtectSystem")).toEqual(["strict"]);
  });

  it.skipIf(!analyze)("verifies without a warning and rates a low exposure", async () => {
    const verified = await run(analyze!, ["verify", unit]);
    expect((verified.stdout + verified.stderr).trim()).toBe("");
    const { stdout } = await run(analyze!, ["security", "--offline=yes", unit]).catch(
      (e: { stdout: string }) => e,
    );
    const level = Number(/Overall exposure level for .*: ([\d.]+)/.exec(stdout)?.[1]);
    expect(level).toBeLessThanOrEqual(2);
  });
});
