/**
 * The bridge's off-chain message formats, shared by the attester and relayer keepers: the request id and the
 * EIP-712 completion and refund messages exactly as `src/bridge/CrossChainBridge.sol` verifies them (the
 * conventions are written down in `src/interfaces/ICrossChainBridge.sol`), and the attestation a validator
 * publishes to a relayer.
 */
import {
  encodeAbiParameters,
  getAddress,
  hashTypedData,
  isAddress,
  isHex,
  keccak256,
  recoverTypedDataAddress,
  type Address,
  type Hex,
} from "viem";

/** One transfer, as `initiateBridge` created it on the source chain (the `request` of `BridgeInitiated`). */
export type BridgeRequest = {
  srcChainId: bigint;
  dstChainId: bigint;
  srcBridge: Address;
  dstBridge: Address;
  srcToken: Address;
  dstToken: Address;
  sender: Address;
  recipient: Address;
  amount: bigint;
  deadline: bigint;
  nonce: bigint;
};

/** A request with its integers as decimal strings, as JSON and the stores carry it. */
export type BridgeRequestStrings = Record<keyof BridgeRequest, string>;

export function requestToStrings(request: BridgeRequest): BridgeRequestStrings {
  return Object.fromEntries(
    Object.entries(request).map(([k, v]) => [k, typeof v === "bigint" ? v.toString() : String(v)]),
  ) as BridgeRequestStrings;
}

/** The request back from its strings (integers may also be numbers, as a row's chain ids are); no checks. */
export function requestFromStrings(r: Record<keyof BridgeRequest, string | number>): BridgeRequest {
  return {
    srcChainId: BigInt(r.srcChainId),
    dstChainId: BigInt(r.dstChainId),
    srcBridge: r.srcBridge as Address,
    dstBridge: r.dstBridge as Address,
    srcToken: r.srcToken as Address,
    dstToken: r.dstToken as Address,
    sender: r.sender as Address,
    recipient: r.recipient as Address,
    amount: BigInt(r.amount),
    deadline: BigInt(r.deadline),
    nonce: BigInt(r.nonce),
  };
}

const requestFields = [
  { name: "srcChainId", type: "uint256" },
  { name: "dstChainId", type: "uint256" },
  { name: "srcBridge", type: "address" },
  { name: "dstBridge", type: "address" },
  { name: "srcToken", type: "address" },
  { name: "dstToken", type: "address" },
  { name: "sender", type: "address" },
  { name: "recipient", type: "address" },
  { name: "amount", type: "uint256" },
  { name: "deadline", type: "uint256" },
  { name: "nonce", type: "uint256" },
] as const;

/** `keccak256(abi.encode(request))`, the id the contract uses. */
export function bridgeRequestId(request: BridgeRequest): Hex {
  return keccak256(encodeAbiParameters([{ type: "tuple", components: requestFields }], [request]));
}

/** What a validator signs: a completion (verified on the destination) or a refund (verified on the source). */
export type AttestationKind = "completion" | "refund";

const domain = (chainId: bigint, verifyingContract: Address) =>
  ({ name: "CrossChainBridge", version: "1", chainId, verifyingContract }) as const;

/** The EIP-712 typed data of a completion or refund of `request`, for the validator set `setVersion`. */
export function attestationTypedData(kind: AttestationKind, request: BridgeRequest, setVersion: bigint) {
  const requestId = bridgeRequestId(request);
  const common = {
    srcChainId: request.srcChainId,
    dstChainId: request.dstChainId,
    srcBridge: request.srcBridge,
    dstBridge: request.dstBridge,
    requestId,
  };
  if (kind === "completion")
    return {
      domain: domain(request.dstChainId, request.dstBridge),
      types: {
        Completion: [
          { name: "srcChainId", type: "uint256" },
          { name: "dstChainId", type: "uint256" },
          { name: "srcBridge", type: "address" },
          { name: "dstBridge", type: "address" },
          { name: "requestId", type: "bytes32" },
          { name: "token", type: "address" },
          { name: "amount", type: "uint256" },
          { name: "recipient", type: "address" },
          { name: "deadline", type: "uint256" },
          { name: "validatorSetVersion", type: "uint256" },
        ],
      },
      primaryType: "Completion",
      message: {
        ...common,
        token: request.dstToken,
        amount: request.amount,
        recipient: request.recipient,
        deadline: request.deadline,
        validatorSetVersion: setVersion,
      },
    } as const;
  return {
    domain: domain(request.srcChainId, request.srcBridge),
    types: {
      Refund: [
        { name: "srcChainId", type: "uint256" },
        { name: "dstChainId", type: "uint256" },
        { name: "srcBridge", type: "address" },
        { name: "dstBridge", type: "address" },
        { name: "requestId", type: "bytes32" },
        { name: "token", type: "address" },
        { name: "amount", type: "uint256" },
        { name: "sender", type: "address" },
        { name: "deadline", type: "uint256" },
        { name: "validatorSetVersion", type: "uint256" },
      ],
    },
    primaryType: "Refund",
    message: {
      ...common,
      token: request.srcToken,
      amount: request.amount,
      sender: request.sender,
      deadline: request.deadline,
      validatorSetVersion: setVersion,
    },
  } as const;
}

/** The digest a validator signs (equals the contract's `completionDigest` / `refundDigest`). */
export function attestationDigest(kind: AttestationKind, request: BridgeRequest, setVersion: bigint): Hex {
  return hashTypedData(attestationTypedData(kind, request, setVersion) as never);
}

/** Recovers who signed an attestation (throws on a malformed signature). */
export function recoverAttester(
  kind: AttestationKind,
  request: BridgeRequest,
  setVersion: bigint,
  signature: Hex,
): Promise<Address> {
  const typedData = attestationTypedData(kind, request, setVersion) as Record<string, unknown>;
  return recoverTypedDataAddress({ ...typedData, signature } as never);
}

/** A bundle as the contract wants it: signatures ordered by signer address, strictly ascending. */
export function orderSignatures(signed: { signer: Address; signature: Hex }[]): Hex[] {
  return [...signed]
    .sort((a, b) => (BigInt(a.signer) < BigInt(b.signer) ? -1 : BigInt(a.signer) > BigInt(b.signer) ? 1 : 0))
    .map((s) => s.signature);
}

/** What an attester publishes to a relayer (`POST /attestations`), JSON with decimal strings for integers. */
export type Attestation = {
  kind: AttestationKind;
  requestId: Hex;
  request: BridgeRequest;
  validatorSetVersion: bigint;
  signer: Address;
  signature: Hex;
};

export type AttestationJson = {
  kind: AttestationKind;
  requestId: Hex;
  request: BridgeRequestStrings;
  validatorSetVersion: string;
  signer: Address;
  signature: Hex;
};

export function attestationToJson(a: Attestation): AttestationJson {
  return {
    kind: a.kind,
    requestId: a.requestId,
    request: requestToStrings(a.request),
    validatorSetVersion: a.validatorSetVersion.toString(),
    signer: a.signer,
    signature: a.signature,
  };
}

/** Thrown by {@link parseAttestation}; `field` names what is wrong. */
export class AttestationFormatError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

const uint = (field: string, raw: unknown): bigint => {
  if (typeof raw !== "string" || !/^\d{1,78}$/.test(raw))
    throw new AttestationFormatError(field, "expected a decimal integer string");
  return BigInt(raw);
};
const address = (field: string, raw: unknown): Address => {
  if (typeof raw !== "string" || !isAddress(raw))
    throw new AttestationFormatError(field, "expected an address");
  return getAddress(raw);
};

/**
 * Checks the shape of an attestation received over HTTP and that its `requestId` is the request's. It does not
 * check the signature (see {@link recoverAttester}) nor the chain.
 */
export function parseAttestation(raw: unknown): Attestation {
  if (typeof raw !== "object" || raw === null)
    throw new AttestationFormatError("body", "expected a JSON object");
  const body = raw as Record<string, unknown>;
  if (body.kind !== "completion" && body.kind !== "refund")
    throw new AttestationFormatError("kind", 'expected "completion" or "refund"');
  const r = body.request as Record<string, unknown> | undefined;
  if (typeof r !== "object" || r === null) throw new AttestationFormatError("request", "expected an object");
  const request: BridgeRequest = {
    srcChainId: uint("request.srcChainId", r.srcChainId),
    dstChainId: uint("request.dstChainId", r.dstChainId),
    srcBridge: address("request.srcBridge", r.srcBridge),
    dstBridge: address("request.dstBridge", r.dstBridge),
    srcToken: address("request.srcToken", r.srcToken),
    dstToken: address("request.dstToken", r.dstToken),
    sender: address("request.sender", r.sender),
    recipient: address("request.recipient", r.recipient),
    amount: uint("request.amount", r.amount),
    deadline: uint("request.deadline", r.deadline),
    nonce: uint("request.nonce", r.nonce),
  };
  const requestId = bridgeRequestId(request);
  if (body.requestId !== requestId)
    throw new AttestationFormatError("requestId", `does not match the request (expected ${requestId})`);
  if (typeof body.signature !== "string" || !isHex(body.signature) || body.signature.length !== 132)
    throw new AttestationFormatError("signature", "expected 65 bytes of hex");
  return {
    kind: body.kind,
    requestId,
    request,
    validatorSetVersion: uint("validatorSetVersion", body.validatorSetVersion),
    signer: address("signer", body.signer),
    signature: body.signature,
  };
}
