// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IMultiAgentCoordinator
/// @notice Consortia of agents: each is a multi-asset vault in one contract. Members contribute the base token for
/// shares priced by net asset value (time-weighted oracle prices); shares are votes. A leader trades through the
/// AMM within a mandate the members set by vote; anything beyond it is a proposal that passes by share-weighted
/// vote and then waits a grace period in which anyone who disagrees can leave. Realized gains above a high-water
/// mark, less the leader's performance fee, are distributed pro rata to shares at a snapshot and claimed by each
/// holder. `ragequit` is open at any time, paused or not, whatever the leader does.
/// @dev Assets of a consortium: the base token and the other token of each AMM pool the mandate has ever allowed
/// (each such pool pairs an asset with the base token and values it); at most 10. Tokens set aside for a
/// distribution belong to its claimants and are not part of the net asset value.
/// Votes: shares are checkpointed by block; a proposal counts shares held at the block before it was created, so
/// shares bought, transferred or flash-borrowed in the proposal's block do not vote.
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
        Trade, // data: abi.encode(uint256[] poolIds, address tokenIn, uint256 amountIn, uint256 minAmountOut)
        SetLeader // data: abi.encode(address leader)
    }

    enum ProposalState {
        Active,
        Defeated,
        Grace,
        Ready,
        Executed
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

    function createConsortium(
        address[] calldata members,
        address leader,
        address baseToken,
        Governance calldata governance,
        Mandate calldata mandate,
        uint256[] calldata allowedPools
    ) external returns (uint256 consortiumId);

    /// @notice A listed member adds `amount` of the base token for shares at the net asset value (rounded down).
    function contribute(uint256 consortiumId, uint256 amount) external returns (uint256 shares);

    function transferShares(uint256 consortiumId, address to, uint256 shares) external;

    /// @notice The leader trades within the mandate; the minimum output comes from the oracle, not the caller.
    function leaderTrade(uint256 consortiumId, uint256[] calldata poolIds, address tokenIn, uint256 amountIn)
        external
        returns (uint256 amountOut);

    /// @notice Any shareholder proposes; voting starts now, on shares held at the previous block.
    function propose(uint256 consortiumId, ProposalKind kind, bytes calldata data)
        external
        returns (uint256 proposalId);

    function vote(uint256 proposalId, bool support) external;

    /// @notice Anyone, once the proposal passed and its grace period ended.
    function execute(uint256 proposalId) external;

    /// @notice Anyone: sets aside the base-token profit above the high-water mark, less the leader's fee.
    function distributeProfits(uint256 consortiumId) external returns (uint256 distributionId);

    /// @notice Claims the caller's share of a distribution (shares at its snapshot); once per account.
    function claim(uint256 distributionId) external returns (uint256 amount);

    /// @notice Leaves with the rounded-down pro-rata share of every asset; a token whose transfer fails is kept
    /// claimable via {withdrawStuck}. Open at any time, paused or not.
    function ragequit(uint256 consortiumId, uint256 shares) external returns (uint256[] memory amounts);

    function withdrawStuck(address token) external returns (uint256 amount);

    function pause() external;

    function unpause() external;

    function consortiumCount() external view returns (uint256);

    function getConsortium(uint256 consortiumId) external view returns (ConsortiumView memory);

    function getProposal(uint256 proposalId) external view returns (ProposalView memory);

    function sharesOf(uint256 consortiumId, address account) external view returns (uint256);

    function sharesAt(uint256 consortiumId, address account, uint256 blockNumber)
        external
        view
        returns (uint256);

    function isMember(uint256 consortiumId, address account) external view returns (bool);

    /// @notice Net asset value in base-token units (time-weighted prices), per asset and in total.
    function netAssetValue(uint256 consortiumId)
        external
        view
        returns (uint256 total, uint256[] memory values);

    function claimable(uint256 distributionId, address account) external view returns (uint256);

    function stuckOf(address account, address token) external view returns (uint256);
}
