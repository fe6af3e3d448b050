// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IMultiAgentCoordinator
/// @notice Consortia of agents: each is a multi-asset vault in one contract. Members contribute the base token for
/// shares priced by net asset value (each asset at the higher of its time-weighted oracle price and the AMM's spot);
/// shares are votes. A leader trades through the
/// AMM within a mandate the members set by vote; anything beyond it is a proposal that passes by share-weighted
/// vote and then waits a grace period in which anyone who disagrees can leave. Realized gains above a high-water
/// mark, less the leader's performance fee, are distributed pro rata to shares at a snapshot and claimed by each
/// holder. `ragequit` is open at any time, paused or not, whatever the leader does.
/// @dev Assets of a consortium: the base token and the other token of each AMM pool the mandate has ever allowed
/// (each such pool pairs an asset with the base token and values it); at most 10. Tokens set aside for a
/// distribution belong to its claimants and are not part of the net asset value.
/// Votes: shares are checkpointed by block; a proposal counts shares held at the block before it was created, so
/// shares bought, transferred or flash-borrowed in the proposal's block do not vote. A yes vote counts only the
/// shares its voter still holds (the smaller of the snapshot's and the current balance), and locks them: a yes-voter
/// can neither ragequit nor transfer shares while a proposal they voted for can still execute (Active, Grace or
/// Ready, at most `EXECUTION_PERIOD` after its grace period); no-voters and non-voters keep their exit. So a proposal
/// passes only on shares still at stake when it executes (Moloch's rule), and a lock ends with the proposal
/// (executed, defeated or expired).
/// Entry price: a contribution values every asset at the higher of the oracle's time-weighted price and the AMM's
/// spot (reserves, no fee). A ragequit pays in kind, and what it pays sells for at most the spot: so a contribution
/// of any size followed by a ragequit returns at most what was put in, even while the time-weighted price lags a
/// real move (contributing cannot buy the holdings below either price). Nor can the spot be set for the entry: an
/// attacker who sold it down to the oracle's price himself and bought it back after contributing, in one
/// transaction, would pay only the pool's fees, less than the lagging price gives away when the consortium holds more
/// of the asset than about the pool's fee times its reserve (measured before this rule: +1,590 base with 30 000 base
/// of an asset in a 1 M-base pool after a 10 % rise). So a contribution reverts `PoolTradedThisBlock` when a held
/// asset's pool has traded in its block (timestamp); a push one block earlier is arbitraged back, at the pusher's
/// cost (-3,269 base in the same pool). Profit for the fee:
/// {distributeProfits} values every asset at the lower of the two, so neither a lagging time-weighted price nor a
/// momentary spot inflates the profit the leader is paid a fee on.
/// Share price: OpenZeppelin ERC-4626's decimals offset, 6: `VIRTUAL_SHARES` (10^6) shares and 1 base unit are
/// virtual, on both sides. A contribution of `a` at net asset value `nav` mints ⌊a·(totalShares + 10^6)/(nav + 1)⌋
/// shares and a ragequit of `s` shares pays ⌊s·holding/(totalShares + 10^6)⌋ of every asset: every rounding, and the
/// virtual shares' part, stays with the members who remain, and a first depositor cannot inflate the share price
/// to round a later contribution away (the net asset value counts the consortium's own books, never a balance, so
/// a token donation moves nothing either).
/// Pausing (the guardian) halts what trusts the oracle's price to move value between members: contributions, leader
/// trades, the execution of Trade proposals and profit distributions. Ragequit, claims, stuck withdrawals, share
/// transfers, proposals, votes and the other proposals' execution stay open.
interface IMultiAgentCoordinator {
    /// @notice What the leader may do without a vote.
    struct Mandate {
        // largest trade, bps of the net asset value
        uint16 maxTradeBps;
        // largest loss of one trade against the oracle, bps of the trade's value
        uint16 maxLossPerTradeBps;
        // largest sum of losses per lossPeriod, bps of the net asset value at each trade
        uint16 maxLossPerPeriodBps;
        uint32 lossPeriod;
    }

    /// @notice Voting settings fixed at creation.
    struct Governance {
        uint32 votingPeriod;
        uint32 gracePeriod;
        // yes votes needed, bps of all shares at the snapshot (and more yes than no)
        uint16 quorumBps;
        uint16 performanceFeeBps;
    }

    enum ProposalKind {
        SetMandate, // data: abi.encode(Mandate, uint256[] allowedPools)
        // data: abi.encode(uint256[] poolIds, address tokenIn, uint256 amountIn, uint256 minAmountOut). Any AMM path,
        // any size (the mandate does not bind it), from an asset to another asset of the consortium. Executed with
        // the larger of two minimums: the proposal's own `minAmountOut` (what the members voted on) and the
        // oracle's value of the input along the path less `PROPOSAL_TRADE_MAX_LOSS_BPS` (10 %), so that a
        // `minAmountOut` made stale by the market while the proposal waited cannot be sandwiched down to.
        // Its loss does not count against the leader's loss budget.
        Trade,
        SetLeader // data: abi.encode(address leader)
    }

    enum ProposalState {
        Active,
        Defeated,
        Grace,
        Ready,
        Executed,
        // passed but not executed within EXECUTION_PERIOD of the end of its grace period: it can no longer execute
        Expired
    }

    struct ConsortiumView {
        address leader;
        address baseToken;
        Governance governance;
        Mandate mandate;
        uint256[] allowedPools;
        address[] assets;
        uint256[] holdings;
        uint256 totalShares;
        uint256 highWaterMark; // net asset value per share, 1e18-scaled base units
        uint256 lossUsedBps;
        uint64 lossPeriodStart;
    }

    struct ProposalView {
        uint256 consortiumId;
        address proposer;
        ProposalKind kind;
        bytes data;
        uint64 snapshotBlock;
        uint64 voteEnd;
        uint64 graceEnd;
        uint256 yesVotes;
        uint256 noVotes;
        ProposalState state;
    }

    /// @notice A profit distribution: `amount` of `token` for the holders of the consortium's shares at
    /// `snapshotBlock`, each ⌊amount·shares/totalSharesAtSnapshot⌋; `claimed` so far.
    struct DistributionView {
        uint256 consortiumId;
        address token;
        uint64 snapshotBlock;
        uint256 amount;
        uint256 claimed;
        uint256 totalSharesAtSnapshot;
    }

    error UnknownConsortium(uint256 consortiumId);
    error NotMember(uint256 consortiumId, address account);
    error NotLeader(uint256 consortiumId, address account);
    error ZeroAddress();
    error ZeroAmount();
    error DuplicateMember(address member);
    error InvalidGovernance();
    error InvalidMandate();
    error PoolNotAllowed(uint256 consortiumId, uint256 poolId);
    error PoolDoesNotPairBase(uint256 poolId, address baseToken);
    error TooManyAssets(uint256 count, uint256 max);
    error TradeTooLarge(uint256 value, uint256 maxValue);
    error LossLimitExceeded(uint256 lossBps, uint256 maxLossBps);
    error InsufficientShares(uint256 held, uint256 requested);
    error InsufficientHoldings(address token, uint256 held, uint256 requested);
    error UnknownProposal(uint256 proposalId);
    error VotingClosed(uint256 proposalId);
    error AlreadyVoted(uint256 proposalId, address voter);
    error NoVotingPower(uint256 proposalId, address voter);
    error ProposalNotReady(uint256 proposalId, ProposalState state);
    error NoProfit(uint256 navPerShare, uint256 highWaterMark);
    error UnknownDistribution(uint256 distributionId);
    error AlreadyClaimed(uint256 distributionId, address account);
    error NothingToClaim();
    error TransferAmountMismatch(address token, uint256 expected, uint256 received);
    error NoMembers();
    error DuplicatePool(uint256 poolId);
    /// @notice The contribution is worth less than one share: it would be given away.
    error ZeroShares(uint256 amount);
    /// @notice Proposing needs shares at the previous block, the proposal's snapshot.
    error NotShareholder(uint256 consortiumId, address account);
    error EmptyPath();
    error TokenOutIsTokenIn(address token);
    error NotAnAsset(uint256 consortiumId, address token);
    /// @notice A distribution's snapshot is the previous block: the share supply must not have changed in this one,
    /// or a member who left earlier in the block would be paid the profit twice (with its exit and its claim).
    error SharesChangedThisBlock(uint256 consortiumId, uint256 blockNumber);
    /// @notice Shares at a block are final once the block is over: ask for an earlier one.
    error FutureLookup(uint256 blockNumber, uint256 currentBlock);
    /// @notice `account` voted yes on a proposal that can still execute: its shares stay at stake (no ragequit, no
    /// transfer) until every proposal it voted for is executed, defeated or expired (at the latest `EXECUTION_PERIOD`
    /// after the grace period of the last). `proposalId` is its newest yes vote.
    error SharesLockedByVote(uint256 consortiumId, address account, uint256 proposalId);
    /// @notice A contribution is priced at the spot of every held asset's pool, and pool `poolId` has had its
    /// reserves updated in this block (at `timestamp`, the AMM's last-update time): that spot may have been set by a
    /// trade made just for the entry (sold down to the lagging oracle and bought back after it). Contribute in a
    /// later block (a later timestamp), after arbitrage has had its turn.
    error PoolTradedThisBlock(uint256 poolId, uint256 timestamp);

    event ConsortiumCreated(
        uint256 indexed consortiumId,
        address indexed leader,
        address indexed baseToken,
        address[] members,
        Governance governance
    );
    event MandateSet(uint256 indexed consortiumId, Mandate mandate, uint256[] allowedPools);
    event LeaderSet(uint256 indexed consortiumId, address indexed leader);
    /// @notice `navBefore` is the net asset value before the contribution, base-token units.
    event Contributed(
        uint256 indexed consortiumId,
        address indexed member,
        uint256 amount,
        uint256 shares,
        uint256 navBefore
    );
    event SharesTransferred(
        uint256 indexed consortiumId, address indexed from, address indexed to, uint256 shares
    );
    /// @notice A trade of the consortium, by its leader (`proposalId` 0) or by an executed proposal.
    event ConsortiumTraded(
        uint256 indexed consortiumId,
        uint256 indexed proposalId,
        address tokenIn,
        address tokenOut,
        uint256 amountIn,
        uint256 amountOut,
        uint256 oracleAmountOut,
        uint256 navAfter
    );
    event ProposalCreated(
        uint256 indexed proposalId,
        uint256 indexed consortiumId,
        address indexed proposer,
        ProposalKind kind,
        bytes data,
        uint64 snapshotBlock,
        uint64 voteEnd,
        uint64 graceEnd
    );
    event Voted(uint256 indexed proposalId, address indexed voter, bool support, uint256 weight);
    event ProposalExecuted(uint256 indexed proposalId, uint256 indexed consortiumId);
    /// @notice Profit set aside for holders at `snapshotBlock`; `fee` went to the leader.
    event ProfitsDistributed(
        uint256 indexed consortiumId,
        uint256 indexed distributionId,
        uint256 amount,
        uint256 fee,
        uint64 snapshotBlock,
        uint256 totalSharesAtSnapshot,
        uint256 highWaterMark
    );
    event Claimed(uint256 indexed distributionId, address indexed account, uint256 amount);
    /// @notice A member left with its pro-rata share of every asset; `amounts[i]` of `tokens[i]`.
    event Ragequit(
        uint256 indexed consortiumId,
        address indexed member,
        uint256 shares,
        address[] tokens,
        uint256[] amounts
    );
    /// @notice A token refused the exit transfer: the amount stays claimable by the member via {withdrawStuck}.
    event ExitTransferFailed(
        uint256 indexed consortiumId, address indexed member, address indexed token, uint256 amount
    );
    event StuckWithdrawn(address indexed account, address indexed token, uint256 amount);

    /// @notice Opens a consortium. Anyone may call it; nothing is paid in.
    /// @param members Who may contribute (shares, once minted, can be transferred to anyone). Not empty, no zero
    /// address, no duplicate.
    /// @param leader Trades within the mandate and receives the performance fee.
    /// @param baseToken What members contribute, what the net asset value and profits are counted in.
    /// @param governance Voting period and grace period (seconds, not zero), quorum (1..10 000 bps) and the
    /// leader's performance fee (bps of distributed profit, at most 10 000).
    /// @param mandate Limits of the leader's trades: `maxTradeBps` and `maxLossPerPeriodBps` at most 10 000,
    /// `maxLossPerTradeBps` below 10 000, `lossPeriod` not zero.
    /// @param allowedPools AMM pools the leader may trade through; each pairs the base token with another token,
    /// which becomes an asset of the consortium (valued through that pool). No duplicate; at most 10 assets.
    /// @return consortiumId The new consortium's id (sequential from 0).
    function createConsortium(
        address[] calldata members,
        address leader,
        address baseToken,
        Governance calldata governance,
        Mandate calldata mandate,
        uint256[] calldata allowedPools
    ) external returns (uint256 consortiumId);

    /// @notice A listed member adds `amount` of the base token for shares at the net asset value (rounded down),
    /// every asset valued at the higher of the oracle's time-weighted price and the AMM's spot.
    /// @dev `Contributed.navBefore` is that value. The amount received is checked by balance (a fee-on-transfer token reverts `TransferAmountMismatch`);
    /// a contribution worth less than a share reverts `ZeroShares`; one in a block (timestamp) in which the pool
    /// of a held asset has had its reserves updated reverts `PoolTradedThisBlock`. Needs the oracle's price of
    /// every asset the consortium holds. Paused: reverts.
    /// @return shares Shares minted to the caller, checkpointed at this block (they vote from the next one).
    function contribute(uint256 consortiumId, uint256 amount) external returns (uint256 shares);

    /// @notice Moves shares (votes and claims from the next block's snapshots on) to `to`, who need not be a member.
    /// @dev Reverts `SharesLockedByVote` while the caller's yes vote on a proposal that can still execute binds.
    function transferShares(uint256 consortiumId, address to, uint256 shares) external;

    /// @notice The leader trades within the mandate; the minimum output comes from the oracle, not the caller.
    /// @dev Every pool of the path must be allowed; the input's oracle value at most `maxTradeBps` of the net asset
    /// value; the output at least the oracle's value of the input along the path less `maxLossPerTradeBps`; the
    /// loss against the oracle (bps of the net asset value, summed over the current `lossPeriod`) at most
    /// `maxLossPerPeriodBps`. A loss period starts at the first trade after the previous one ended. Paused: reverts.
    /// @return amountOut What the consortium received, added to its holding of the path's last token.
    function leaderTrade(uint256 consortiumId, uint256[] calldata poolIds, address tokenIn, uint256 amountIn)
        external
        returns (uint256 amountOut);

    /// @notice Any shareholder proposes; voting starts now, on shares held at the previous block.
    /// @dev The data is decoded and checked now (and again at execution): a SetMandate as at creation, a Trade from
    /// an asset with a non-empty path and a non-zero amount, a SetLeader to a non-zero address.
    /// @return proposalId The new proposal's id (sequential from 1).
    function propose(uint256 consortiumId, ProposalKind kind, bytes calldata data)
        external
        returns (uint256 proposalId);

    /// @notice Votes with the caller's shares at the proposal's snapshot, once, while the proposal is Active
    /// (before `voteEnd`). A yes vote weighs the smaller of those and the shares the caller holds now, and locks the
    /// caller's shares (no ragequit, no transfer) until the proposal is executed, defeated or expired.
    function vote(uint256 proposalId, bool support) external;

    /// @notice Anyone, once the proposal passed and its grace period ended.
    /// @dev A proposal passes when its yes votes reach `quorumBps` of the shares at its snapshot and outnumber its
    /// no votes. A passed proposal stays Ready until executed or `EXECUTION_PERIOD` after its grace period (then
    /// Expired); if its execution reverts (a Trade while paused, holdings now short, the oracle failing closed), it
    /// can be retried until then.
    function execute(uint256 proposalId) external;

    /// @notice Anyone: sets aside the base-token profit above the high-water mark, less the leader's fee.
    /// @dev Profit: (net asset value per share − high-water mark) × shares, at most the base-token holding; the net
    /// asset value here prices every asset at the lower of the oracle's time-weighted price and the AMM's spot. The
    /// fee (`performanceFeeBps` of it, rounded down) is paid to the leader; the rest leaves the net asset value and is
    /// claimable by the holders at the previous block. The mark then becomes the net asset value per share left (it
    /// only moves up): a gain the base holding could not pay is no longer profit. Reverts
    /// `SharesChangedThisBlock` if shares were minted or burnt earlier in the block, `NoProfit` if there is none.
    /// Paused: reverts.
    /// @return distributionId The new distribution's id (sequential from 1).
    function distributeProfits(uint256 consortiumId) external returns (uint256 distributionId);

    /// @notice Claims the caller's share of a distribution (shares at its snapshot); once per account.
    function claim(uint256 distributionId) external returns (uint256 amount);

    /// @notice Leaves with the rounded-down pro-rata share of every asset; a token whose transfer fails is kept
    /// claimable via {withdrawStuck}. Open at any time, paused or not, except to a yes-voter while the proposal it
    /// voted for can still execute (`SharesLockedByVote`).
    /// @dev Pro rata: ⌊shares·holding/(totalShares + VIRTUAL_SHARES)⌋ of each asset (tokens set aside for
    /// distributions are not holdings). Each exit transfer is a low-level call with at most `EXIT_TRANSFER_GAS`:
    /// a token that reverts, returns false or burns the gas is credited to `stuckOf(member, token)` instead. Needs
    /// no price.
    /// @return amounts Per asset, in the order of `getConsortium(consortiumId).assets`.
    function ragequit(uint256 consortiumId, uint256 shares) external returns (uint256[] memory amounts);

    /// @notice Withdraws what an exit transfer of `token` failed to pay the caller, in full (reverts if it fails
    /// again, keeping the credit).
    function withdrawStuck(address token) external returns (uint256 amount);

    /// @notice Halts contributions, leader trades, Trade proposals' execution and distributions. Restricted: the
    /// guardian.
    function pause() external;

    /// @notice Resumes them. Restricted: the guardian.
    function unpause() external;

    /// @notice Most assets a consortium may hold (the base token included).
    function MAX_ASSETS() external view returns (uint256);

    /// @notice Virtual shares of the share price (10^6: the decimals offset of OpenZeppelin's ERC-4626).
    function VIRTUAL_SHARES() external view returns (uint256);

    /// @notice Largest loss against the oracle an executed Trade proposal may take, bps of the oracle's output.
    function PROPOSAL_TRADE_MAX_LOSS_BPS() external view returns (uint256);

    /// @notice Gas forwarded to each exit transfer of a ragequit.
    function EXIT_TRANSFER_GAS() external view returns (uint256);

    /// @notice How long a passed proposal can be executed after its grace period ends (seconds) before it expires.
    function EXECUTION_PERIOD() external view returns (uint256);

    function consortiumCount() external view returns (uint256);

    /// @notice Number of proposals created; ids run from 1 to `proposalCount()`.
    function proposalCount() external view returns (uint256);

    /// @notice Number of distributions created; ids run from 1 to `distributionCount()`.
    function distributionCount() external view returns (uint256);

    /// @notice A consortium's state; `assets[i]` is held `holdings[i]` (assets[0] is the base token). `lossUsedBps`
    /// is the loss of the period that started at `lossPeriodStart` (rounded up), as recorded at the last trade.
    function getConsortium(uint256 consortiumId) external view returns (ConsortiumView memory);

    function getProposal(uint256 proposalId) external view returns (ProposalView memory);

    function getDistribution(uint256 distributionId) external view returns (DistributionView memory);

    function sharesOf(uint256 consortiumId, address account) external view returns (uint256);

    /// @notice Shares held at the end of block `blockNumber`, which must be over (reverts `FutureLookup`).
    function sharesAt(uint256 consortiumId, address account, uint256 blockNumber)
        external
        view
        returns (uint256);

    function isMember(uint256 consortiumId, address account) external view returns (bool);

    function hasVoted(uint256 proposalId, address account) external view returns (bool);

    function hasClaimed(uint256 distributionId, address account) external view returns (bool);

    /// @notice Net asset value in base-token units (time-weighted prices), per asset and in total.
    function netAssetValue(uint256 consortiumId)
        external
        view
        returns (uint256 total, uint256[] memory values);

    /// @notice What `account` could claim from a distribution now (0 once claimed).
    function claimable(uint256 distributionId, address account) external view returns (uint256);

    /// @notice What failed exit transfers of `token` left to `account`, withdrawable via {withdrawStuck}.
    function stuckOf(address account, address token) external view returns (uint256);
}
