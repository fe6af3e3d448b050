// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {BitMaps} from "@openzeppelin/contracts/utils/structs/BitMaps.sol";

import {IMultiAgentCoordinator} from "../interfaces/IMultiAgentCoordinator.sol";
import {IAIServiceAMM} from "../interfaces/IAIServiceAMM.sol";
import {IComputePriceOracle} from "../interfaces/IComputePriceOracle.sol";
import {ConsortiumMath} from "../libraries/ConsortiumMath.sol";

/// @title MultiAgentCoordinator
/// @notice Consortia of agents pooling a base token into one multi-asset vault each, all held by this contract.
/// @dev Books, not balances: each consortium's holdings are counted here, so tokens sent to the contract, set aside
/// for distributions or credited to members whose exit transfer failed never enter a net asset value. Shares are
/// OpenZeppelin `Checkpoints.Trace208` per account keyed by block number; the share supply needs only its value at
/// the previous block (every snapshot is `block.number - 1` when taken), so it is kept as the current value plus the
/// value before the first change of the current block, two words instead of a checkpoint array.
contract MultiAgentCoordinator is IMultiAgentCoordinator, AccessManaged, Pausable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;
    using Checkpoints for Checkpoints.Trace208;
    using BitMaps for BitMaps.BitMap;

    /// @inheritdoc IMultiAgentCoordinator
    uint256 public constant MAX_ASSETS = 10;
    /// @inheritdoc IMultiAgentCoordinator
    uint256 public constant VIRTUAL_SHARES = ConsortiumMath.VIRTUAL_SHARES;
    /// @inheritdoc IMultiAgentCoordinator
    uint256 public constant PROPOSAL_TRADE_MAX_LOSS_BPS = 1_000;
    /// @inheritdoc IMultiAgentCoordinator
    uint256 public constant EXIT_TRANSFER_GAS = 100_000;
    /// @inheritdoc IMultiAgentCoordinator
    uint256 public constant EXECUTION_PERIOD = 7 days;
    uint256 internal constant BPS = 10_000;
    uint256 internal constant WAD = 1e18;
    /// @dev The loss budget is kept as a WAD fraction of the net asset value: one bp of it.
    uint256 internal constant WAD_PER_BPS = WAD / BPS;
    /// @dev How a net asset value prices each asset other than the base token: at the oracle (views, trades), at
    /// the larger of the oracle and the AMM's spot (a contribution's entry: never cheap at either), or at the
    /// smaller (the profit a fee is paid on: never inflated by either).
    uint256 internal constant AT_ORACLE = 0;
    uint256 internal constant AT_HIGHER = 1;
    uint256 internal constant AT_LOWER = 2;

    /// @dev A contribution touches three words of it (the first, read; the next two, written) besides the
    /// member's checkpoint: the base token's holding lives next to the supply rather than in `holdings`.
    struct Consortium {
        // read by every operation: the consortium exists iff baseToken is set
        address baseToken;
        uint8 assetCount;
        // bit i set iff assets[i] is held (non-zero): pricing and exits skip what is not
        uint16 heldMask;
        uint128 totalShares;
        uint128 baseHolding;
        // the share supply before the first change in block `sharesBlock`, i.e. at the end of the block before
        uint128 totalSharesBefore;
        // block of the last change of the share supply
        uint48 sharesBlock;
        address leader;
        Governance governance;
        Mandate mandate;
        uint64 lossPeriodStart;
        // losses of the current period, WAD fractions of the net asset value at each trade
        uint64 lossUsedWad;
        uint256 highWaterMark;
        // assets[0] is the base token
        address[MAX_ASSETS] assets;
        uint256[] allowedPools;
        // of every asset but the base token
        mapping(address token => uint256) holdings;
        // index in `assets` plus one; zero for a token that is not an asset
        mapping(address token => uint256) assetSlot;
        // the AMM pool pairing a (non-base) asset with the base token: one per pair, so fixed for good
        mapping(address token => uint256) valuationPool;
        mapping(uint256 poolId => bool) poolAllowed;
        mapping(address account => bool) members;
        mapping(address account => Checkpoints.Trace208) shares;
        // what keeps each yes-voter's shares at stake until the proposals they carry are settled
        mapping(address account => VoteLock) locks;
    }

    /// @dev A yes-voter's lock: `proposalId`, its newest yes vote, binds while that proposal is pending (Active,
    /// Grace or Ready); `until` covers every earlier yes vote that was still pending when a newer one replaced it
    /// (the expiry of the latest of them, after which none of them can execute).
    struct VoteLock {
        uint64 proposalId;
        uint64 until;
    }

    struct Proposal {
        uint64 consortiumId;
        uint48 snapshotBlock;
        uint64 voteEnd;
        uint64 graceEnd;
        ProposalKind kind;
        bool executed;
        address proposer;
        uint128 yesVotes;
        uint128 noVotes;
        uint256 totalSharesAtSnapshot;
        bytes data;
    }

    struct Distribution {
        address token;
        uint48 snapshotBlock;
        uint48 consortiumId;
        uint128 amount;
        uint128 claimed;
        uint256 totalSharesAtSnapshot;
    }

    /// @dev One trade in flight (a struct: the EVM stack cannot hold its values as locals).
    struct TradeRun {
        uint256 consortiumId;
        uint256 proposalId;
        address tokenIn;
        address tokenOut;
        uint256 amountIn;
        uint256 minOut;
        uint256 amountOut;
        uint256 oracleOut;
        uint256 indexIn;
        uint256 indexOut;
        uint256 nav;
        uint256[] values;
    }

    /// @notice The AMM the consortia trade on and whose pools value their assets.
    IAIServiceAMM public immutable amm;
    /// @notice The time-weighted prices every valuation and trade limit uses.
    IComputePriceOracle public immutable oracle;

    uint256 internal _consortiumCount;
    uint256 internal _proposalCount;
    uint256 internal _distributionCount;
    mapping(uint256 consortiumId => Consortium) internal _consortia;
    mapping(uint256 proposalId => Proposal) internal _proposals;
    mapping(uint256 proposalId => mapping(address voter => bool)) internal _voted;
    mapping(uint256 distributionId => Distribution) internal _distributions;
    // one bit per distribution id: a claimer's second distribution in the same 256 costs a warm word, not a new one
    mapping(address account => BitMaps.BitMap) internal _claimed;
    mapping(address account => mapping(address token => uint256)) internal _stuck;

    /// @param authority The protocol's AccessManager (the guardian pauses).
    /// @param amm_ The protocol's AMM.
    /// @param oracle_ The protocol's time-weighted price oracle over that AMM's pools.
    constructor(address authority, IAIServiceAMM amm_, IComputePriceOracle oracle_) AccessManaged(authority) {
        if (address(amm_) == address(0) || address(oracle_) == address(0)) revert ZeroAddress();
        amm = amm_;
        oracle = oracle_;
    }

    // ─── Consortia ────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IMultiAgentCoordinator
    function createConsortium(
        address[] calldata members,
        address leader,
        address baseToken,
        Governance calldata governance,
        Mandate calldata mandate,
        uint256[] calldata allowedPools
    ) external nonReentrant returns (uint256 consortiumId) {
        if (leader == address(0) || baseToken == address(0)) {
            revert ZeroAddress();
        }
        if (members.length == 0) revert NoMembers();
        if (
            governance.votingPeriod == 0 || governance.gracePeriod == 0 || governance.quorumBps == 0
                || governance.quorumBps > BPS || governance.performanceFeeBps > BPS
        ) revert InvalidGovernance();

        consortiumId = _consortiumCount++;
        Consortium storage c = _consortia[consortiumId];
        c.baseToken = baseToken;
        c.assetCount = 1;
        c.assets[0] = baseToken;
        c.assetSlot[baseToken] = 1;
        c.leader = leader;
        c.governance = governance;
        c.lossPeriodStart = uint64(block.timestamp);
        // the price of the first share (the virtual asset over the virtual shares): profit is what exceeds it
        c.highWaterMark = ConsortiumMath.FIRST_PRICE_PER_SHARE;
        for (uint256 i; i < members.length; ++i) {
            address member = members[i];
            if (member == address(0)) revert ZeroAddress();
            if (c.members[member]) revert DuplicateMember(member);
            c.members[member] = true;
        }
        emit ConsortiumCreated(consortiumId, leader, baseToken, members, governance);

        _setMandate(consortiumId, c, mandate, allowedPools);
    }

    /// @inheritdoc IMultiAgentCoordinator
    function contribute(uint256 consortiumId, uint256 amount)
        external
        nonReentrant
        whenNotPaused
        returns (uint256 shares)
    {
        if (amount == 0) revert ZeroAmount();
        Consortium storage c = _consortia[consortiumId];
        if (!c.members[msg.sender]) {
            _consortium(consortiumId);
            revert NotMember(consortiumId, msg.sender);
        }
        address base = c.baseToken;
        // every asset at the higher of the oracle and the spot: a contribution made while the time-weighted price
        // lags the market cannot buy the holdings cheap and take them out in kind at once (see the interface)
        (uint256 navBefore,) = _navValues(c, AT_HIGHER);
        uint256 supply = c.totalShares;
        // rounded down, with the virtual shares and asset: the remaining members keep every rounding
        shares = ConsortiumMath.sharesFor(amount, supply, navBefore);
        if (shares == 0) revert ZeroShares(amount);

        c.baseHolding = (c.baseHolding + amount).toUint128();
        if (c.heldMask & 1 == 0) c.heldMask |= 1;
        _setSupply(c, supply + shares);
        Checkpoints.Trace208 storage account = c.shares[msg.sender];
        account.push(uint48(block.number), (account.latest() + shares).toUint208());
        emit Contributed(consortiumId, msg.sender, amount, shares, navBefore);

        uint256 balanceBefore = IERC20(base).balanceOf(address(this));
        IERC20(base).safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = IERC20(base).balanceOf(address(this)) - balanceBefore;
        if (received != amount) revert TransferAmountMismatch(base, amount, received);
    }

    /// @inheritdoc IMultiAgentCoordinator
    function transferShares(uint256 consortiumId, address to, uint256 shares) external nonReentrant {
        if (to == address(0)) revert ZeroAddress();
        if (shares == 0) revert ZeroAmount();
        Consortium storage c = _consortium(consortiumId);
        _requireUnlocked(consortiumId, c, msg.sender);
        Checkpoints.Trace208 storage from = c.shares[msg.sender];
        uint256 held = from.latest();
        if (held < shares) revert InsufficientShares(held, shares);
        uint48 key = uint48(block.number);
        from.push(key, uint208(held - shares));
        Checkpoints.Trace208 storage recipient = c.shares[to];
        recipient.push(key, (recipient.latest() + shares).toUint208());
        emit SharesTransferred(consortiumId, msg.sender, to, shares);
    }

    /// @inheritdoc IMultiAgentCoordinator
    function ragequit(uint256 consortiumId, uint256 shares)
        external
        nonReentrant
        returns (uint256[] memory amounts)
    {
        if (shares == 0) revert ZeroAmount();
        Consortium storage c = _consortium(consortiumId);
        _requireUnlocked(consortiumId, c, msg.sender);
        Checkpoints.Trace208 storage account = c.shares[msg.sender];
        uint256 held = account.latest();
        if (held < shares) revert InsufficientShares(held, shares);

        uint256 supply = c.totalShares;
        address[] memory tokens;
        (tokens, amounts) = _takeProRata(c, shares, supply);
        account.push(uint48(block.number), uint208(held - shares));
        _setSupply(c, supply - shares);
        emit Ragequit(consortiumId, msg.sender, shares, tokens, amounts);

        for (uint256 i; i < tokens.length; ++i) {
            uint256 amount = amounts[i];
            if (amount == 0 || _tryTransfer(tokens[i], msg.sender, amount)) continue;
            // the exit never waits for a token: what it refused stays the member's, withdrawable later
            _stuck[msg.sender][tokens[i]] += amount;
            emit ExitTransferFailed(consortiumId, msg.sender, tokens[i], amount);
        }
    }

    /// @inheritdoc IMultiAgentCoordinator
    function withdrawStuck(address token) external nonReentrant returns (uint256 amount) {
        amount = _stuck[msg.sender][token];
        if (amount == 0) revert NothingToClaim();
        _stuck[msg.sender][token] = 0;
        emit StuckWithdrawn(msg.sender, token, amount);

        IERC20(token).safeTransfer(msg.sender, amount);
    }

    // ─── Trading ──────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IMultiAgentCoordinator
    function leaderTrade(uint256 consortiumId, uint256[] calldata poolIds, address tokenIn, uint256 amountIn)
        external
        nonReentrant
        whenNotPaused
        returns (uint256 amountOut)
    {
        Consortium storage c = _consortium(consortiumId);
        if (msg.sender != c.leader) revert NotLeader(consortiumId, msg.sender);
        if (amountIn == 0) revert ZeroAmount();
        if (poolIds.length == 0) revert EmptyPath();
        for (uint256 i; i < poolIds.length; ++i) {
            if (!c.poolAllowed[poolIds[i]]) revert PoolNotAllowed(consortiumId, poolIds[i]);
        }
        TradeRun memory t = _prepareTrade(consortiumId, 0, c, poolIds, tokenIn, amountIn);
        Mandate memory mandate = c.mandate;
        uint256 tradeValue = _valueOf(c, tokenIn, amountIn);
        uint256 maxValue = t.nav * mandate.maxTradeBps / BPS;
        if (tradeValue > maxValue) revert TradeTooLarge(tradeValue, maxValue);
        // the contract sets the floor: the caller's only inputs are the path and the amount
        t.minOut = ConsortiumMath.minOutput(t.oracleOut, mandate.maxLossPerTradeBps);

        amountOut = _swap(c, poolIds, t);
        _chargeLoss(c, mandate, t.nav, tradeValue, t.oracleOut, amountOut);
        _emitTraded(c, t);
    }

    // ─── Proposals ────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IMultiAgentCoordinator
    function propose(uint256 consortiumId, ProposalKind kind, bytes calldata data)
        external
        nonReentrant
        returns (uint256 proposalId)
    {
        Consortium storage c = _consortium(consortiumId);
        uint48 snapshot = uint48(block.number - 1);
        if (c.shares[msg.sender].upperLookupRecent(snapshot) == 0) {
            revert NotShareholder(consortiumId, msg.sender);
        }
        if (kind == ProposalKind.SetMandate) {
            (Mandate memory mandate, uint256[] memory pools) = abi.decode(data, (Mandate, uint256[]));
            _planMandate(c, mandate, pools);
        } else if (kind == ProposalKind.Trade) {
            (uint256[] memory poolIds, address tokenIn, uint256 amountIn,) =
                abi.decode(data, (uint256[], address, uint256, uint256));
            if (poolIds.length == 0) revert EmptyPath();
            if (amountIn == 0) revert ZeroAmount();
            if (c.assetSlot[tokenIn] == 0) revert NotAnAsset(consortiumId, tokenIn);
        } else {
            if (abi.decode(data, (address)) == address(0)) revert ZeroAddress();
        }

        proposalId = ++_proposalCount;
        Governance memory governance = c.governance;
        uint64 voteEnd = uint64(block.timestamp) + governance.votingPeriod;
        uint64 graceEnd = voteEnd + governance.gracePeriod;
        Proposal storage p = _proposals[proposalId];
        p.consortiumId = uint64(consortiumId);
        p.snapshotBlock = snapshot;
        p.voteEnd = voteEnd;
        p.graceEnd = graceEnd;
        p.kind = kind;
        p.proposer = msg.sender;
        p.totalSharesAtSnapshot = c.sharesBlock == block.number ? c.totalSharesBefore : c.totalShares;
        p.data = data;
        emit ProposalCreated(proposalId, consortiumId, msg.sender, kind, data, snapshot, voteEnd, graceEnd);
    }

    /// @inheritdoc IMultiAgentCoordinator
    function vote(uint256 proposalId, bool support) external nonReentrant {
        Proposal storage p = _proposal(proposalId);
        if (block.timestamp >= p.voteEnd) revert VotingClosed(proposalId);
        if (_voted[proposalId][msg.sender]) revert AlreadyVoted(proposalId, msg.sender);
        Consortium storage c = _consortia[p.consortiumId];
        Checkpoints.Trace208 storage account = c.shares[msg.sender];
        uint256 weight = account.upperLookupRecent(p.snapshotBlock);
        // a yes vote counts only shares still held, which its lock then keeps held until the proposal is settled:
        // a proposal is carried only by shares at stake when it executes
        if (support) weight = Math.min(weight, account.latest());
        if (weight == 0) revert NoVotingPower(proposalId, msg.sender);

        _voted[proposalId][msg.sender] = true;
        // the votes of one snapshot sum to at most its supply, a uint128
        if (support) {
            p.yesVotes += uint128(weight);
            VoteLock storage lock = c.locks[msg.sender];
            uint256 previous = lock.proposalId;
            if (previous != 0 && _pending(_proposals[previous])) {
                lock.until = uint64(Math.max(lock.until, _proposals[previous].graceEnd + EXECUTION_PERIOD));
            }
            lock.proposalId = uint64(proposalId);
        } else {
            p.noVotes += uint128(weight);
        }
        emit Voted(proposalId, msg.sender, support, weight);
    }

    /// @inheritdoc IMultiAgentCoordinator
    function execute(uint256 proposalId) external nonReentrant {
        Proposal storage p = _proposal(proposalId);
        ProposalState state = _state(p);
        if (state != ProposalState.Ready) revert ProposalNotReady(proposalId, state);
        p.executed = true;

        uint256 consortiumId = p.consortiumId;
        Consortium storage c = _consortia[consortiumId];
        ProposalKind kind = p.kind;
        if (kind == ProposalKind.SetMandate) {
            (Mandate memory mandate, uint256[] memory pools) = abi.decode(p.data, (Mandate, uint256[]));
            _setMandate(consortiumId, c, mandate, pools);
        } else if (kind == ProposalKind.Trade) {
            _executeTrade(proposalId, consortiumId, c, p.data);
        } else {
            address leader = abi.decode(p.data, (address));
            c.leader = leader;
            emit LeaderSet(consortiumId, leader);
        }
        emit ProposalExecuted(proposalId, consortiumId);
    }

    // ─── Profits ──────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IMultiAgentCoordinator
    function distributeProfits(uint256 consortiumId)
        external
        nonReentrant
        whenNotPaused
        returns (uint256 distributionId)
    {
        Consortium storage c = _consortium(consortiumId);
        // Party 2023 H-01: with the supply changed earlier in this block, a member who left in it would be paid
        // its part of the profit by its exit and again by its claim at the previous block's snapshot.
        if (c.sharesBlock == block.number) revert SharesChangedThisBlock(consortiumId, block.number);
        address base = c.baseToken;
        uint256 supply = c.totalShares;
        // every asset at the lower of the oracle and the spot: a fee is never paid on a gain that only a lagging
        // time-weighted price or a momentary spot still shows
        (uint256 nav,) = _navValues(c, AT_LOWER);
        uint256 navPerShare = ConsortiumMath.pricePerShare(nav, supply);
        uint256 mark = c.highWaterMark;
        if (supply == 0 || navPerShare <= mark) revert NoProfit(navPerShare, mark);
        uint256 baseHeld = c.baseHolding;
        uint256 profit = ConsortiumMath.profit(navPerShare, mark, supply, baseHeld);
        if (profit == 0) revert NoProfit(navPerShare, mark);
        uint256 fee = profit * c.governance.performanceFeeBps / BPS;
        uint256 amount = profit - fee;

        c.baseHolding = uint128(baseHeld - profit);
        if (profit == baseHeld) c.heldMask &= ~uint16(1);
        // the base holding is part of nav, so nav >= profit
        mark = Math.max(mark, ConsortiumMath.pricePerShare(nav - profit, supply));
        c.highWaterMark = mark;
        distributionId = ++_distributionCount;
        uint48 snapshot = uint48(block.number - 1);
        Distribution storage d = _distributions[distributionId];
        d.token = base;
        d.snapshotBlock = snapshot;
        d.consortiumId = uint48(consortiumId);
        d.amount = amount.toUint128();
        // the supply has not changed in this block: it is the snapshot's
        d.totalSharesAtSnapshot = supply;
        emit ProfitsDistributed(consortiumId, distributionId, amount, fee, snapshot, supply, mark);

        if (fee != 0) IERC20(base).safeTransfer(c.leader, fee);
    }

    /// @inheritdoc IMultiAgentCoordinator
    function claim(uint256 distributionId) external nonReentrant returns (uint256 amount) {
        Distribution storage d = _distribution(distributionId);
        BitMaps.BitMap storage claimed = _claimed[msg.sender];
        if (claimed.get(distributionId)) revert AlreadyClaimed(distributionId, msg.sender);
        amount = _claimable(d, msg.sender);
        if (amount == 0) revert NothingToClaim();

        claimed.set(distributionId);
        // the claims of one snapshot sum to at most `amount`: each is rounded down from a share of the supply
        d.claimed += uint128(amount);
        emit Claimed(distributionId, msg.sender, amount);

        IERC20(d.token).safeTransfer(msg.sender, amount);
    }

    // ─── Guardian ─────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IMultiAgentCoordinator
    function pause() external restricted {
        _pause();
    }

    /// @inheritdoc IMultiAgentCoordinator
    function unpause() external restricted {
        _unpause();
    }

    // ─── Views ────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IMultiAgentCoordinator
    function consortiumCount() external view returns (uint256) {
        return _consortiumCount;
    }

    /// @inheritdoc IMultiAgentCoordinator
    function proposalCount() external view returns (uint256) {
        return _proposalCount;
    }

    /// @inheritdoc IMultiAgentCoordinator
    function distributionCount() external view returns (uint256) {
        return _distributionCount;
    }

    /// @inheritdoc IMultiAgentCoordinator
    function getConsortium(uint256 consortiumId)
        external
        view
        nonReentrantView
        returns (ConsortiumView memory v)
    {
        Consortium storage c = _consortium(consortiumId);
        uint256 count = c.assetCount;
        v.assets = new address[](count);
        v.holdings = new uint256[](count);
        for (uint256 i; i < count; ++i) {
            address token = c.assets[i];
            v.assets[i] = token;
            v.holdings[i] = _holdingAt(c, i, token);
        }
        v.leader = c.leader;
        v.baseToken = c.baseToken;
        v.governance = c.governance;
        v.mandate = c.mandate;
        v.allowedPools = c.allowedPools;
        v.totalShares = c.totalShares;
        v.highWaterMark = c.highWaterMark;
        v.lossUsedBps = Math.ceilDiv(c.lossUsedWad, WAD_PER_BPS);
        v.lossPeriodStart = c.lossPeriodStart;
    }

    /// @inheritdoc IMultiAgentCoordinator
    function getProposal(uint256 proposalId) external view returns (ProposalView memory) {
        Proposal storage p = _proposal(proposalId);
        return ProposalView({
            consortiumId: p.consortiumId,
            proposer: p.proposer,
            kind: p.kind,
            data: p.data,
            snapshotBlock: p.snapshotBlock,
            voteEnd: p.voteEnd,
            graceEnd: p.graceEnd,
            yesVotes: p.yesVotes,
            noVotes: p.noVotes,
            state: _state(p)
        });
    }

    /// @inheritdoc IMultiAgentCoordinator
    function getDistribution(uint256 distributionId) external view returns (DistributionView memory) {
        Distribution storage d = _distribution(distributionId);
        return DistributionView({
            consortiumId: d.consortiumId,
            token: d.token,
            snapshotBlock: d.snapshotBlock,
            amount: d.amount,
            claimed: d.claimed,
            totalSharesAtSnapshot: d.totalSharesAtSnapshot
        });
    }

    /// @inheritdoc IMultiAgentCoordinator
    function sharesOf(uint256 consortiumId, address account) external view returns (uint256) {
        return _consortia[consortiumId].shares[account].latest();
    }

    /// @inheritdoc IMultiAgentCoordinator
    function sharesAt(uint256 consortiumId, address account, uint256 blockNumber)
        external
        view
        returns (uint256)
    {
        if (blockNumber >= block.number) revert FutureLookup(blockNumber, block.number);
        return _consortia[consortiumId].shares[account].upperLookupRecent(uint48(blockNumber));
    }

    /// @inheritdoc IMultiAgentCoordinator
    function isMember(uint256 consortiumId, address account) external view returns (bool) {
        return _consortia[consortiumId].members[account];
    }

    /// @inheritdoc IMultiAgentCoordinator
    function hasVoted(uint256 proposalId, address account) external view returns (bool) {
        return _voted[proposalId][account];
    }

    /// @inheritdoc IMultiAgentCoordinator
    function hasClaimed(uint256 distributionId, address account) external view returns (bool) {
        return _claimed[account].get(distributionId);
    }

    /// @inheritdoc IMultiAgentCoordinator
    function netAssetValue(uint256 consortiumId)
        external
        view
        nonReentrantView
        returns (uint256 total, uint256[] memory values)
    {
        (total, values) = _navValues(_consortium(consortiumId), AT_ORACLE);
    }

    /// @inheritdoc IMultiAgentCoordinator
    function claimable(uint256 distributionId, address account) external view returns (uint256) {
        Distribution storage d = _distribution(distributionId);
        if (_claimed[account].get(distributionId)) return 0;
        return _claimable(d, account);
    }

    /// @inheritdoc IMultiAgentCoordinator
    function stuckOf(address account, address token) external view returns (uint256) {
        return _stuck[account][token];
    }

    // ─── Internal ─────────────────────────────────────────────────────────────────────────────

    function _consortium(uint256 consortiumId) private view returns (Consortium storage c) {
        c = _consortia[consortiumId];
        if (c.baseToken == address(0)) revert UnknownConsortium(consortiumId);
    }

    function _proposal(uint256 proposalId) private view returns (Proposal storage p) {
        if (proposalId == 0 || proposalId > _proposalCount) revert UnknownProposal(proposalId);
        p = _proposals[proposalId];
    }

    function _distribution(uint256 distributionId) private view returns (Distribution storage d) {
        if (distributionId == 0 || distributionId > _distributionCount) {
            revert UnknownDistribution(distributionId);
        }
        d = _distributions[distributionId];
    }

    /// @dev Sets the share supply, first keeping the supply at the end of the previous block if this is the first
    /// change in this block: that is what every snapshot taken in this block (`block.number - 1`) must read.
    function _setSupply(Consortium storage c, uint256 supply) private {
        if (c.sharesBlock != block.number) {
            c.totalSharesBefore = c.totalShares;
            c.sharesBlock = uint48(block.number);
        }
        c.totalShares = supply.toUint128();
    }

    /// @dev Books out the pro-rata part of every holding for `shares` of `supply` (rounded down: what a leaver
    /// leaves behind stays with the others); returns every asset and its part.
    function _takeProRata(Consortium storage c, uint256 shares, uint256 supply)
        private
        returns (address[] memory tokens, uint256[] memory amounts)
    {
        uint256 count = c.assetCount;
        uint256 mask = c.heldMask;
        uint256 maskAfter = mask;
        tokens = new address[](count);
        amounts = new uint256[](count);
        for (uint256 i; i < count; ++i) {
            address token = i == 0 ? c.baseToken : c.assets[i];
            tokens[i] = token;
            if (mask & (1 << i) == 0) continue;
            uint256 holding = _holdingAt(c, i, token);
            uint256 amount = ConsortiumMath.proRata(holding, shares, supply);
            if (amount == 0) continue;
            _setHoldingAt(c, i, token, holding - amount);
            if (holding == amount) maskAfter &= ~(1 << i);
            amounts[i] = amount;
        }
        if (maskAfter != mask) c.heldMask = uint16(maskAfter);
    }

    function _holdingAt(Consortium storage c, uint256 index, address token) private view returns (uint256) {
        return index == 0 ? c.baseHolding : c.holdings[token];
    }

    function _setHoldingAt(Consortium storage c, uint256 index, address token, uint256 amount) private {
        if (index == 0) c.baseHolding = amount.toUint128();
        else c.holdings[token] = amount;
    }

    function _state(Proposal storage p) private view returns (ProposalState) {
        if (p.executed) return ProposalState.Executed;
        if (block.timestamp < p.voteEnd) return ProposalState.Active;
        uint256 yes = p.yesVotes;
        uint256 quorumBps = _consortia[p.consortiumId].governance.quorumBps;
        if (yes <= p.noVotes || yes * BPS < quorumBps * p.totalSharesAtSnapshot) {
            return ProposalState.Defeated;
        }
        if (block.timestamp < p.graceEnd) return ProposalState.Grace;
        if (block.timestamp >= p.graceEnd + EXECUTION_PERIOD) return ProposalState.Expired;
        return ProposalState.Ready;
    }

    /// @dev Whether a proposal can still execute (Active, Grace or Ready): its yes-voters' shares stay locked.
    function _pending(Proposal storage p) private view returns (bool) {
        // bits Active (0), Grace (2) and Ready (3)
        return (1 << uint8(_state(p))) & 0x0d != 0;
    }

    /// @dev Reverts while `account` voted yes on a proposal that can still execute.
    function _requireUnlocked(uint256 consortiumId, Consortium storage c, address account) private view {
        VoteLock memory lock = c.locks[account];
        uint256 proposalId = lock.proposalId;
        if (proposalId == 0) return;
        if (block.timestamp < lock.until || _pending(_proposals[proposalId])) {
            revert SharesLockedByVote(consortiumId, account, proposalId);
        }
    }

    function _claimable(Distribution storage d, address account) private view returns (uint256) {
        uint256 shares = _consortia[d.consortiumId].shares[account].upperLookupRecent(d.snapshotBlock);
        return Math.mulDiv(d.amount, shares, d.totalSharesAtSnapshot);
    }

    /// @dev The net asset value and each asset's part of it, in the order of `assets`, priced as `pricing` says;
    /// only held assets are read and priced.
    function _navValues(Consortium storage c, uint256 pricing)
        private
        view
        returns (uint256 total, uint256[] memory values)
    {
        uint256 count = c.assetCount;
        uint256 mask = c.heldMask;
        values = new uint256[](count);
        for (uint256 i; i < count; ++i) {
            if (mask & (1 << i) == 0) continue;
            // the base token's holding is kept next to the supply, not under its address: no need to read it
            address asset = i == 0 ? address(0) : c.assets[i];
            uint256 held = _holdingAt(c, i, asset);
            uint256 value = i == 0 ? held : _assetValue(c, asset, held, pricing);
            values[i] = value;
            total += value;
        }
    }

    /// @dev What `amount` of an asset is worth in base units at the time-weighted price of its valuation pool.
    function _valueOf(Consortium storage c, address token, uint256 amount) private view returns (uint256) {
        if (token == c.baseToken || amount == 0) return amount;
        return _assetValue(c, token, amount, AT_ORACLE);
    }

    /// @dev What `amount` of a (non-base) asset is worth in base units through its valuation pool: at the oracle, or
    /// at the higher or the lower of the oracle and the spot.
    function _assetValue(Consortium storage c, address asset, uint256 amount, uint256 pricing)
        private
        view
        returns (uint256 value)
    {
        uint256 poolId = c.valuationPool[asset];
        (value,) = oracle.consult(poolId, asset, amount);
        if (pricing == AT_ORACLE) return value;
        (uint256 reserve0, uint256 reserve1, uint256 updatedAt) = amm.getReserves(poolId);
        // an entry is never priced on a spot a trade in its own block can have set: whoever sold the spot down to
        // the lagging oracle could otherwise contribute and buy it back at once, paying only the pool's fees.
        // Between blocks arbitrage restores the price, and the push's loss stays with whoever pushed.
        if (pricing == AT_HIGHER && updatedAt == uint32(block.timestamp)) {
            revert PoolTradedThisBlock(poolId, block.timestamp);
        }
        // the pool pairs the asset with the base token, and its token0 is the lower address
        if (asset > c.baseToken) (reserve0, reserve1) = (reserve1, reserve0);
        value = ConsortiumMath.bound(value, amount, reserve1, reserve0, pricing == AT_HIGHER);
    }

    /// @dev Checks a trade's tokens and prices it: the net asset value before it and the oracle's output.
    function _prepareTrade(
        uint256 consortiumId,
        uint256 proposalId,
        Consortium storage c,
        uint256[] memory poolIds,
        address tokenIn,
        uint256 amountIn
    ) private view returns (TradeRun memory t) {
        uint256 slotIn = c.assetSlot[tokenIn];
        if (slotIn == 0) revert NotAnAsset(consortiumId, tokenIn);
        (t.oracleOut, t.tokenOut) = oracle.consultPath(poolIds, tokenIn, amountIn);
        if (t.tokenOut == tokenIn) revert TokenOutIsTokenIn(tokenIn);
        // the path's end stays in the books (and is valued): a leader's allowed pools all end in an asset
        uint256 slotOut = c.assetSlot[t.tokenOut];
        if (slotOut == 0) revert NotAnAsset(consortiumId, t.tokenOut);
        (t.indexIn, t.indexOut) = (slotIn - 1, slotOut - 1);
        (t.nav, t.values) = _navValues(c, AT_ORACLE);
        t.consortiumId = consortiumId;
        t.proposalId = proposalId;
        t.tokenIn = tokenIn;
        t.amountIn = amountIn;
    }

    /// @dev Swaps `t.amountIn` of a holding along `poolIds` for the consortium, at least `t.minOut`; books the input
    /// out before the call and what arrived (which must be what the AMM reports) in after.
    function _swap(Consortium storage c, uint256[] memory poolIds, TradeRun memory t)
        private
        returns (uint256 received)
    {
        address tokenIn = t.tokenIn;
        uint256 held = _holdingAt(c, t.indexIn, tokenIn);
        if (held < t.amountIn) revert InsufficientHoldings(tokenIn, held, t.amountIn);
        _setHoldingAt(c, t.indexIn, tokenIn, held - t.amountIn);

        IERC20 tokenOut = IERC20(t.tokenOut);
        uint256 balanceBefore = tokenOut.balanceOf(address(this));
        // the AMM pulls exactly `amountIn` (it checks by balance): the allowance ends at zero
        IERC20(tokenIn).forceApprove(address(amm), t.amountIn);
        uint256 out =
            amm.swapExactInput(poolIds, tokenIn, t.amountIn, t.minOut, address(this), block.timestamp);
        received = tokenOut.balanceOf(address(this)) - balanceBefore;
        if (received != out) revert TransferAmountMismatch(address(tokenOut), out, received);
        uint256 heldOut = _holdingAt(c, t.indexOut, address(tokenOut)) + received;
        _setHoldingAt(c, t.indexOut, address(tokenOut), heldOut);
        t.amountOut = received;
        uint256 mask = c.heldMask;
        if (held == t.amountIn) mask &= ~(1 << t.indexIn);
        if (heldOut != 0) mask |= 1 << t.indexOut;
        c.heldMask = uint16(mask);
    }

    /// @dev Charges a leader trade's loss against the oracle (base units, rounded up, as a WAD fraction of the net
    /// asset value before it, rounded up) to the loss period's budget; a period starts at the first trade after the
    /// previous one ended.
    function _chargeLoss(
        Consortium storage c,
        Mandate memory mandate,
        uint256 nav,
        uint256 tradeValue,
        uint256 oracleOut,
        uint256 amountOut
    ) private {
        uint256 start = c.lossPeriodStart;
        uint256 used = c.lossUsedWad;
        if (block.timestamp >= start + mandate.lossPeriod) (start, used) = (block.timestamp, 0);
        used += ConsortiumMath.lossWad(tradeValue, oracleOut, amountOut, nav);
        uint256 maxUsed = uint256(mandate.maxLossPerPeriodBps) * WAD_PER_BPS;
        if (used > maxUsed) {
            revert LossLimitExceeded(Math.ceilDiv(used, WAD_PER_BPS), mandate.maxLossPerPeriodBps);
        }
        c.lossPeriodStart = uint64(start);
        c.lossUsedWad = uint64(used);
    }

    /// @dev Emits a trade with the net asset value after it: the values of the two assets it touched, at their new
    /// holdings, replace those of before (as {netAssetValue} would compute them, without pricing the others again).
    function _emitTraded(Consortium storage c, TradeRun memory t) private {
        uint256 nav = t.nav - t.values[t.indexIn] - t.values[t.indexOut]
            + _valueOf(c, t.tokenIn, _holdingAt(c, t.indexIn, t.tokenIn))
            + _valueOf(c, t.tokenOut, _holdingAt(c, t.indexOut, t.tokenOut));
        emit ConsortiumTraded(
            t.consortiumId, t.proposalId, t.tokenIn, t.tokenOut, t.amountIn, t.amountOut, t.oracleOut, nav
        );
    }

    function _executeTrade(uint256 proposalId, uint256 consortiumId, Consortium storage c, bytes memory data)
        private
    {
        _requireNotPaused();
        (uint256[] memory poolIds, address tokenIn, uint256 amountIn, uint256 minAmountOut) =
            abi.decode(data, (uint256[], address, uint256, uint256));
        TradeRun memory t = _prepareTrade(consortiumId, proposalId, c, poolIds, tokenIn, amountIn);
        // the members' minimum binds, and so does the oracle's, so that a stale minimum cannot be sandwiched down to
        t.minOut = Math.max(minAmountOut, ConsortiumMath.minOutput(t.oracleOut, PROPOSAL_TRADE_MAX_LOSS_BPS));
        _swap(c, poolIds, t);
        _emitTraded(c, t);
    }

    /// @dev Checks a mandate and its pools against a consortium; returns the assets the pools add, each with the
    /// pool that values it. Each pool pairs the base token with one token and the AMM has one pool per pair, so
    /// distinct pools add distinct assets.
    function _planMandate(Consortium storage c, Mandate memory mandate, uint256[] memory pools)
        private
        view
        returns (address[] memory added, uint256[] memory addedPools, uint256 addedCount)
    {
        if (
            mandate.maxTradeBps > BPS || mandate.maxLossPerTradeBps >= BPS
                || mandate.maxLossPerPeriodBps > BPS || mandate.lossPeriod == 0
        ) revert InvalidMandate();
        address base = c.baseToken;
        added = new address[](pools.length);
        addedPools = new uint256[](pools.length);
        for (uint256 i; i < pools.length; ++i) {
            uint256 poolId = pools[i];
            for (uint256 j; j < i; ++j) {
                if (pools[j] == poolId) revert DuplicatePool(poolId);
            }
            (address token0, address token1) = _poolTokens(poolId);
            address asset;
            if (token0 == base) asset = token1;
            else if (token1 == base) asset = token0;
            else revert PoolDoesNotPairBase(poolId, base);
            if (c.assetSlot[asset] == 0) {
                added[addedCount] = asset;
                addedPools[addedCount++] = poolId;
            }
        }
        uint256 count = c.assetCount + addedCount;
        if (count > MAX_ASSETS) revert TooManyAssets(count, MAX_ASSETS);
    }

    /// @dev A pool's two tokens: the first two words of `amm.getPool`, whose view is a static struct, decoded
    /// alone (the whole view's decoder would cost the contract's size limit more than it is worth); the AMM's
    /// revert (an unknown pool) is passed on.
    function _poolTokens(uint256 poolId) private view returns (address token0, address token1) {
        (bool ok, bytes memory data) =
            address(amm).staticcall(abi.encodeCall(IAIServiceAMM.getPool, (poolId)));
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(data, 0x20), mload(data))
            }
        }
        (token0, token1) = abi.decode(data, (address, address));
    }

    function _setMandate(
        uint256 consortiumId,
        Consortium storage c,
        Mandate memory mandate,
        uint256[] memory pools
    ) private {
        (address[] memory added, uint256[] memory addedPools, uint256 addedCount) =
            _planMandate(c, mandate, pools);
        uint256[] storage previous = c.allowedPools;
        for (uint256 i; i < previous.length; ++i) {
            c.poolAllowed[previous[i]] = false;
        }
        for (uint256 i; i < pools.length; ++i) {
            c.poolAllowed[pools[i]] = true;
        }
        // assets are never removed: a pool no longer allowed still values what the consortium holds of its token
        uint256 count = c.assetCount;
        for (uint256 i; i < addedCount; ++i) {
            address asset = added[i];
            c.assets[count++] = asset;
            c.assetSlot[asset] = count;
            c.valuationPool[asset] = addedPools[i];
        }
        c.assetCount = uint8(count);
        c.allowedPools = pools;
        c.mandate = mandate;
        emit MandateSet(consortiumId, mandate, pools);
    }

    /// @dev `token.transfer(to, amount)` with at most EXIT_TRANSFER_GAS and 32 bytes of return data copied: true if
    /// it succeeded and returned true or nothing (from a contract), false whatever else happened.
    function _tryTransfer(address token, address to, uint256 amount) private returns (bool ok) {
        bytes memory data = abi.encodeCall(IERC20.transfer, (to, amount));
        uint256 gasLimit = EXIT_TRANSFER_GAS;
        assembly ("memory-safe") {
            mstore(0x00, 0)
            let success := call(gasLimit, token, 0, add(data, 0x20), mload(data), 0x00, 0x20)
            switch returndatasize()
            case 0 { ok := and(success, gt(extcodesize(token), 0)) }
            default { ok := and(success, and(gt(returndatasize(), 31), eq(mload(0x00), 1))) }
        }
    }
}
