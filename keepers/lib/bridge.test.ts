/**
 * The shared bridge message formats against the real contracts on two real anvil chains, deployed by the real
 * deploy script and connected by script/ConnectBridge.s.sol: the request id and EIP-712 digests computed here equal
 * the contract's, a bundle of three of the five local validators completes a transfer, two do not, and a parsed
 * attestation round-trips through JSON.
 */
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  http,
  parseEventLogs,
  parseUnits,
  type Address,
  type Hex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { aitbcAbi, bridgedTokenAbi, crossChainBridgeAbi } from "../../generated/abis.js";
import { startAnvil, type Anvil } from "../../scripts/lib/anvil.js";
import {
  connectBridges,
  deployProtocol,
  localValidatorKeys,
  readBridgeLinks,
  type Deployment,
} from "../../scripts/lib/deploy.js";
import { anvilKeys } from "../../scripts/lib/foundry.js";
import { localChain } from "../../scripts/lib/scenario.js";
import {
  attestationDigest,
  attestationToJson,
  attestationTypedData,
  bridgeRequestId,
  orderSignatures,
  parseAttestation,
  recoverAttester,
  type BridgeRequest,
} from "./bridge.js";

const CHAIN_A = 31420;
const CHAIN_B = 31421;
const deployer = privateKeyToAccount(anvilKeys[0]);
const agent = privateKeyToAccount(anvilKeys[1]);

let anvils: Anvil[] = [];
let a: Deployment;
let b: Deployment;

function clients(anvil: Anvil, chainId: number) {
  const chain = localChain(chainId, anvil.rpcUrl);
  return {
    public: createPublicClient({ chain, transport: http(anvil.rpcUrl), pollingInterval: 100 }),
    wallet: (key: Hex) =>
      createWalletClient({ chain, account: privateKeyToAccount(key), transport: http(anvil.rpcUrl) }),
  };
}

beforeAll(async () => {
  anvils = await Promise.all([startAnvil({ chainId: CHAIN_A }), startAnvil({ chainId: CHAIN_B })]);
  // The deployer stays admin on these local chains so ConnectBridge can wire routes without a vote.
  const env = { ADMIN: deployer.address };
  [a, b] = await Promise.all([
    deployProtocol(anvils[0]!.rpcUrl, env),
    deployProtocol(anvils[1]!.rpcUrl, env),
  ]);
  await connectBridges(
    { rpcUrl: anvils[0]!.rpcUrl, chainId: CHAIN_A },
    { rpcUrl: anvils[1]!.rpcUrl, chainId: CHAIN_B },
  );
});

afterAll(async () => {
  await Promise.all(anvils.map((anvil) => anvil.stop()));
});

describe("bridge message formats", () => {
  test("a transfer A → B: ids and digests equal the contract's; 3 of 5 validators complete it, 2 cannot", async () => {
    const A = clients(anvils[0]!, CHAIN_A);
    const B = clients(anvils[1]!, CHAIN_B);
    const amount = parseUnits("250", 18);
    const send = async (c: ReturnType<typeof clients>, key: Hex, call: object) => {
      const hash = await c
        .wallet(key)
        .writeContract({ chain: null, ...(call as Record<string, unknown>) } as never);
      const receipt = await c.public.waitForTransactionReceipt({ hash });
      expect(receipt.status).toBe("success");
      return receipt;
    };
    await send(A, anvilKeys[0], {
      address: a.contracts.AITBC,
      abi: aitbcAbi,
      functionName: "mint",
      args: [agent.address, amount],
    });
    await send(A, anvilKeys[1], {
      address: a.contracts.AITBC,
      abi: aitbcAbi,
      functionName: "approve",
      args: [a.contracts.CrossChainBridge, amount],
    });
    const receipt = await send(A, anvilKeys[1], {
      address: a.contracts.CrossChainBridge,
      abi: crossChainBridgeAbi,
      functionName: "initiateBridge",
      args: [a.contracts.AITBC, amount, BigInt(CHAIN_B), agent.address],
    });
    const [initiated] = parseEventLogs({
      abi: crossChainBridgeAbi,
      logs: receipt.logs,
      eventName: "BridgeInitiated",
    });
    const request = initiated!.args.request as BridgeRequest;
    const representation = readBridgeLinks(CHAIN_B, CHAIN_A).AITBC as Address;
    expect(request.dstToken).toBe(representation);
    expect(bridgeRequestId(request)).toBe(initiated!.args.requestId);

    const version = await B.public.readContract({
      address: b.contracts.CrossChainBridge,
      abi: crossChainBridgeAbi,
      functionName: "validatorSetVersion",
    });
    expect(attestationDigest("completion", request, version)).toBe(
      await B.public.readContract({
        address: b.contracts.CrossChainBridge,
        abi: crossChainBridgeAbi,
        functionName: "completionDigest",
        args: [request],
      }),
    );
    expect(attestationDigest("refund", request, version)).toBe(
      await A.public.readContract({
        address: a.contracts.CrossChainBridge,
        abi: crossChainBridgeAbi,
        functionName: "refundDigest",
        args: [request],
      }),
    );

    const signed = await Promise.all(
      localValidatorKeys.slice(0, 3).map(async (key) => {
        const account = privateKeyToAccount(key);
        const signature = await account.signTypedData(
          attestationTypedData("completion", request, version) as never,
        );
        expect(await recoverAttester("completion", request, version, signature)).toBe(account.address);
        return { signer: account.address, signature };
      }),
    );
    // A relayer's JSON round trip keeps every field.
    const wire = JSON.parse(
      JSON.stringify(
        attestationToJson({
          kind: "completion",
          requestId: bridgeRequestId(request),
          request,
          validatorSetVersion: version,
          ...signed[0]!,
        }),
      ),
    );
    expect(parseAttestation(wire).request).toEqual(request);
    expect(() => parseAttestation({ ...wire, requestId: `0x${"00".repeat(32)}` })).toThrow(/requestId/);

    // Two of five are not enough.
    const tooFew = await B.public
      .simulateContract({
        account: deployer,
        address: b.contracts.CrossChainBridge,
        abi: crossChainBridgeAbi,
        functionName: "completeBridge",
        args: [request, orderSignatures(signed.slice(0, 2))],
      })
      .then(
        () => "ok",
        (error: unknown) => {
          const revert = (error as BaseError).walk((e) => e instanceof ContractFunctionRevertedError);
          return (revert as ContractFunctionRevertedError | null)?.data?.errorName;
        },
      );
    expect(tooFew).toBe("InsufficientSignatures");

    // Three complete it, sent by anyone.
    await send(B, anvilKeys[2], {
      address: b.contracts.CrossChainBridge,
      abi: crossChainBridgeAbi,
      functionName: "completeBridge",
      args: [request, orderSignatures(signed)],
    });
    expect(
      await B.public.readContract({
        address: representation,
        abi: bridgedTokenAbi,
        functionName: "balanceOf",
        args: [agent.address],
      }),
    ).toBe(request.amount);
  });
});
