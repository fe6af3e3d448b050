// Test fixture: a minimal keeper process that performs ONE write through the transaction layer, so that a
// test can SIGKILL it at a chosen point and start it again. Input: one JSON argument. Protocol on stdout:
// `STORED <hash>` / `BROADCAST <hash>` when the hooks fire (with `hangAt` set, the process then waits to be
// killed), and `OUTCOME <json>` at the end. Logs go to stderr.
import { aiServiceAmmAbi } from "../../../generated/abis.js";
import { createChainClients } from "../clients.js";
import { Secret } from "../config.js";
import { createLogger } from "../log.js";
import { openStore } from "../store/store.js";
import { TxManager } from "../tx/sender.js";

type Args = {
  rpcUrl: string;
  chainId: number;
  privateKey: `0x${string}`;
  db: string;
  amm: `0x${string}`;
  poolId: string;
  fee: number;
  intentId: string;
  hangAt?: "stored" | "broadcast";
};

const args = JSON.parse(process.argv[2]!) as Args;
const say = (line: string) => process.stdout.write(line + "\n");
const hang = () => new Promise<never>(() => setInterval(() => undefined, 1_000));

const log = createLogger({ keeper: "fixture", level: "debug", write: (l) => process.stderr.write(l + "\n") });
const store = openStore(args.db);
const clients = createChainClients({
  chainId: args.chainId,
  rpcUrls: [args.rpcUrl],
  privateKey: new Secret(args.privateKey),
  pollingIntervalMs: 100,
});
const tx = new TxManager(
  clients,
  store,
  log,
  {
    stuckBlocks: 1_000,
    stuckSeconds: 600,
    feeBumpPercent: 12.5,
    maxFeePerGas: 10n ** 12n,
    maxAttempts: 3,
    waitSeconds: 60,
    pollMs: 100,
    gasMultiplier: 1.2,
  },
  {
    hooks: {
      async onStored({ hash }) {
        say(`STORED ${hash}`);
        if (args.hangAt === "stored") await hang();
      },
      async onBroadcast({ hash }) {
        say(`BROADCAST ${hash}`);
        if (args.hangAt === "broadcast") await hang();
      },
    },
  },
);

const resumed = await tx.resumePending();
const outcome = await tx.send({
  intentId: args.intentId,
  address: args.amm,
  abi: aiServiceAmmAbi,
  functionName: "setFee",
  args: [BigInt(args.poolId), args.fee],
});
say(
  `OUTCOME ${JSON.stringify({ ...outcome, blockNumber: outcome.blockNumber?.toString(), resumedAtStart: resumed.length })}`,
);
store.close();
