// Test fixture (not used at run time): the real rebalancer — the same config, the same block loop — with the
// transaction layer's hooks reporting on stdout, so that a test can SIGKILL it at a chosen point of a write and
// start it again on the same store. Settings as main.ts (environment, `--dry-run`), plus HANG_AT=stored|broadcast:
// after the first write of a rebalance or stop reaches that point, the hook never returns (the process waits to be
// killed). Protocol on stdout: `READY <url>`, `STORED <intentId> <hash>`, `BROADCAST <intentId> <hash>`. Logs go
// to stderr.
import { loadRebalancerConfig } from "./config.js";
import { startRebalancer } from "./main.js";

const say = (line: string) => process.stdout.write(line + "\n");
const hang = () => new Promise<never>(() => setInterval(() => undefined, 1_000));
const hangAt = process.env.HANG_AT;
const acts = (intentId: string) => /:(rebalance|stop):/.test(intentId);

const config = loadRebalancerConfig({ env: process.env, argv: process.argv.slice(2) });
const running = await startRebalancer(config, {
  writeLog: (line) => process.stderr.write(line + "\n"),
  hooks: {
    async onStored({ intentId, hash }) {
      say(`STORED ${intentId} ${hash}`);
      if (hangAt === "stored" && acts(intentId)) await hang();
    },
    async onBroadcast({ intentId, hash }) {
      say(`BROADCAST ${intentId} ${hash}`);
      if (hangAt === "broadcast" && acts(intentId)) await hang();
    },
  },
});
say(`READY ${running.url}`);
process.on("SIGTERM", () => void running.stop().then(() => process.exit(0)));
