// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IOptionPriceSource} from "./IOptionPriceSource.sol";

/// @title IAIPowerDerivatives
/// @notice European, cash-settled options on a compute-price index. A series is (underlying index, strike, expiry,
/// call/put); its options are ERC-6909 balances whose token id is the series id, transferable so that they can be
/// sold. Writers open a vault on one series, lock collateral in it and mint options against it, either fully
/// collateralized (never liquidatable) or margined (liquidatable below a stress requirement). After expiry a holder
/// exercises against the series' settlement price and each vault is settled: what it owes moves to the series'
/// payout pot, the rest goes back to its owner.
/// @dev Units. An option amount is in raw units of the underlying token (10^decimals = one option on one whole
/// unit). Strikes and prices are wads of quote per whole underlying unit (the price source's unit).
///
/// Collateral. A put is collateralized and paid in the quote token: its payoff max(K − S, 0) is at most K, so K per
/// unit collateralizes it fully. A call is collateralized and paid in the UNDERLYING token (as Opyn Gamma's calls):
/// its payoff max(S − K, 0) in quote is worth max(S − K, 0) / S underlying, always below one unit, so one underlying
/// unit per option collateralizes it fully, with no cap on S. A cash-settled call in quote would need a cap (a call
/// spread) to be fully collateralized; settling in the underlying keeps the call a call, at the cost of the holder
/// receiving the underlying's value rather than quote.
///
/// Margin (margined vaults, as Opyn Gamma's naked margin). Per option, in collateral units, with S the index
/// (time-weighted) price, K the strike, shock = 25 % and τ(t) = min(1, 5 % + 50 %·√(t / 365 days)) an upper bound of
/// the time value for t seconds to expiry:
///   put:  τ·min(K, S↓) + max(K − S↓, 0)            with S↓ = S·(1 − shock)                 (quote)
///   call: τ·min(1, K / S↑) + max(1 − K / S↑, 0)    with S↑ = S·(1 + shock)                 (underlying)
/// never more than the full requirement (K, or 1). A margined vault with a position holds at least
/// 1 % of a whole underlying unit (dust). One requirement serves both minting and maintenance: a vault whose
/// collateral is below it can be liquidated, one at or above it cannot.
///
/// Liquidation (a Dutch auction as Gamma's). The auction of an under-water vault starts when anyone calls
/// {startLiquidation} or {liquidate}; the discount grows from 5 % by 20 % an hour up to 25 %. A liquidator burns
/// `amount` options of the series it holds and receives their value V (the Black–Scholes premium at the index
/// price) grossed up by the discount, V / (1 − discount), capped at the vault's collateral per option. The auction
/// ends when a liquidation leaves the vault empty or above water, when a deposit or burn brings it above water, or
/// when anyone calls {startLiquidation} after the price recovered; until then a recovered vault keeps its start time
/// (its owner ends it by any deposit), so that a renewed fall would resume the discount where it was.
/// A vault under water stays liquidatable whatever the state of the optional inputs: liquidation (and
/// {vaultHealth}) reads the price source's liquidation index, which stays priced while the oracle's band is tripped,
/// and values V at the source's volatility ceiling while the volatility is stale or unset (an option is worth more at
/// a higher volatility: the liquidator is paid at least what any served volatility would pay). New margined
/// exposure ({openVault} or {mint} on a margined vault) is refused while the volatility cannot be served.
///
/// Bad debt. A vault that owes more than it holds at settlement pays what it holds; the shortfall is added to its
/// series' `badDebt` (event {BadDebtRecorded}); it is the part of the holders' claims that the payout pot can never
/// meet (the last holders to exercise bear it). Fully collateralized vaults never produce any.
interface IAIPowerDerivatives {
    struct SeriesParams {
        // pool id the price source knows the underlying by
        uint64 underlyingPoolId;
        // the underlying token (calls' collateral) and the quote token (puts' collateral)
        address underlying;
        address quote;
        // quote per whole underlying unit (wad)
        uint128 strikeWad;
        uint40 expiry;
        bool isCall;
    }

    struct Series {
        // slot 0
        address underlying;
        uint40 expiry;
        bool isCall;
        uint8 underlyingDecimals;
        uint8 collateralDecimals;
        bool settled;
        // slot 1
        address collateral;
        uint64 underlyingPoolId;
        // slot 2
        uint128 strikeWad;
        uint128 settlementWad;
        // slot 3: options outstanding (minted − burned, exercised ones included until their vault settles) and the
        // collateral locked in the series' vaults
        uint128 totalShort;
        uint128 collateralLocked;
        // slot 4: settled obligations not yet paid to holders, and unpayable claims
        uint128 pot;
        uint128 badDebt;
        // slot 5: the token premiums of offers are paid in
        address quote;
    }

    struct Vault {
        // slot 0
        address owner;
        uint32 seriesId;
        bool margined;
        // when its liquidation auction started (0: none)
        uint40 auctionStart;
        // slot 1
        uint128 collateral;
        uint128 short;
    }

    struct Offer {
        address maker;
        uint32 seriesId;
        uint40 validUntil;
        uint128 amount;
        // total premium, in the series' quote token
        uint128 premium;
    }

    error ZeroAddress();
    error ZeroAmount();
    error InvalidSeries();
    error SeriesExists(uint256 seriesId);
    error UnknownSeries(uint256 seriesId);
    error UnknownVault(uint256 vaultId);
    error UnknownOffer(uint256 offerId);
    error SeriesExpired(uint256 seriesId, uint256 expiry);
    error SeriesNotExpired(uint256 seriesId, uint256 expiry);
    error NotVaultOwner(uint256 vaultId, address caller);
    error NotOfferMaker(uint256 offerId, address caller);
    error BelowRequirement(uint256 collateral, uint256 requirement);
    error InsufficientCollateral(uint256 available, uint256 requested);
    error InsufficientShort(uint256 short, uint256 requested);
    error BelowMinPosition(uint256 amount, uint256 minAmount);
    error OfferExpired(uint256 offerId, uint256 validUntil);
    error DeadlineExpired(uint256 deadline);
    error PremiumAboveMax(uint256 premium, uint256 maxPremium);
    error NotMargined(uint256 vaultId);
    error VaultHealthy(uint256 vaultId, uint256 collateral, uint256 requirement);
    error InsufficientSettledCollateral(uint256 seriesId, uint256 pot, uint256 payout);
    error LengthMismatch();
    error TransferAmountMismatch(address token, uint256 expected, uint256 received);
    error AmountTooLarge();

    event SeriesCreated(
        uint256 indexed seriesId,
        uint256 indexed underlyingPoolId,
        address underlying,
        address collateral,
        uint256 strikeWad,
        uint256 expiry,
        bool isCall
    );
    event VaultOpened(
        uint256 indexed vaultId, uint256 indexed seriesId, address indexed owner, bool margined
    );
    event CollateralDeposited(uint256 indexed vaultId, address indexed from, uint256 amount);
    event CollateralWithdrawn(uint256 indexed vaultId, address indexed to, uint256 amount);
    event OptionsMinted(
        uint256 indexed vaultId, uint256 indexed seriesId, address indexed to, uint256 amount
    );
    event OptionsBurned(
        uint256 indexed vaultId, uint256 indexed seriesId, address indexed from, uint256 amount
    );
    event OfferCreated(
        uint256 indexed offerId,
        uint256 indexed seriesId,
        address indexed maker,
        uint256 amount,
        uint256 premium,
        uint256 validUntil
    );
    event OfferCancelled(uint256 indexed offerId);
    event OfferTaken(uint256 indexed offerId, address indexed taker, uint256 amount, uint256 premium);
    event SettlementPriceSet(uint256 indexed seriesId, uint256 settlementWad);
    event OptionsExercised(
        uint256 indexed seriesId, address indexed holder, address to, uint256 amount, uint256 payout
    );
    event VaultSettled(uint256 indexed vaultId, uint256 indexed seriesId, uint256 owed, uint256 returned);
    event BadDebtRecorded(
        uint256 indexed seriesId, uint256 indexed vaultId, uint256 shortfall, uint256 totalBadDebt
    );
    event LiquidationStarted(uint256 indexed vaultId, uint256 collateral, uint256 requirement);
    event LiquidationCleared(uint256 indexed vaultId);
    event VaultLiquidated(
        uint256 indexed vaultId,
        address indexed liquidator,
        uint256 amount,
        uint256 collateralPaid,
        uint256 discountWad
    );

    /// @notice Lists a series. Restricted (AccessManager; the admin by default). Calls are collateralized in
    /// `underlying`, puts in `quote`. The price source must price the index now, the expiry must lie ahead, tokens
    /// have at most 18 decimals, and (pool, underlying, quote, strike, expiry, type) must be new.
    function createSeries(SeriesParams calldata params) external returns (uint256 seriesId);

    /// @notice Opens a vault on a series owned by the caller, locks `collateral` from the caller in it and mints
    /// `amount` options to the caller (either may be 0; not both), checking the requirement. Halted while paused.
    /// A margined vault with options needs the source's volatility to be served (reverts as the source does while it
    /// is stale).
    function openVault(uint256 seriesId, bool margined, uint256 collateral, uint256 amount)
        external
        returns (uint256 vaultId);

    /// @notice Anyone: locks `amount` more collateral from the caller in a vault, before expiry. Open while paused.
    /// Clears a running liquidation auction when the vault is back above its requirement.
    function deposit(uint256 vaultId, uint256 amount) external;

    /// @notice Vault owner, before expiry: mints `amount` options to `to` against the vault, which must then meet
    /// its requirement. Halted while paused. On a margined vault the source's volatility must be served (reverts as
    /// the source does while it is stale).
    function mint(uint256 vaultId, uint256 amount, address to) external;

    /// @notice Vault owner, before expiry: burns `amount` of the caller's options of the vault's series and
    /// lowers its short position by as much (early close-out). Open while paused.
    function burn(uint256 vaultId, uint256 amount) external;

    /// @notice Vault owner, before expiry: takes `amount` of free collateral (what the requirement leaves) to `to`.
    /// After expiry a vault is closed with {settleVault}. Open while paused.
    function withdraw(uint256 vaultId, uint256 amount, address to) external;

    /// @notice Anyone, after expiry: fixes the series' settlement price if needed, moves what the vault owes
    /// (short × payoff, at most its collateral) into the series' payout pot, records any shortfall as bad debt and
    /// returns the rest to the vault's owner. The vault is closed.
    function settleVault(uint256 vaultId) external returns (uint256 owed, uint256 returned);

    /// @notice Holder, after expiry: burns `amount` of the caller's options and pays their payoff (per whole unit
    /// max(S − K, 0) / S underlying for a call, max(K − S, 0) quote for a put, S the settlement price) to `to` from
    /// the series' payout pot (reverts while the pot, filled by {settleVault}, cannot pay). Options that expire out
    /// of the money are burned for nothing.
    function exerciseOption(uint256 seriesId, uint256 amount, address to) external returns (uint256 payout);

    /// @notice Anyone, after expiry: exercises every option of `seriesId` each listed holder has, paying the payoff to
    /// the holder itself (for the expiry keeper, so that no holder must act to be paid). Nothing happens out of the
    /// money; a holder with no balance (or listed twice), and the contract itself (offers' escrow), is skipped. Reverts, as {exerciseOption}, while the pot
    /// cannot pay.
    /// @return payouts What each listed holder was paid, in the series' collateral.
    function exerciseFor(uint256 seriesId, address[] calldata holders)
        external
        returns (uint256[] memory payouts);

    /// @notice {exerciseOption} over several series (ids may repeat: each entry burns its own options).
    function exerciseBatch(uint256[] calldata seriesIds, uint256[] calldata amounts, address to)
        external
        returns (uint256[] memory payouts);

    /// @notice Anyone: starts the liquidation auction of a margined vault below its requirement, or clears a
    /// running one of a vault back above it. No-op otherwise.
    function startLiquidation(uint256 vaultId) external;

    /// @notice Anyone, before expiry, even while paused: burns `amount` of the caller's options of a margined vault
    /// below its requirement (at the liquidation index, priced even while the oracle's band is tripped) and pays the
    /// caller their value grossed up by the auction's discount, capped at the vault's collateral per option (the value
    /// at the volatility ceiling while the volatility is stale). What remains must be none or at least the dust
    /// minimum.
    function liquidate(uint256 vaultId, uint256 amount) external returns (uint256 collateralPaid);

    /// @notice Writer's offer (the seed's bilateral createOption): escrows `amount` of the caller's options of a
    /// series here, for sale as a whole for `premium` quote until `validUntil` (at most the second before expiry).
    /// Halted while paused.
    function createOption(uint256 seriesId, uint256 amount, uint256 premium, uint256 validUntil)
        external
        returns (uint256 offerId);

    /// @notice Maker: returns an offer's escrowed options. Open while paused.
    function cancelOption(uint256 offerId) external;

    /// @notice Buyer: pays the offer's premium (at most `maxPremium`, before `deadline`) to its maker and receives
    /// its options. Halted while paused.
    function takeOffer(uint256 offerId, uint256 maxPremium, uint256 deadline) external;

    /// @notice Halts new positions (series, vaults, minting, offers, taking offers); deposits, burns, withdrawals,
    /// settlement, exercise and liquidation stay open. Restricted: the guardian.
    function pause() external;

    /// @notice Restricted: the guardian.
    function unpause() external;

    function priceSource() external view returns (IOptionPriceSource);

    function seriesCount() external view returns (uint256);

    function vaultCount() external view returns (uint256);

    function offerCount() external view returns (uint256);

    function getSeries(uint256 seriesId) external view returns (Series memory);

    function getVault(uint256 vaultId) external view returns (Vault memory);

    function getOffer(uint256 offerId) external view returns (Offer memory);

    /// @notice The collateral `amount` options of the series need (full or margined, index price now), in raw
    /// collateral units, rounded up.
    function requirement(uint256 seriesId, uint256 amount, bool margined) external view returns (uint256);

    /// @notice A vault's collateral and requirement now (a margined vault's at the liquidation index), and whether
    /// {liquidate} would accept it.
    function vaultHealth(uint256 vaultId)
        external
        view
        returns (uint256 collateral, uint256 required, bool liquidatable);

    /// @notice The discount a liquidator gets on a vault now (wad; 0 when no auction runs).
    function liquidationDiscount(uint256 vaultId) external view returns (uint256 discountWad);

    /// @notice The smallest position a margined vault may hold (raw underlying units: 1 % of a whole unit).
    function minMarginedAmount(uint256 seriesId) external view returns (uint256);

    /// @notice Premium of one whole unit of the series' option now (quote wad), from the pricing library at the
    /// index price, the source's volatility and the time to expiry (0 after it).
    function calculatePremium(uint256 seriesId) external view returns (uint256 premiumWad);

    /// @notice Delta of the series' option now (wad, signed), from the pricing library.
    function delta(uint256 seriesId) external view returns (int256 deltaWad);
}
