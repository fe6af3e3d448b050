// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

import {ICrossChainBridge} from "../interfaces/ICrossChainBridge.sol";
import {BridgedToken} from "./BridgedToken.sol";

/// @title CrossChainBridge
/// @notice Lock/release and burn/mint bridge attested by a threshold of validators; the same contract runs on
/// every chain. See {ICrossChainBridge} for the request id, the EIP-712 messages, the signature ordering, the
/// threshold rule, the fee and the deadline rules.
/// @dev Safety argument for "a request ends exactly once": the source bridge records it Initiated and lets it be
/// Refunded only once and only after its deadline; the destination bridge lets it be Completed only once (its id
/// commits to every field) and only up to its deadline, so no honest quorum can ever see it both completable and
/// refundable. The EIP-712 domain (OpenZeppelin's, rebuilt whenever `block.chainid` differs from the cached one)
/// binds the verifying bridge and its chain; the message binds the other bridge and chain and the set version.
contract CrossChainBridge is ICrossChainBridge, AccessManaged, Pausable, ReentrancyGuardTransient, EIP712 {
    using SafeERC20 for IERC20;

    /// @notice Most validators a set may hold.
    uint256 public constant MAX_VALIDATORS = 32;
    /// @notice Highest fee, in basis points (5 %).
    uint256 public constant MAX_FEE_BPS = 500;
    /// @notice Shortest and longest request lifetime.
    uint256 public constant MIN_REQUEST_TTL = 10 minutes;
    uint256 public constant MAX_REQUEST_TTL = 30 days;
    uint256 internal constant BPS = 10_000;

    /// @notice EIP-712 type hash of a completion, verified by the destination bridge.
    bytes32 public constant COMPLETION_TYPEHASH = keccak256(
        "Completion(uint256 srcChainId,uint256 dstChainId,address srcBridge,address dstBridge,bytes32 requestId,"
        "address token,uint256 amount,address recipient,uint256 deadline,uint256 validatorSetVersion)"
    );
    /// @notice EIP-712 type hash of a refund, verified by the source bridge.
    bytes32 public constant REFUND_TYPEHASH = keccak256(
        "Refund(uint256 srcChainId,uint256 dstChainId,address srcBridge,address dstBridge,bytes32 requestId,"
        "address token,uint256 amount,address sender,uint256 deadline,uint256 validatorSetVersion)"
    );

    // validator ↔ version of the set it was last put in: a member of the current set iff equal to `_version`
    mapping(address validator => uint256) internal _validatorVersion;
    address[] internal _validators;
    uint256 internal _version;
    uint256 internal _threshold;

    mapping(address token => mapping(uint256 remoteChainId => Route)) internal _routes;
    mapping(uint256 chainId => address) internal _remoteBridges;
    mapping(address token => uint256) internal _feeBps;
    mapping(address token => mapping(bool inbound => Bucket)) internal _buckets;
    mapping(bytes32 requestId => Status) internal _status;
    address internal _treasury;
    uint256 internal _requestTtl;
    uint256 internal _nonce;

    /// @param authority The protocol's AccessManager.
    /// @param treasury_ Receiver of fees.
    /// @param validators_ Initial validator set (version 1).
    /// @param threshold_ Initial threshold (strict majority of the set).
    constructor(address authority, address treasury_, address[] memory validators_, uint256 threshold_)
        AccessManaged(authority)
        EIP712("CrossChainBridge", "1")
    {
        if (treasury_ == address(0)) revert ZeroAddress();
        _treasury = treasury_;
        _requestTtl = 1 days;
        _setValidators(validators_, threshold_);
        emit TreasurySet(treasury_);
        emit RequestTtlSet(1 days);
    }

    // ─── Transfers ────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc ICrossChainBridge
    function initiateBridge(address token, uint256 amount, uint256 dstChainId, address recipient)
        external
        nonReentrant
        whenNotPaused
        returns (bytes32 requestId)
    {
        if (amount == 0) revert ZeroAmount();
        if (recipient == address(0)) revert ZeroAddress();
        Route memory route = _routes[token][dstChainId];
        if (!route.enabled) revert RouteNotEnabled(token, dstChainId);
        address dstBridge = _remoteBridges[dstChainId];
        if (dstBridge == address(0)) revert UnknownRemoteBridge(dstChainId);

        uint256 fee = (amount * _feeBps[token]) / BPS;
        // feeBps <= MAX_FEE_BPS < BPS: net >= 1
        uint256 net = amount - fee;
        _consume(token, false, net);

        Request memory request = Request({
            srcChainId: block.chainid,
            dstChainId: dstChainId,
            srcBridge: address(this),
            dstBridge: dstBridge,
            srcToken: token,
            dstToken: route.counterpart,
            sender: msg.sender,
            recipient: recipient,
            amount: net,
            deadline: block.timestamp + _requestTtl,
            nonce: _nonce++
        });
        requestId = keccak256(abi.encode(request));
        _status[requestId] = Status.Initiated;
        emit BridgeInitiated(requestId, msg.sender, dstChainId, request, fee);

        // pull the whole amount, measured: fee-on-transfer tokens are refused
        uint256 balanceBefore = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = IERC20(token).balanceOf(address(this)) - balanceBefore;
        if (received != amount) revert TransferAmountMismatch(amount, received);
        if (fee != 0) IERC20(token).safeTransfer(_treasury, fee);
        // canonical tokens stay locked here; bridged ones are burned
        if (route.homeChainId != block.chainid) BridgedToken(token).burn(net);
    }

    /// @inheritdoc ICrossChainBridge
    function completeBridge(Request calldata request, bytes[] calldata signatures)
        external
        nonReentrant
        whenNotPaused
    {
        if (request.dstChainId != block.chainid || request.dstBridge != address(this)) {
            revert WrongDestination(request.dstChainId, request.dstBridge);
        }
        uint256 srcChainId = request.srcChainId;
        address expectedSource = _remoteBridges[srcChainId];
        if (expectedSource == address(0)) revert UnknownRemoteBridge(srcChainId);
        if (request.srcBridge != expectedSource) {
            revert SourceBridgeMismatch(srcChainId, expectedSource, request.srcBridge);
        }
        address token = request.dstToken;
        Route memory route = _routes[token][srcChainId];
        if (!route.enabled) revert RouteNotEnabled(token, srcChainId);
        if (route.counterpart != request.srcToken) {
            revert CounterpartMismatch(token, route.counterpart, request.srcToken);
        }
        bytes32 requestId = keccak256(abi.encode(request));
        if (_status[requestId] != Status.None) revert AlreadyCompleted(requestId);
        if (block.timestamp > request.deadline) {
            revert RequestExpired(requestId, request.deadline, block.timestamp);
        }
        _verify(_completionDigest(request, requestId), signatures);

        uint256 amount = request.amount;
        _consume(token, true, amount);
        _status[requestId] = Status.Completed;
        emit BridgeCompleted(requestId, srcChainId, request.recipient, token, amount, msg.sender);

        if (route.homeChainId == block.chainid) IERC20(token).safeTransfer(request.recipient, amount);
        else BridgedToken(token).mint(request.recipient, amount);
    }

    /// @inheritdoc ICrossChainBridge
    function refundBridge(Request calldata request, bytes[] calldata signatures) external nonReentrant {
        if (request.srcChainId != block.chainid || request.srcBridge != address(this)) {
            revert WrongSource(request.srcChainId, request.srcBridge);
        }
        bytes32 requestId = keccak256(abi.encode(request));
        Status status = _status[requestId];
        if (status != Status.Initiated) {
            if (status == Status.Refunded) revert AlreadyRefunded(requestId);
            revert UnknownRequest(requestId);
        }
        if (block.timestamp <= request.deadline) {
            revert DeadlineNotReached(requestId, request.deadline, block.timestamp);
        }
        _verify(_refundDigest(request, requestId), signatures);

        _status[requestId] = Status.Refunded;
        address token = request.srcToken;
        uint256 amount = request.amount;
        emit BridgeRefunded(requestId, request.sender, token, amount, msg.sender);

        // the route may have changed since: where the token lives is read from the token itself
        if (_isBridgedHere(token)) BridgedToken(token).mint(request.sender, amount);
        else IERC20(token).safeTransfer(request.sender, amount);
    }

    // ─── Governance ───────────────────────────────────────────────────────────────────────────

    /// @inheritdoc ICrossChainBridge
    function setValidators(address[] calldata validators, uint256 threshold_) external restricted {
        _setValidators(validators, threshold_);
    }

    /// @inheritdoc ICrossChainBridge
    function setRoute(address token, uint256 remoteChainId, Route calldata route) external restricted {
        if (token == address(0) || route.counterpart == address(0)) revert ZeroAddress();
        if (token.code.length == 0) revert NotAContract(token);
        if (remoteChainId == 0 || remoteChainId == block.chainid) revert InvalidChainId(remoteChainId);
        uint8 actual = IERC20Metadata(token).decimals();
        if (actual != route.decimals) revert DecimalsMismatch(token, route.decimals, actual);
        if (route.homeChainId == block.chainid) {
            // canonical token: it must not be one of this bridge's own bridged tokens
            if (_isBridgedHere(token)) revert InvalidRoute(token, remoteChainId);
        } else {
            // bridged token: only back to its home chain, and only a token this bridge mints
            if (route.homeChainId != remoteChainId || !_isBridgedHere(token)) {
                revert InvalidRoute(token, remoteChainId);
            }
            BridgedToken bridged = BridgedToken(token);
            if (bridged.homeChainId() != remoteChainId || bridged.homeToken() != route.counterpart) {
                revert InvalidRoute(token, remoteChainId);
            }
        }
        _routes[token][remoteChainId] = route;
        emit RouteSet(token, remoteChainId, route);
    }

    /// @inheritdoc ICrossChainBridge
    function setRemoteBridge(uint256 chainId, address bridge) external restricted {
        if (chainId == 0 || chainId == block.chainid) revert InvalidChainId(chainId);
        _remoteBridges[chainId] = bridge;
        emit RemoteBridgeSet(chainId, bridge);
    }

    /// @inheritdoc ICrossChainBridge
    function setFee(address token, uint256 feeBps_) external restricted {
        if (feeBps_ > MAX_FEE_BPS) revert FeeTooHigh(feeBps_, MAX_FEE_BPS);
        _feeBps[token] = feeBps_;
        emit FeeSet(token, feeBps_);
    }

    /// @inheritdoc ICrossChainBridge
    function setTreasury(address treasury_) external restricted {
        if (treasury_ == address(0)) revert ZeroAddress();
        _treasury = treasury_;
        emit TreasurySet(treasury_);
    }

    /// @inheritdoc ICrossChainBridge
    function setRequestTtl(uint256 ttl) external restricted {
        if (ttl < MIN_REQUEST_TTL || ttl > MAX_REQUEST_TTL) {
            revert InvalidRequestTtl(ttl, MIN_REQUEST_TTL, MAX_REQUEST_TTL);
        }
        _requestTtl = ttl;
        emit RequestTtlSet(ttl);
    }

    /// @inheritdoc ICrossChainBridge
    function setRateLimit(address token, bool inbound, RateLimitConfig calldata config) external restricted {
        if (token == address(0)) revert ZeroAddress();
        if (config.enabled ? config.capacity == 0 : (config.capacity != 0 || config.refillPerSecond != 0)) {
            revert InvalidRateLimit(config.enabled, config.capacity, config.refillPerSecond);
        }
        Bucket storage bucket = _buckets[token][inbound];
        if (config.enabled) {
            uint128 tokens;
            if (bucket.enabled) {
                tokens = _available(bucket);
                if (tokens > config.capacity) tokens = config.capacity;
            } else {
                tokens = config.capacity;
            }
            bucket.tokens = tokens;
        } else {
            bucket.tokens = 0;
        }
        bucket.capacity = config.capacity;
        bucket.refillPerSecond = config.refillPerSecond;
        bucket.lastUpdated = uint64(block.timestamp);
        bucket.enabled = config.enabled;
        emit RateLimitSet(token, inbound, config);
    }

    /// @inheritdoc ICrossChainBridge
    function pause() external restricted {
        _pause();
    }

    /// @inheritdoc ICrossChainBridge
    function unpause() external restricted {
        _unpause();
    }

    // ─── Views ────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc ICrossChainBridge
    function hashRequest(Request calldata request) external pure returns (bytes32) {
        return keccak256(abi.encode(request));
    }

    /// @inheritdoc ICrossChainBridge
    function completionDigest(Request calldata request) external view returns (bytes32) {
        return _completionDigest(request, keccak256(abi.encode(request)));
    }

    /// @inheritdoc ICrossChainBridge
    function refundDigest(Request calldata request) external view returns (bytes32) {
        return _refundDigest(request, keccak256(abi.encode(request)));
    }

    /// @inheritdoc ICrossChainBridge
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @inheritdoc ICrossChainBridge
    function requestStatus(bytes32 requestId) external view returns (Status) {
        return _status[requestId];
    }

    /// @inheritdoc ICrossChainBridge
    function getValidators() external view returns (address[] memory) {
        return _validators;
    }

    /// @inheritdoc ICrossChainBridge
    function isValidator(address account) external view returns (bool) {
        return account != address(0) && _validatorVersion[account] == _version;
    }

    /// @inheritdoc ICrossChainBridge
    function threshold() external view returns (uint256) {
        return _threshold;
    }

    /// @inheritdoc ICrossChainBridge
    function validatorSetVersion() external view returns (uint256) {
        return _version;
    }

    /// @inheritdoc ICrossChainBridge
    function getRoute(address token, uint256 remoteChainId) external view returns (Route memory) {
        return _routes[token][remoteChainId];
    }

    /// @inheritdoc ICrossChainBridge
    function remoteBridge(uint256 chainId) external view returns (address) {
        return _remoteBridges[chainId];
    }

    /// @inheritdoc ICrossChainBridge
    function feeBps(address token) external view returns (uint256) {
        return _feeBps[token];
    }

    /// @inheritdoc ICrossChainBridge
    function treasury() external view returns (address) {
        return _treasury;
    }

    /// @inheritdoc ICrossChainBridge
    function requestTtl() external view returns (uint256) {
        return _requestTtl;
    }

    /// @inheritdoc ICrossChainBridge
    function outboundNonce() external view returns (uint256) {
        return _nonce;
    }

    /// @inheritdoc ICrossChainBridge
    function getRateLimit(address token, bool inbound) external view returns (Bucket memory bucket) {
        bucket = _buckets[token][inbound];
        if (bucket.enabled) {
            bucket.tokens = _available(bucket);
            bucket.lastUpdated = uint64(block.timestamp);
        }
    }

    // ─── Internals ────────────────────────────────────────────────────────────────────────────

    function _setValidators(address[] memory validators, uint256 threshold_) internal {
        uint256 count = validators.length;
        if (count > MAX_VALIDATORS) revert TooManyValidators(count, MAX_VALIDATORS);
        if (threshold_ == 0 || threshold_ > count || 2 * threshold_ <= count) {
            revert InvalidThreshold(threshold_, count);
        }
        uint256 version = _version + 1;
        for (uint256 i; i < count; ++i) {
            address validator = validators[i];
            if (validator == address(0)) revert ZeroAddress();
            if (_validatorVersion[validator] == version) revert DuplicateValidator(validator);
            _validatorVersion[validator] = version;
        }
        _version = version;
        _threshold = threshold_;
        _validators = validators;
        emit ValidatorSetUpdated(version, validators, threshold_);
    }

    /// @dev Reverts unless `signatures` holds at least `threshold` valid signatures of `digest`, each by a member of
    /// the current set, ordered by signer strictly ascending (so no signer counts twice).
    function _verify(bytes32 digest, bytes[] calldata signatures) internal view {
        uint256 count = signatures.length;
        uint256 needed = _threshold;
        if (count < needed) revert InsufficientSignatures(count, needed);
        uint256 version = _version;
        address previous;
        for (uint256 i; i < count; ++i) {
            (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, signatures[i]);
            if (err != ECDSA.RecoverError.NoError) revert InvalidSignature(i);
            if (signer <= previous) {
                if (signer == previous) revert DuplicateSigner(signer);
                revert SignersNotAscending(previous, signer);
            }
            if (_validatorVersion[signer] != version) revert NotAValidator(signer);
            previous = signer;
        }
    }

    function _completionDigest(Request calldata request, bytes32 requestId) internal view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    COMPLETION_TYPEHASH,
                    request.srcChainId,
                    request.dstChainId,
                    request.srcBridge,
                    request.dstBridge,
                    requestId,
                    request.dstToken,
                    request.amount,
                    request.recipient,
                    request.deadline,
                    _version
                )
            )
        );
    }

    function _refundDigest(Request calldata request, bytes32 requestId) internal view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    REFUND_TYPEHASH,
                    request.srcChainId,
                    request.dstChainId,
                    request.srcBridge,
                    request.dstBridge,
                    requestId,
                    request.srcToken,
                    request.amount,
                    request.sender,
                    request.deadline,
                    _version
                )
            )
        );
    }

    /// @dev Whether `token` is a {BridgedToken} minted by this bridge (for a foreign home chain).
    function _isBridgedHere(address token) internal view returns (bool) {
        if (token.code.length == 0) return false;
        (bool ok, bytes memory data) = token.staticcall(abi.encodeWithSignature("bridge()"));
        return ok && data.length == 32 && abi.decode(data, (address)) == address(this);
    }

    function _available(Bucket memory bucket) internal view returns (uint128) {
        uint256 refilled =
            uint256(bucket.tokens) + (block.timestamp - bucket.lastUpdated) * uint256(bucket.refillPerSecond);
        return refilled > bucket.capacity ? bucket.capacity : uint128(refilled);
    }

    function _consume(address token, bool inbound, uint256 amount) internal {
        Bucket storage bucket = _buckets[token][inbound];
        if (!bucket.enabled) return;
        uint128 available = _available(bucket);
        if (amount > available) revert RateLimitExceeded(token, inbound, amount, available);
        bucket.tokens = uint128(available - amount);
        bucket.lastUpdated = uint64(block.timestamp);
    }
}
