import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ExitCode } from "../lib/errors.js";
import { bridgeRelayerSettings } from "./config.js";

// The bridge relayer's unit (keepers/systemd/aitbc-bridge-relayer.service), checked as keepers/apy/systemd.test.ts
// checks the APY keeper's.
const run = promisify(execFile);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const analyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].find((p) => existsSync(p));
const unit = path.join(repoRoot, "keepers/systemd/aitbc-bridge-relayer.service");
const otherUnits = ["aitbc-fee-keeper.service", "aitbc-apy-keeper.service", "aitbc-bridge-attester.service"]
  .map((f) => path.join(repoRoot, "keepers/systemd", f))
  .filter((f) => existsSync(f));

const values = (file: string, key: string) =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1));
const env = (file: string, name: string) =>
  values(file, "Environment")
    .find((v) => v.startsWith(`${name}=`))
    ?.slice(name.length + 1);

describe("the bridge relayer's systemd unit", () => {
  it("keeps the keeper's process contract, with its own port, state, env file and key", () => {
    expect(values(unit, "RestartPreventExitStatus")).toEqual([String(ExitCode.config)]);
    expect(values(unit, "Restart")).toEqual(["on-failure"]);
    expect(values(unit, "KillSignal")).toEqual(["SIGTERM"]);
    expect(values(unit, "EnvironmentFile")).toEqual(["/etc/aitbc/bridge-relayer.env"]);
    expect(values(unit, "LoadCredential")).toEqual(["private-key:/etc/aitbc/bridge-relayer.key"]);
    expect(env(unit, "PRIVATE_KEY_FILE")).toBe("%d/private-key");
    const [exec] = values(unit, "ExecStart");
    expect(exec).toBe("/usr/bin/node --import tsx /opt/aitbc/keepers/bridge-relayer/main.ts");
    expect(existsSync(path.join(repoRoot, "keepers/bridge-relayer/main.ts"))).toBe(true);
    const db = env(unit, "DB_PATH")!;
    expect(db).toBe("/var/lib/aitbc/bridge-relayer/bridge-relayer.sqlite");
    expect(values(unit, "ReadWritePaths")).toEqual([path.dirname(db)]);
    expect(values(unit, "StateDirectory")).toEqual(["aitbc/bridge-relayer"]);
    // its own port (the config's default), not another keeper's
    expect(env(unit, "HTTP_PORT")).toBe("9480");
    expect(bridgeRelayerSettings.httpPort.read({ get: () => undefined, flag: () => false })).toBe(9480);
    for (const other of otherUnits) expect(env(unit, "HTTP_PORT")).not.toBe(env(other, "HTTP_PORT"));
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
