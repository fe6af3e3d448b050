// Test fixture (not used at run time): the real liquidator — the same config, the same block loop — with the
// transaction layer's hooks reporting on stdout, so that a test can SIGKILL it at a chosen point of a liquidation
// and start it again on the same store. HANG_AT=stored|broadcast: after the first liquidation reaches that point,
// the hook never returns (the process waits to be killed). Stdout: `READY <url>`, `STORED <intentId> <hash>`,
// `BROADCAST <intentId> <hash>`. Logs go to stderr.
import { loadLiquidatorConfig } from "./config.js";
import { startLiquidator } from "./main.js";

const say = (line: string) => process.stdout.write(line + "\n");
const hang = () => new Promise<never>(() => setInterval(() => undefined, 1_000));
const hangAt = process.env.HANG_AT;

const config = loadLiquidatorConfig({ env: process.env, argv: process.argv.slice(2) });
const running = await startLiquidator(config, {
  writeLog: (line) => process.stderr.write(line + "\n"),
  hooks: {
    async onStored({ intentId, hash }) {
      say(`STORED ${intentId} ${hash}`);
      if (hangAt === "stored") await hang();
    },
    async onBroadcast({ intentId, hash }) {
      say(`BROADCAST ${intentId} ${hash}`);
      if (hangAt === "broadcast") await hang();
    },
  },
});
say(`READY ${running.url}`);
process.on("SIGTERM", () => void running.stop().then(() => process.exit(0)));
