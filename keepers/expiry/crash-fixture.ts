// Test fixture (not used at run time): the real expiry keeper — the same config, the same block loop — with the
// transaction layer's hooks reporting on stdout, so that a test can SIGKILL it at a chosen point of a write and
// start it again on the same store. HANG_AT=stored|broadcast (with HANG_KIND=finalize|settle|exercise: only writes
// of that kind): once the first such write reaches that point, the hook never returns (the process waits to be
// killed). Stdout: `READY <url>`, `STORED <intentId> <hash>`, `BROADCAST <intentId> <hash>`. Logs go to stderr.
import { loadExpiryConfig } from "./config.js";
import { startExpiryKeeper } from "./main.js";

const say = (line: string) => process.stdout.write(line + "\n");
const hang = () => new Promise<never>(() => setInterval(() => undefined, 1_000));
const hangAt = process.env.HANG_AT;
const hangKind = process.env.HANG_KIND;
const hangs = (point: string, intentId: string) =>
  hangAt === point && (hangKind === undefined || intentId.startsWith(`expiry:${hangKind}:`));

const config = loadExpiryConfig({ env: process.env, argv: process.argv.slice(2) });
const running = await startExpiryKeeper(config, {
  writeLog: (line) => process.stderr.write(line + "\n"),
  hooks: {
    async onStored({ intentId, hash }) {
      say(`STORED ${intentId} ${hash}`);
      if (hangs("stored", intentId)) await hang();
    },
    async onBroadcast({ intentId, hash }) {
      say(`BROADCAST ${intentId} ${hash}`);
      if (hangs("broadcast", intentId)) await hang();
    },
  },
});
say(`READY ${running.url}`);
process.on("SIGTERM", () => void running.stop().then(() => process.exit(0)));
