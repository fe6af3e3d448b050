import { ponder, type Context } from "ponder:registry";
import {
  bridgeConfig,
  bridgeRemote,
  bridgeRequest,
  bridgeRoute,
  bridgeToken,
  bridgeValidatorSet,
} from "ponder:schema";
import type { Hex } from "viem";

// Read models of the CrossChainBridge, one instance per indexed chain.
//
// A transfer starts on its source chain (BridgeInitiated) and ends on its destination (BridgeCompleted) or back on
// its source (BridgeRefunded). Ponder indexes the chains independently (`ordering: "multichain"`), and even an
// omnichain order would compare two chains' clocks, so the destination's completion may be indexed before the
// source's initiation. Each handler therefore upserts the fields its own event knows into the request's row and
// merges them with what is there; whichever side comes second computes `secondsToComplete`. Every event of a
// request repeats the same request (its id commits to every field), so the sides never disagree on a field.

type Terminal = { completedBlock: bigint | null; refundedBlock: bigint | null };

/** The status a row with these terminal events has. */
const statusOf = (row: Terminal): "initiated" | "completed" | "refunded" | "conflict" =>
  row.completedBlock !== null && row.refundedBlock !== null
    ? "conflict"
    : row.completedBlock !== null
      ? "completed"
      : row.refundedBlock !== null
        ? "refunded"
        : "initiated";

ponder.on("CrossChainBridge:BridgeInitiated", async ({ event, context }) => {
  const { requestId, request, fee } = event.args;
  const fields = {
    srcChainId: request.srcChainId,
    dstChainId: request.dstChainId,
    srcBridge: request.srcBridge,
    dstBridge: request.dstBridge,
    sender: request.sender,
    recipient: request.recipient,
    srcToken: request.srcToken,
    dstToken: request.dstToken,
    amount: request.amount,
    fee,
    deadline: request.deadline,
    nonce: request.nonce,
    initiatedBlock: event.block.number,
    initiatedTimestamp: event.block.timestamp,
    initiatedTxHash: event.transaction.hash,
  };
  await context.db
    .insert(bridgeRequest)
    .values({ id: requestId, ...fields, status: "initiated" })
    .onConflictDoUpdate((row) => ({
      ...fields,
      status: statusOf(row),
      secondsToComplete:
        row.completedTimestamp === null ? null : row.completedTimestamp - event.block.timestamp,
    }));
});

ponder.on("CrossChainBridge:BridgeCompleted", async ({ event, context }) => {
  const { requestId, srcChainId, recipient, token, amount, submitter } = event.args;
  const completed = {
    completedBlock: event.block.number,
    completedTimestamp: event.block.timestamp,
    completedTxHash: event.transaction.hash,
    completedSubmitter: submitter,
  };
  await context.db
    .insert(bridgeRequest)
    .values({
      id: requestId,
      // What the destination knows of the request; the initiation, when indexed, fills the rest.
      srcChainId,
      dstChainId: BigInt(context.chain.id),
      dstBridge: event.log.address,
      recipient,
      dstToken: token,
      amount,
      status: "completed",
      ...completed,
    })
    .onConflictDoUpdate((row) => ({
      ...completed,
      status: statusOf({ ...row, completedBlock: event.block.number }),
      secondsToComplete:
        row.initiatedTimestamp === null ? null : event.block.timestamp - row.initiatedTimestamp,
    }));
});

ponder.on("CrossChainBridge:BridgeRefunded", async ({ event, context }) => {
  const { requestId, sender, token, amount, submitter } = event.args;
  const refunded = {
    refundedBlock: event.block.number,
    refundedTimestamp: event.block.timestamp,
    refundedTxHash: event.transaction.hash,
    refundedSubmitter: submitter,
  };
  // The initiation is on this chain, earlier, so it has normally been indexed; the values cover a deployments
  // file whose startBlock comes after it.
  await context.db
    .insert(bridgeRequest)
    .values({
      id: requestId,
      srcChainId: BigInt(context.chain.id),
      srcBridge: event.log.address,
      sender,
      srcToken: token,
      amount,
      status: "refunded",
      ...refunded,
    })
    .onConflictDoUpdate((row) => ({
      ...refunded,
      status: statusOf({ ...row, refundedBlock: event.block.number }),
    }));
});

// ─── Configuration ──────────────────────────────────────────────────────────────────────────────────

type BlockEvent = { block: { number: bigint; timestamp: bigint }; log: { address: Hex } };

/** Upserts the chain's bridge_config row with `changes` (the constructor's events create it). */
async function updateConfig(
  event: BlockEvent,
  context: Context,
  changes: Partial<
    Pick<typeof bridgeConfig.$inferInsert, "paused" | "treasury" | "requestTtl" | "validatorSetVersion">
  >,
) {
  const updated = { updatedBlock: event.block.number, updatedTimestamp: event.block.timestamp };
  await context.db
    .insert(bridgeConfig)
    .values({ chainId: context.chain.id, address: event.log.address, paused: false, ...changes, ...updated })
    .onConflictDoUpdate({ ...changes, ...updated });
}

ponder.on("CrossChainBridge:ValidatorSetUpdated", async ({ event, context }) => {
  const { version, validators, threshold } = event.args;
  await context.db.insert(bridgeValidatorSet).values({
    chainId: context.chain.id,
    version,
    bridge: event.log.address,
    validators: [...validators],
    threshold: Number(threshold),
    blockNumber: event.block.number,
    timestamp: event.block.timestamp,
    txHash: event.transaction.hash,
  });
  await updateConfig(event, context, { validatorSetVersion: version });
});

ponder.on("CrossChainBridge:TreasurySet", async ({ event, context }) => {
  await updateConfig(event, context, { treasury: event.args.treasury });
});

ponder.on("CrossChainBridge:RequestTtlSet", async ({ event, context }) => {
  await updateConfig(event, context, { requestTtl: event.args.ttl });
});

ponder.on("CrossChainBridge:Paused", async ({ event, context }) => {
  await updateConfig(event, context, { paused: true });
});

ponder.on("CrossChainBridge:Unpaused", async ({ event, context }) => {
  await updateConfig(event, context, { paused: false });
});

ponder.on("CrossChainBridge:RouteSet", async ({ event, context }) => {
  const { token, remoteChainId, route } = event.args;
  const fields = {
    homeChainId: route.homeChainId,
    counterpart: route.counterpart,
    decimals: route.decimals,
    enabled: route.enabled,
    updatedBlock: event.block.number,
    updatedTimestamp: event.block.timestamp,
  };
  await context.db
    .insert(bridgeRoute)
    .values({ chainId: context.chain.id, token, remoteChainId, ...fields })
    .onConflictDoUpdate(fields);
});

ponder.on("CrossChainBridge:RemoteBridgeSet", async ({ event, context }) => {
  const { chainId: remoteChainId, bridge } = event.args;
  const fields = { bridge, updatedBlock: event.block.number };
  await context.db
    .insert(bridgeRemote)
    .values({ chainId: context.chain.id, remoteChainId, ...fields })
    .onConflictDoUpdate(fields);
});

/** Upserts a token's fee and rate-limit row. */
async function updateToken(
  event: BlockEvent,
  context: Context,
  token: Hex,
  changes: Partial<Omit<typeof bridgeToken.$inferInsert, "chainId" | "token" | "updatedBlock">>,
) {
  await context.db
    .insert(bridgeToken)
    .values({ chainId: context.chain.id, token, ...changes, updatedBlock: event.block.number })
    .onConflictDoUpdate({ ...changes, updatedBlock: event.block.number });
}

ponder.on("CrossChainBridge:FeeSet", async ({ event, context }) => {
  await updateToken(event, context, event.args.token, { feeBps: Number(event.args.feeBps) });
});

ponder.on("CrossChainBridge:RateLimitSet", async ({ event, context }) => {
  const { token, inbound, config } = event.args;
  await updateToken(
    event,
    context,
    token,
    inbound
      ? {
          inboundLimitEnabled: config.enabled,
          inboundCapacity: config.capacity,
          inboundRefillPerSecond: config.refillPerSecond,
        }
      : {
          outboundLimitEnabled: config.enabled,
          outboundCapacity: config.capacity,
          outboundRefillPerSecond: config.refillPerSecond,
        },
  );
});
