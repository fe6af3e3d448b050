// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ICrossChainBridge
/// @notice Threshold-attested lock/release + burn/mint bridge, one instance per chain. A canonical token is locked
/// in the bridge of its home chain and released when it comes back; on a remote chain a {BridgedToken} (minted and
/// burned only by that chain's bridge) represents it. A transfer is a {Request}: created by {initiateBridge} on the
/// source chain, then either completed on the destination chain by {completeBridge} before its deadline, or
/// refunded on the source chain by {refundBridge} after it, each with at least `threshold` signatures of distinct
/// validators of the current set over an EIP-712 message of the bridge that executes it.
/// @dev Conventions a validator (attester) and a relayer rely on:
/// - Request id: `keccak256(abi.encode(request))`, the {Request} struct's 11 static words in declaration order. The
///   source chain id, source bridge and the source bridge's nonce make it unique; every field is committed in it.
/// - EIP-712 domain: name "CrossChainBridge", version "1", the chain id and address of the bridge that verifies the
///   message (the destination bridge for a completion, the source bridge for a refund).
/// - Completion (verified on the destination):
///   `Completion(uint256 srcChainId,uint256 dstChainId,address srcBridge,address dstBridge,bytes32 requestId,
///   address token,uint256 amount,address recipient,uint256 deadline,uint256 validatorSetVersion)`,
///   `token` being the destination token (`request.dstToken`).
/// - Refund (verified on the source):
///   `Refund(uint256 srcChainId,uint256 dstChainId,address srcBridge,address dstBridge,bytes32 requestId,
///   address token,uint256 amount,address sender,uint256 deadline,uint256 validatorSetVersion)`,
///   `token` being the source token (`request.srcToken`).
/// - Signatures: 65-byte ECDSA (r, s, v) with low `s` (OpenZeppelin's ECDSA rejects the malleable form), ordered by
///   recovered signer address strictly ascending: a repeated signer is then detected by one comparison with the
///   previous one ({DuplicateSigner}). Every signature in the bundle must be valid and from the current set, and
///   there must be at least `threshold` of them. The message carries the set version, so a signature made for
///   an older set never counts, even from a validator who is still in the set.
/// - Threshold: a strict majority of the set (`2 * threshold > set size`, `threshold <= set size`), so that two
///   disjoint quorums cannot exist; at most {MAX_VALIDATORS} validators.
/// - Fee: in the bridged token, `feeBps` of the amount (per token, rounded down, at most {MAX_FEE_BPS}), sent to
///   the treasury at initiation; the request carries the amount after the fee. A refund returns that amount after
///   the fee (the fee is not refunded).
/// - Amounts cross 1:1: a route's `decimals` must equal the local token's decimals on both chains (a
///   {BridgedToken} is deployed with its home token's decimals), so no scaling happens.
/// - A canonical token may go from its home chain to any remote chain that has a route; a bridged token can only
///   go back to its home chain (no remote-to-remote hop).
/// - Deadline: `block.timestamp + requestTtl` of the source chain. The destination completes only while
///   `block.timestamp <= deadline`, the source refunds only when `block.timestamp > deadline`. Attesters sign a
///   refund only once the destination's clock is past the deadline and the request is not completed there.
/// - Pause (guardian): initiation and completion stop; refunds stay open.
/// - Rate limits: a token bucket per (local token, direction); outbound is consumed by {initiateBridge} (amount
///   after fee), inbound by {completeBridge}; refunds consume none. A disabled bucket does not limit.
interface ICrossChainBridge {
    /// @notice One transfer, as created on the source chain. Its id is `keccak256(abi.encode(request))`.
    struct Request {
        uint256 srcChainId;
        uint256 dstChainId;
        address srcBridge;
        address dstBridge;
        address srcToken;
        address dstToken;
        address sender;
        address recipient;
        uint256 amount;
        uint256 deadline;
        uint256 nonce;
    }

    /// @notice A token's route to (and from) one remote chain.
    /// @param homeChainId Chain where the canonical token lives: this chain (lock/release) or the remote chain
    /// (this chain's token is a {BridgedToken}: burn/mint).
    /// @param counterpart The token's address on the remote chain.
    /// @param decimals Decimals of the token on both chains.
    /// @param enabled A disabled route refuses new transfers in both directions (refunds stay open).
    struct Route {
        uint256 homeChainId;
        address counterpart;
        uint8 decimals;
        bool enabled;
    }

    /// @notice Token-bucket rate limit configuration.
    struct RateLimitConfig {
        bool enabled;
        uint128 capacity;
        uint128 refillPerSecond;
    }

    /// @notice A token bucket: `tokens` available at `lastUpdated`, refilled at `refillPerSecond` up to `capacity`.
    struct Bucket {
        uint128 tokens;
        uint128 capacity;
        uint128 refillPerSecond;
        uint64 lastUpdated;
        bool enabled;
    }

    /// @notice Life of a request, as seen by one bridge: the source knows Initiated and Refunded, the destination
    /// Completed.
    enum Status {
        None,
        Initiated,
        Completed,
        Refunded
    }

    // ─── Errors ───────────────────────────────────────────────────────────────────────────────

    error ZeroAddress();
    error ZeroAmount();
    error NotAContract(address account);
    error InvalidChainId(uint256 chainId);
    error InvalidThreshold(uint256 threshold, uint256 validatorCount);
    error TooManyValidators(uint256 count, uint256 max);
    error DuplicateValidator(address validator);
    error FeeTooHigh(uint256 feeBps, uint256 maxFeeBps);
    error InvalidRequestTtl(uint256 ttl, uint256 min, uint256 max);
    error InvalidRateLimit(bool enabled, uint128 capacity, uint128 refillPerSecond);
    error InvalidRoute(address token, uint256 remoteChainId);
    error DecimalsMismatch(address token, uint8 expected, uint8 actual);
    error RouteNotEnabled(address token, uint256 remoteChainId);
    error CounterpartMismatch(address token, address expected, address actual);
    error UnknownRemoteBridge(uint256 chainId);
    error SourceBridgeMismatch(uint256 srcChainId, address expected, address actual);
    error WrongDestination(uint256 dstChainId, address dstBridge);
    error WrongSource(uint256 srcChainId, address srcBridge);
    error TransferAmountMismatch(uint256 expected, uint256 received);
    error RateLimitExceeded(address token, bool inbound, uint256 amount, uint256 available);
    error RequestExpired(bytes32 requestId, uint256 deadline, uint256 timestamp);
    error DeadlineNotReached(bytes32 requestId, uint256 deadline, uint256 timestamp);
    error AlreadyCompleted(bytes32 requestId);
    error UnknownRequest(bytes32 requestId);
    error AlreadyRefunded(bytes32 requestId);
    error InsufficientSignatures(uint256 count, uint256 threshold);
    error InvalidSignature(uint256 index);
    error DuplicateSigner(address signer);
    error SignersNotAscending(address previous, address signer);
    error NotAValidator(address signer);

    // ─── Events ───────────────────────────────────────────────────────────────────────────────

    /// @notice A transfer was created: everything a validator needs is in `request` (id, chains, bridges, tokens,
    /// amount after fee, sender, recipient, deadline, nonce).
    event BridgeInitiated(
        bytes32 indexed requestId,
        address indexed sender,
        uint256 indexed dstChainId,
        Request request,
        uint256 fee
    );
    /// @notice A transfer was released (home token) or minted (bridged token) on this, its destination, chain.
    event BridgeCompleted(
        bytes32 indexed requestId,
        uint256 indexed srcChainId,
        address indexed recipient,
        address token,
        uint256 amount,
        address submitter
    );
    /// @notice A transfer past its deadline was returned to its sender on this, its source, chain.
    event BridgeRefunded(
        bytes32 indexed requestId, address indexed sender, address token, uint256 amount, address submitter
    );
    event ValidatorSetUpdated(uint256 indexed version, address[] validators, uint256 threshold);
    event RouteSet(address indexed token, uint256 indexed remoteChainId, Route route);
    event RemoteBridgeSet(uint256 indexed chainId, address bridge);
    event FeeSet(address indexed token, uint256 feeBps);
    event TreasurySet(address treasury);
    event RequestTtlSet(uint256 ttl);
    event RateLimitSet(address indexed token, bool indexed inbound, RateLimitConfig config);

    // ─── Transfers ────────────────────────────────────────────────────────────────────────────

    /// @notice Sends `amount` of `token` (fee included) to `recipient` on `dstChainId`: the fee goes to the
    /// treasury, the rest is locked (token at home here) or burned (bridged token).
    /// @dev Needs an allowance of `amount`. Fee-on-transfer tokens are refused by balance delta. Halts when paused.
    /// @param token Local token with an enabled route to `dstChainId`.
    /// @param amount Amount taken from the caller, fee included.
    /// @param dstChainId Destination chain id.
    /// @param recipient Receiver on the destination chain.
    /// @return requestId `keccak256(abi.encode(request))` of the request emitted in {BridgeInitiated}.
    function initiateBridge(address token, uint256 amount, uint256 dstChainId, address recipient)
        external
        returns (bytes32 requestId);

    /// @notice Completes `request` on its destination chain (this one): releases or mints `request.amount` of
    /// `request.dstToken` to `request.recipient`. Anyone may submit it.
    /// @dev Valid once, up to the deadline included, with ≥ threshold signatures (sorted by signer, ascending) of
    /// current validators over the Completion message. Halts when paused.
    /// @param request The request, exactly as emitted by the source bridge.
    /// @param signatures Validator signatures, ordered by recovered signer address, strictly ascending.
    function completeBridge(Request calldata request, bytes[] calldata signatures) external;

    /// @notice Refunds `request` on its source chain (this one) after its deadline: returns (releases or re-mints)
    /// `request.amount` of `request.srcToken` to `request.sender`. Anyone may submit it. Open while paused.
    /// @param request The request, exactly as emitted by this bridge.
    /// @param signatures Validator signatures over the Refund message, ordered by signer, strictly ascending.
    function refundBridge(Request calldata request, bytes[] calldata signatures) external;

    // ─── Governance (AccessManager) ───────────────────────────────────────────────────────────

    /// @notice Replaces the validator set and threshold and bumps the set version: signatures made for any
    /// earlier version stop counting.
    /// @param validators New set: distinct, non-zero, at most {MAX_VALIDATORS}.
    /// @param threshold Signatures needed: `threshold <= validators.length` and `2 * threshold > validators.length`.
    function setValidators(address[] calldata validators, uint256 threshold) external;

    /// @notice Sets `token`'s route to and from `remoteChainId`.
    function setRoute(address token, uint256 remoteChainId, Route calldata route) external;

    /// @notice Sets the bridge address on `chainId` (the source bridge completions must come from, and the
    /// destination bridge of new requests).
    function setRemoteBridge(uint256 chainId, address bridge) external;

    /// @notice Sets the fee taken on `token` at initiation, in basis points of the amount.
    function setFee(address token, uint256 feeBps) external;

    /// @notice Sets the address receiving fees.
    function setTreasury(address treasury) external;

    /// @notice Sets the lifetime of new requests (their deadline is `block.timestamp + ttl`).
    function setRequestTtl(uint256 ttl) external;

    /// @notice Configures `token`'s inbound (completion) or outbound (initiation) token bucket. Enabling a bucket
    /// fills it; changing an enabled one keeps its tokens, capped at the new capacity.
    function setRateLimit(address token, bool inbound, RateLimitConfig calldata config) external;

    /// @notice Halts initiation and completion (guardian).
    function pause() external;

    /// @notice Resumes initiation and completion (guardian).
    function unpause() external;

    // ─── Views ────────────────────────────────────────────────────────────────────────────────

    /// @notice The request id: `keccak256(abi.encode(request))`.
    function hashRequest(Request calldata request) external pure returns (bytes32);

    /// @notice The EIP-712 digest validators sign to complete `request` on this bridge (at the current version).
    function completionDigest(Request calldata request) external view returns (bytes32);

    /// @notice The EIP-712 digest validators sign to refund `request` on this bridge (at the current version).
    function refundDigest(Request calldata request) external view returns (bytes32);

    /// @notice The EIP-712 domain separator of this bridge on the current chain.
    function domainSeparator() external view returns (bytes32);

    /// @notice Status of `requestId` on this bridge.
    function requestStatus(bytes32 requestId) external view returns (Status);

    /// @notice The current validator set.
    function getValidators() external view returns (address[] memory);

    /// @notice Whether `account` is in the current validator set.
    function isValidator(address account) external view returns (bool);

    /// @notice Signatures needed by the current set.
    function threshold() external view returns (uint256);

    /// @notice Version of the current validator set (1 for the constructor's).
    function validatorSetVersion() external view returns (uint256);

    /// @notice `token`'s route to and from `remoteChainId`.
    function getRoute(address token, uint256 remoteChainId) external view returns (Route memory);

    /// @notice The bridge on `chainId` (zero if none).
    function remoteBridge(uint256 chainId) external view returns (address);

    /// @notice Fee on `token`, in basis points.
    function feeBps(address token) external view returns (uint256);

    /// @notice Address receiving fees.
    function treasury() external view returns (address);

    /// @notice Lifetime of new requests, in seconds.
    function requestTtl() external view returns (uint256);

    /// @notice Nonce of the next request this bridge creates.
    function outboundNonce() external view returns (uint256);

    /// @notice `token`'s bucket, its tokens refilled to now.
    function getRateLimit(address token, bool inbound) external view returns (Bucket memory);
}
