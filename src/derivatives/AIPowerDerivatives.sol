// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ERC6909} from "@openzeppelin/contracts/token/ERC6909/ERC6909.sol";
import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IAIPowerDerivatives} from "../interfaces/IAIPowerDerivatives.sol";
import {IOptionPriceSource} from "../interfaces/IOptionPriceSource.sol";
import {BlackScholes} from "../libraries/BlackScholes.sol";

/// @title AIPowerDerivatives
/// @notice European cash-settled options on a compute-price index: series, writers' vaults (fully collateralized or
/// margined), ERC-6909 option balances, bilateral offers, exercise and vault settlement after expiry, and Dutch
/// auction liquidation of margined vaults. See {IAIPowerDerivatives} for the collateral model, the margin formula,
/// the auction and the bad-debt accounting.
/// @dev Storage is packed so that each operation writes few slots: a vault is two slots (owner/series/flags, and
/// collateral/short), a series keeps its hot totals (short, locked collateral) in one slot and its post-expiry
/// totals (pot, bad debt) in another. Token decimals enter in one function, {_toCollateral}. Every price comes from
/// the price source's time-weighted index or its immutable settlement price, never from a spot price; every premium
/// and delta is Black–Scholes ({BlackScholes}) at the index price and the underlying's governed volatility.
contract AIPowerDerivatives is
    IAIPowerDerivatives,
    ERC6909,
    AccessManaged,
    Pausable,
    ReentrancyGuardTransient
{
    using SafeERC20 for IERC20;

    uint256 internal constant WAD = 1e18;
    /// @notice The spot shock of the margin formula: 25 % down for puts, up for calls.
    uint256 public constant SPOT_SHOCK_WAD = 0.25e18;
    /// @notice τ(t) = min(1, TAU_FLOOR + TAU_SLOPE·√(t / TAU_HORIZON)).
    uint256 public constant TAU_FLOOR_WAD = 0.05e18;
    uint256 public constant TAU_SLOPE_WAD = 0.5e18;
    uint256 public constant TAU_HORIZON = 365 days;
    /// @notice The liquidation auction: the discount starts at 5 %, grows by 20 % an hour, and stops at 25 %.
    uint256 public constant AUCTION_START_DISCOUNT_WAD = 0.05e18;
    uint256 public constant AUCTION_DISCOUNT_PER_SECOND_WAD = uint256(0.2e18) / 3600;
    uint256 public constant AUCTION_MAX_DISCOUNT_WAD = 0.25e18;
    /// @notice The interest rate given to the pricing library (none: collateral earns nothing here).
    uint256 public constant RATE_WAD = 0;
    /// @notice A margined vault's position is 0 or at least 1 / MIN_POSITION_DIVISOR of a whole underlying unit.
    uint256 public constant MIN_POSITION_DIVISOR = 100;

    /// @inheritdoc IAIPowerDerivatives
    IOptionPriceSource public immutable priceSource;

    mapping(uint256 seriesId => Series) internal _series;
    mapping(bytes32 key => uint256 seriesIdPlusOne) internal _seriesByKey;
    mapping(uint256 vaultId => Vault) internal _vaults;
    mapping(uint256 offerId => Offer) internal _offers;
    uint256 internal _seriesCount;
    uint256 internal _vaultCount;
    uint256 internal _offerCount;

    /// @param authority The protocol's AccessManager (the admin lists series, the guardian may pause).
    /// @param priceSource_ Index, settlement and volatility prices.
    constructor(address authority, IOptionPriceSource priceSource_) AccessManaged(authority) {
        if (address(priceSource_) == address(0)) revert ZeroAddress();
        priceSource = priceSource_;
    }

    // ─── Series ───────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IAIPowerDerivatives
    function createSeries(SeriesParams calldata p)
        external
        restricted
        whenNotPaused
        returns (uint256 seriesId)
    {
        if (p.underlying == address(0) || p.quote == address(0)) revert ZeroAddress();
        if (p.underlying == p.quote || p.strikeWad == 0 || p.expiry <= block.timestamp) {
            revert InvalidSeries();
        }
        bytes32 key = keccak256(abi.encode(p));
        uint256 existing = _seriesByKey[key];
        if (existing != 0) revert SeriesExists(existing - 1);
        uint8 underlyingDecimals = IERC20Metadata(p.underlying).decimals();
        uint8 quoteDecimals = IERC20Metadata(p.quote).decimals();
        if (underlyingDecimals > 18 || quoteDecimals > 18) revert InvalidSeries();
        // fails closed: a series whose pool, expiry or index the price source cannot serve is not listed
        priceSource.checkSeries(p.underlyingPoolId, p.underlying, p.quote, p.expiry);
        priceSource.indexPriceWad(p.underlyingPoolId);

        seriesId = _seriesCount++;
        if (seriesId > type(uint32).max) revert AmountTooLarge();
        _seriesByKey[key] = seriesId + 1;
        address collateral = p.isCall ? p.underlying : p.quote;
        Series storage s = _series[seriesId];
        s.underlying = p.underlying;
        s.expiry = p.expiry;
        s.isCall = p.isCall;
        s.underlyingDecimals = underlyingDecimals;
        s.collateralDecimals = p.isCall ? underlyingDecimals : quoteDecimals;
        s.collateral = collateral;
        s.underlyingPoolId = p.underlyingPoolId;
        s.strikeWad = p.strikeWad;
        s.quote = p.quote;
        emit SeriesCreated(
            seriesId, p.underlyingPoolId, p.underlying, collateral, p.strikeWad, p.expiry, p.isCall
        );
    }

    // ─── Vaults ───────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IAIPowerDerivatives
    function openVault(uint256 seriesId, bool margined, uint256 collateral, uint256 amount)
        external
        nonReentrant
        whenNotPaused
        returns (uint256 vaultId)
    {
        Series storage s = _liveSeries(seriesId);
        if (collateral == 0 && amount == 0) revert ZeroAmount();
        vaultId = _vaultCount++;
        uint128 collateral128 = SafeCast.toUint128(collateral);
        uint128 amount128 = SafeCast.toUint128(amount);
        Vault storage v = _vaults[vaultId];
        v.owner = msg.sender;
        v.seriesId = uint32(seriesId);
        v.margined = margined;
        v.collateral = collateral128;
        v.short = amount128;
        emit VaultOpened(vaultId, seriesId, msg.sender, margined);
        _addToSeries(s, collateral, amount);
        if (amount != 0) {
            _checkRequirement(s, margined, collateral, amount);
            if (margined) _checkVolatilityFresh(s);
            _mint(msg.sender, seriesId, amount);
            emit OptionsMinted(vaultId, seriesId, msg.sender, amount);
        }
        if (collateral != 0) {
            emit CollateralDeposited(vaultId, msg.sender, collateral);
            _pull(s.collateral, collateral);
        }
    }

    /// @inheritdoc IAIPowerDerivatives
    /// @dev Deliberately not `whenNotPaused`: adding collateral only makes a vault safer.
    function deposit(uint256 vaultId, uint256 amount) external nonReentrant {
        Vault storage v = _existingVault(vaultId);
        if (amount == 0) revert ZeroAmount();
        uint256 seriesId = v.seriesId;
        Series storage s = _liveSeries(seriesId);
        uint256 collateral = v.collateral + amount;
        v.collateral = SafeCast.toUint128(collateral);
        _addToSeries(s, amount, 0);
        emit CollateralDeposited(vaultId, msg.sender, amount);
        if (v.auctionStart != 0) _pokeAuction(vaultId, v, s, collateral);
        _pull(s.collateral, amount);
    }

    /// @inheritdoc IAIPowerDerivatives
    function mint(uint256 vaultId, uint256 amount, address to) external nonReentrant whenNotPaused {
        Vault storage v = _ownedVault(vaultId);
        if (amount == 0) revert ZeroAmount();
        if (to == address(0)) revert ZeroAddress();
        uint256 seriesId = v.seriesId;
        Series storage s = _liveSeries(seriesId);
        uint256 short = v.short + amount;
        v.short = SafeCast.toUint128(short);
        _addToSeries(s, 0, amount);
        bool margined = v.margined;
        _checkRequirement(s, margined, v.collateral, short);
        if (margined) _checkVolatilityFresh(s);
        _mint(to, seriesId, amount);
        emit OptionsMinted(vaultId, seriesId, to, amount);
    }

    /// @inheritdoc IAIPowerDerivatives
    function burn(uint256 vaultId, uint256 amount) external nonReentrant {
        Vault storage v = _ownedVault(vaultId);
        if (amount == 0) revert ZeroAmount();
        uint256 seriesId = v.seriesId;
        Series storage s = _liveSeries(seriesId);
        uint256 short = v.short;
        if (amount > short) revert InsufficientShort(short, amount);
        short -= amount;
        if (v.margined && short != 0) _checkMinPosition(s, short);
        v.short = uint128(short);
        s.totalShort -= uint128(amount);
        _burn(msg.sender, seriesId, amount);
        emit OptionsBurned(vaultId, seriesId, msg.sender, amount);
        if (v.auctionStart != 0) _pokeAuction(vaultId, v, s, v.collateral);
    }

    /// @inheritdoc IAIPowerDerivatives
    function withdraw(uint256 vaultId, uint256 amount, address to) external nonReentrant {
        Vault storage v = _ownedVault(vaultId);
        if (amount == 0) revert ZeroAmount();
        if (to == address(0)) revert ZeroAddress();
        uint256 seriesId = v.seriesId;
        Series storage s = _liveSeries(seriesId);
        uint256 collateral = v.collateral;
        if (amount > collateral) revert InsufficientCollateral(collateral, amount);
        collateral -= amount;
        uint256 short = v.short;
        if (short != 0) _checkRequirement(s, v.margined, collateral, short);
        v.collateral = uint128(collateral);
        s.collateralLocked -= uint128(amount);
        emit CollateralWithdrawn(vaultId, to, amount);
        IERC20(s.collateral).safeTransfer(to, amount);
    }

    // ─── Expiry ───────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IAIPowerDerivatives
    function settleVault(uint256 vaultId) external nonReentrant returns (uint256 owed, uint256 returned) {
        Vault storage v = _existingVault(vaultId);
        address owner = v.owner;
        uint256 seriesId = v.seriesId;
        uint256 collateral = v.collateral;
        uint256 short = v.short;
        Series storage s = _series[seriesId];
        uint256 payoffWad = _payoffWad(s, seriesId);
        uint256 due = _toCollateral(s, short, payoffWad, Math.Rounding.Ceil);
        uint256 shortfall;
        if (due > collateral) {
            (owed, shortfall) = (collateral, due - collateral);
        } else {
            owed = due;
        }
        returned = collateral - owed;
        delete _vaults[vaultId];
        s.totalShort -= uint128(short);
        s.collateralLocked -= uint128(collateral);
        uint128 pot = s.pot + uint128(owed);
        s.pot = pot;
        emit VaultSettled(vaultId, seriesId, owed, returned);
        if (shortfall != 0) {
            uint256 badDebt = s.badDebt + shortfall;
            s.badDebt = SafeCast.toUint128(badDebt);
            emit BadDebtRecorded(seriesId, vaultId, shortfall, badDebt);
        }
        if (returned != 0) IERC20(s.collateral).safeTransfer(owner, returned);
    }

    /// @inheritdoc IAIPowerDerivatives
    function exerciseOption(uint256 seriesId, uint256 amount, address to)
        external
        nonReentrant
        returns (uint256 payout)
    {
        if (to == address(0)) revert ZeroAddress();
        payout = _exercise(seriesId, amount, to);
        if (payout != 0) IERC20(_series[seriesId].collateral).safeTransfer(to, payout);
    }

    /// @inheritdoc IAIPowerDerivatives
    function exerciseBatch(uint256[] calldata seriesIds, uint256[] calldata amounts, address to)
        external
        nonReentrant
        returns (uint256[] memory payouts)
    {
        if (to == address(0)) revert ZeroAddress();
        uint256 count = seriesIds.length;
        if (amounts.length != count) revert LengthMismatch();
        payouts = new uint256[](count);
        for (uint256 i; i < count; ++i) {
            payouts[i] = _exercise(seriesIds[i], amounts[i], to);
        }
        // transfers after every burn and pot update (checks-effects-interactions over the whole batch)
        for (uint256 i; i < count; ++i) {
            if (payouts[i] != 0) IERC20(_series[seriesIds[i]].collateral).safeTransfer(to, payouts[i]);
        }
    }

    /// @inheritdoc IAIPowerDerivatives
    /// @dev Safe for anyone to call: after expiry a European option in the money is worth exactly its payoff, which
    /// goes to its holder, never to the caller; a holder listed twice, or already exercised, has nothing left.
    function exerciseFor(uint256 seriesId, address[] calldata holders)
        external
        nonReentrant
        returns (uint256[] memory payouts)
    {
        Series storage s = _knownSeries(seriesId);
        uint256 payoffWad = _payoffWad(s, seriesId);
        uint256 count = holders.length;
        payouts = new uint256[](count);
        // out of the money: nothing to pay, and the holders keep their (worthless) balances
        if (payoffWad == 0) return payouts;
        for (uint256 i; i < count; ++i) {
            address holder = holders[i];
            // this contract's own balance is offers' escrow: only the offer's writer (by cancelling) or its taker
            // may move it
            if (holder == address(this)) continue;
            uint256 amount = balanceOf(holder, seriesId);
            if (amount != 0) payouts[i] = _redeem(s, seriesId, holder, amount, payoffWad, holder);
        }
        // transfers after every burn and pot update (checks-effects-interactions over the whole batch)
        address collateral = s.collateral;
        for (uint256 i; i < count; ++i) {
            if (payouts[i] != 0) IERC20(collateral).safeTransfer(holders[i], payouts[i]);
        }
    }

    // ─── Liquidation ──────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IAIPowerDerivatives
    function startLiquidation(uint256 vaultId) external nonReentrant {
        Vault storage v = _existingVault(vaultId);
        if (!v.margined) revert NotMargined(vaultId);
        Series storage s = _liveSeries(v.seriesId);
        _pokeAuction(vaultId, v, s, v.collateral);
    }

    /// @inheritdoc IAIPowerDerivatives
    /// @dev Deliberately not `whenNotPaused`: liquidations keep the protocol solvent while new positions are halted.
    function liquidate(uint256 vaultId, uint256 amount)
        external
        nonReentrant
        returns (uint256 collateralPaid)
    {
        Vault storage v = _existingVault(vaultId);
        if (!v.margined) revert NotMargined(vaultId);
        if (amount == 0) revert ZeroAmount();
        uint256 seriesId = v.seriesId;
        Series storage s = _liveSeries(seriesId);
        uint256 collateral = v.collateral;
        uint256 short = v.short;
        if (amount > short) revert InsufficientShort(short, amount);
        uint256 start;
        uint256 discount;
        (collateralPaid, start, discount) = _auction(vaultId, v, s, amount, collateral, short);
        short -= amount;
        collateral -= collateralPaid;
        if (short != 0) _checkMinPosition(s, short);
        v.short = uint128(short);
        v.collateral = uint128(collateral);
        // the auction goes on while the vault stays under water
        v.auctionStart = uint40(start);
        s.totalShort -= uint128(amount);
        s.collateralLocked -= uint128(collateralPaid);
        _burn(msg.sender, seriesId, amount);
        emit VaultLiquidated(vaultId, msg.sender, amount, collateralPaid, discount);
        if (collateralPaid != 0) IERC20(s.collateral).safeTransfer(msg.sender, collateralPaid);
    }

    // ─── Offers ───────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IAIPowerDerivatives
    function createOption(uint256 seriesId, uint256 amount, uint256 premium, uint256 validUntil)
        external
        nonReentrant
        whenNotPaused
        returns (uint256 offerId)
    {
        Series storage s = _liveSeries(seriesId);
        if (amount == 0) revert ZeroAmount();
        if (validUntil < block.timestamp) revert DeadlineExpired(validUntil);
        // an offer cannot outlive its series
        uint256 expiry = s.expiry;
        if (validUntil >= expiry) validUntil = expiry - 1;
        offerId = _offerCount++;
        _offers[offerId] = Offer({
            maker: msg.sender,
            seriesId: uint32(seriesId),
            validUntil: uint40(validUntil),
            amount: SafeCast.toUint128(amount),
            premium: SafeCast.toUint128(premium)
        });
        _transfer(msg.sender, address(this), seriesId, amount);
        emit OfferCreated(offerId, seriesId, msg.sender, amount, premium, validUntil);
    }

    /// @inheritdoc IAIPowerDerivatives
    function cancelOption(uint256 offerId) external nonReentrant {
        Offer storage o = _existingOffer(offerId);
        if (o.maker != msg.sender) revert NotOfferMaker(offerId, msg.sender);
        uint256 seriesId = o.seriesId;
        uint256 amount = o.amount;
        delete _offers[offerId];
        _transfer(address(this), msg.sender, seriesId, amount);
        emit OfferCancelled(offerId);
    }

    /// @inheritdoc IAIPowerDerivatives
    function takeOffer(uint256 offerId, uint256 maxPremium, uint256 deadline)
        external
        nonReentrant
        whenNotPaused
    {
        if (block.timestamp > deadline) revert DeadlineExpired(deadline);
        Offer storage o = _existingOffer(offerId);
        uint256 validUntil = o.validUntil;
        if (block.timestamp > validUntil) revert OfferExpired(offerId, validUntil);
        uint256 premium = o.premium;
        if (premium > maxPremium) revert PremiumAboveMax(premium, maxPremium);
        address maker = o.maker;
        uint256 seriesId = o.seriesId;
        uint256 amount = o.amount;
        delete _offers[offerId];
        _transfer(address(this), msg.sender, seriesId, amount);
        emit OfferTaken(offerId, msg.sender, amount, premium);
        if (premium != 0) IERC20(_series[seriesId].quote).safeTransferFrom(msg.sender, maker, premium);
    }

    // ─── Admin ────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IAIPowerDerivatives
    function pause() external restricted {
        _pause();
    }

    /// @inheritdoc IAIPowerDerivatives
    function unpause() external restricted {
        _unpause();
    }

    // ─── Views ────────────────────────────────────────────────────────────────────────────────

    /// @inheritdoc IAIPowerDerivatives
    function seriesCount() external view returns (uint256) {
        return _seriesCount;
    }

    /// @inheritdoc IAIPowerDerivatives
    function vaultCount() external view returns (uint256) {
        return _vaultCount;
    }

    /// @inheritdoc IAIPowerDerivatives
    function offerCount() external view returns (uint256) {
        return _offerCount;
    }

    /// @inheritdoc IAIPowerDerivatives
    function getSeries(uint256 seriesId) external view returns (Series memory) {
        return _series[seriesId];
    }

    /// @inheritdoc IAIPowerDerivatives
    function getVault(uint256 vaultId) external view returns (Vault memory) {
        return _vaults[vaultId];
    }

    /// @inheritdoc IAIPowerDerivatives
    function getOffer(uint256 offerId) external view returns (Offer memory) {
        return _offers[offerId];
    }

    /// @inheritdoc IAIPowerDerivatives
    function requirement(uint256 seriesId, uint256 amount, bool margined) external view returns (uint256) {
        Series storage s = _knownSeries(seriesId);
        if (amount == 0) return 0;
        if (!margined) return _toCollateral(s, amount, s.isCall ? WAD : s.strikeWad, Math.Rounding.Ceil);
        (uint256 spot, uint256 t) = _indexAndTime(s);
        return _requirementAt(s, amount, true, spot, t);
    }

    /// @inheritdoc IAIPowerDerivatives
    function vaultHealth(uint256 vaultId)
        external
        view
        returns (uint256 collateral, uint256 required, bool liquidatable)
    {
        Vault storage v = _existingVault(vaultId);
        Series storage s = _series[v.seriesId];
        collateral = v.collateral;
        uint256 short = v.short;
        if (short == 0) return (collateral, 0, false);
        bool margined = v.margined;
        (uint256 spot, uint256 t) = margined ? _liquidationIndexAndTime(s) : (0, 0);
        required = _requirementAt(s, short, margined, spot, t);
        liquidatable = margined && block.timestamp < s.expiry && collateral < required;
    }

    /// @inheritdoc IAIPowerDerivatives
    function liquidationDiscount(uint256 vaultId) external view returns (uint256) {
        uint256 start = _vaults[vaultId].auctionStart;
        return start == 0 ? 0 : _discount(start);
    }

    /// @inheritdoc IAIPowerDerivatives
    function minMarginedAmount(uint256 seriesId) external view returns (uint256) {
        return 10 ** _knownSeries(seriesId).underlyingDecimals / MIN_POSITION_DIVISOR;
    }

    /// @inheritdoc IAIPowerDerivatives
    function calculatePremium(uint256 seriesId) external view returns (uint256) {
        Series storage s = _knownSeries(seriesId);
        (uint256 spot, uint256 t) = _indexAndTime(s);
        return _premiumWad(s, spot, t, t == 0 ? 0 : priceSource.volatilityWad(s.underlyingPoolId));
    }

    /// @inheritdoc IAIPowerDerivatives
    function delta(uint256 seriesId) external view returns (int256) {
        Series storage s = _knownSeries(seriesId);
        (uint256 spot, uint256 t) = _indexAndTime(s);
        uint256 strike = s.strikeWad;
        bool isCall = s.isCall;
        // At expiry an option's value moves one for one with the index on its money side, not at all on the other.
        if (t == 0) {
            if (isCall) return spot > strike ? int256(WAD) : int256(0);
            return strike > spot ? -int256(WAD) : int256(0);
        }
        return
            BlackScholes.delta(
                spot, strike, t, priceSource.volatilityWad(s.underlyingPoolId), RATE_WAD, isCall
            );
    }

    // ─── Internal: lookups ────────────────────────────────────────────────────────────────────

    function _knownSeries(uint256 seriesId) internal view returns (Series storage s) {
        s = _series[seriesId];
        if (s.underlying == address(0)) revert UnknownSeries(seriesId);
    }

    /// @dev A known series before its expiry (positions can still change).
    function _liveSeries(uint256 seriesId) internal view returns (Series storage s) {
        s = _knownSeries(seriesId);
        uint256 expiry = s.expiry;
        if (block.timestamp >= expiry) revert SeriesExpired(seriesId, expiry);
    }

    function _existingVault(uint256 vaultId) internal view returns (Vault storage v) {
        v = _vaults[vaultId];
        if (v.owner == address(0)) revert UnknownVault(vaultId);
    }

    function _ownedVault(uint256 vaultId) internal view returns (Vault storage v) {
        v = _existingVault(vaultId);
        if (v.owner != msg.sender) revert NotVaultOwner(vaultId, msg.sender);
    }

    function _existingOffer(uint256 offerId) internal view returns (Offer storage o) {
        o = _offers[offerId];
        if (o.maker == address(0)) revert UnknownOffer(offerId);
    }

    // ─── Internal: accounting ─────────────────────────────────────────────────────────────────

    /// @dev One write of the series' hot slot.
    function _addToSeries(Series storage s, uint256 collateral, uint256 amount) internal {
        s.collateralLocked = SafeCast.toUint128(s.collateralLocked + collateral);
        s.totalShort = SafeCast.toUint128(s.totalShort + amount);
    }

    function _checkRequirement(Series storage s, bool margined, uint256 collateral, uint256 short)
        internal
        view
    {
        if (margined) _checkMinPosition(s, short);
        (uint256 spot, uint256 t) = margined ? _indexAndTime(s) : (0, 0);
        uint256 required = _requirementAt(s, short, margined, spot, t);
        if (collateral < required) revert BelowRequirement(collateral, required);
    }

    function _checkMinPosition(Series storage s, uint256 short) internal view {
        uint256 minAmount = 10 ** s.underlyingDecimals / MIN_POSITION_DIVISOR;
        if (short < minAmount) revert BelowMinPosition(short, minAmount);
    }

    /// @dev Burns a holder's options after expiry and takes their payoff from the pot.
    function _exercise(uint256 seriesId, uint256 amount, address to) internal returns (uint256 payout) {
        if (amount == 0) revert ZeroAmount();
        Series storage s = _knownSeries(seriesId);
        payout = _redeem(s, seriesId, msg.sender, amount, _payoffWad(s, seriesId), to);
    }

    /// @dev Burns `amount` of `holder`'s options and takes their payoff from the series' pot (the caller pays it).
    function _redeem(
        Series storage s,
        uint256 seriesId,
        address holder,
        uint256 amount,
        uint256 payoffWad,
        address to
    ) internal returns (uint256 payout) {
        payout = _toCollateral(s, amount, payoffWad, Math.Rounding.Floor);
        _burn(holder, seriesId, amount);
        if (payout != 0) {
            uint256 pot = s.pot;
            if (payout > pot) revert InsufficientSettledCollateral(seriesId, pot, payout);
            s.pot = uint128(pot - payout);
        }
        emit OptionsExercised(seriesId, holder, to, amount, payout);
    }

    /// @dev The payoff per whole unit in collateral (wad), fixing and caching the settlement price on first use.
    function _payoffWad(Series storage s, uint256 seriesId) internal returns (uint256) {
        uint256 expiry = s.expiry;
        if (block.timestamp < expiry) revert SeriesNotExpired(seriesId, expiry);
        uint256 settlement;
        if (s.settled) {
            settlement = s.settlementWad;
        } else {
            uint256 poolId = s.underlyingPoolId;
            bool finalized;
            (settlement, finalized) = priceSource.settlementPriceWad(poolId, expiry);
            if (!finalized) settlement = priceSource.finalizeSettlement(poolId, expiry);
            s.settlementWad = SafeCast.toUint128(settlement);
            s.settled = true;
            emit SettlementPriceSet(seriesId, settlement);
        }
        uint256 strike = s.strikeWad;
        if (s.isCall) return settlement > strike ? Math.mulDiv(settlement - strike, WAD, settlement) : 0;
        return strike > settlement ? strike - settlement : 0;
    }

    /// @dev Checks that the vault is under water at the index price, starts its auction if none runs, and prices
    /// `amount` options: their value grossed up by the discount, capped at their share of the vault's collateral.
    /// `start` is the auction start to store: 0 when the liquidation leaves the vault empty or back above water
    /// (a later fall starts a new auction at the start discount).
    function _auction(
        uint256 vaultId,
        Vault storage v,
        Series storage s,
        uint256 amount,
        uint256 collateral,
        uint256 short
    ) internal returns (uint256 collateralPaid, uint256 start, uint256 discount) {
        (uint256 spot, uint256 t) = _liquidationIndexAndTime(s);
        uint256 required = _requirementAt(s, short, true, spot, t);
        if (collateral >= required) revert VaultHealthy(vaultId, collateral, required);
        start = v.auctionStart;
        if (start == 0) {
            start = block.timestamp;
            emit LiquidationStarted(vaultId, collateral, required);
        }
        discount = _discount(start);
        collateralPaid = Math.min(
            _toCollateral(s, amount, _liquidationPriceWad(s, spot, t, discount), Math.Rounding.Floor),
            Math.mulDiv(collateral, amount, short)
        );
        short -= amount;
        if (short == 0 || collateral - collateralPaid >= _requirementAt(s, short, true, spot, t)) start = 0;
    }

    /// @dev Starts the auction of a vault under water, clears it for a vault back above water (at the liquidation
    /// index, as {liquidate} judges it). A no-op when the index cannot be priced: deposits and burns stay open when
    /// the price source fails.
    function _pokeAuction(uint256 vaultId, Vault storage v, Series storage s, uint256 collateral) internal {
        uint256 short = v.short;
        bool under;
        uint256 required;
        if (short != 0) {
            uint256 expiry = s.expiry;
            try priceSource.liquidationIndexPriceWad(s.underlyingPoolId) returns (uint256 spot) {
                required = _requirementAt(s, short, true, spot, expiry - block.timestamp);
            } catch {
                return;
            }
            under = collateral < required;
        }
        if (under && v.auctionStart == 0) {
            v.auctionStart = uint40(block.timestamp);
            emit LiquidationStarted(vaultId, collateral, required);
        } else if (!under && v.auctionStart != 0) {
            v.auctionStart = 0;
            emit LiquidationCleared(vaultId);
        }
    }

    // ─── Internal: math ───────────────────────────────────────────────────────────────────────

    /// @dev The one place where token decimals enter: `amount` raw underlying units at `perUnitWad` collateral per
    /// whole underlying unit (wad) → raw collateral units.
    function _toCollateral(Series storage s, uint256 amount, uint256 perUnitWad, Math.Rounding rounding)
        internal
        view
        returns (uint256)
    {
        return Math.mulDiv(
            amount,
            perUnitWad * 10 ** s.collateralDecimals,
            10 ** (uint256(s.underlyingDecimals) + 18),
            rounding
        );
    }

    function _indexAndTime(Series storage s) internal view returns (uint256 spot, uint256 t) {
        spot = priceSource.indexPriceWad(s.underlyingPoolId);
        uint256 expiry = s.expiry;
        t = block.timestamp < expiry ? expiry - block.timestamp : 0;
    }

    /// @dev {_indexAndTime} at the liquidation index: still priced while the oracle's band is tripped, so that
    /// tripping it cannot freeze the liquidation of a vault under water.
    function _liquidationIndexAndTime(Series storage s) internal view returns (uint256 spot, uint256 t) {
        spot = priceSource.liquidationIndexPriceWad(s.underlyingPoolId);
        uint256 expiry = s.expiry;
        t = block.timestamp < expiry ? expiry - block.timestamp : 0;
    }

    /// @dev The volatility a liquidation values options at: the source's, or while it cannot serve one (stale or
    /// unset) its ceiling, the highest it could serve. An option is worth more at a higher volatility, so the
    /// liquidator is paid at least what any served volatility would pay him: a vault under water stays
    /// liquidatable whatever the feed's age. No volatility enters at expiry (t = 0: the intrinsic value).
    function _liquidationVolatility(Series storage s, uint256 t) internal view returns (uint256) {
        if (t == 0) return 0;
        uint256 poolId = s.underlyingPoolId;
        try priceSource.volatilityWad(poolId) returns (uint256 volatilityWad) {
            return volatilityWad;
        } catch {
            return priceSource.volatilityCeilingWad(poolId);
        }
    }

    /// @dev What a liquidator is paid per whole unit (collateral wad): the value at the liquidation volatility grossed
    /// up by the discount.
    function _liquidationPriceWad(Series storage s, uint256 spot, uint256 t, uint256 discount)
        internal
        view
        returns (uint256)
    {
        return Math.mulDiv(_valuePerUnitWad(s, spot, t, _liquidationVolatility(s, t)), WAD, WAD - discount);
    }

    /// @dev New margined exposure only while the volatility is served (reverts as the source does, e.g. stale): a
    /// liquidation then values at the ceiling, which no writer should be able to add leverage against.
    function _checkVolatilityFresh(Series storage s) internal view {
        priceSource.volatilityWad(s.underlyingPoolId);
    }

    /// @dev The collateral `short` options need: full (K or one underlying per unit) or the margin formula.
    function _requirementAt(Series storage s, uint256 short, bool margined, uint256 spot, uint256 t)
        internal
        view
        returns (uint256)
    {
        bool isCall = s.isCall;
        uint256 strike = s.strikeWad;
        uint256 perUnit = isCall ? WAD : strike;
        if (margined) perUnit = Math.min(perUnit, _marginPerUnitWad(isCall, strike, spot, t));
        return _toCollateral(s, short, perUnit, Math.Rounding.Ceil);
    }

    /// @dev Gamma's naked margin per whole unit (see the interface), rounded up.
    function _marginPerUnitWad(bool isCall, uint256 strike, uint256 spot, uint256 t)
        internal
        pure
        returns (uint256)
    {
        uint256 tau = Math.min(
            WAD, TAU_FLOOR_WAD + Math.mulDiv(TAU_SLOPE_WAD, Math.sqrt(t * WAD * WAD / TAU_HORIZON), WAD)
        );
        if (isCall) {
            // K / S↑ in underlying per unit, rounded down (a smaller ratio needs more margin)
            uint256 shocked = Math.mulDiv(spot, WAD + SPOT_SHOCK_WAD, WAD);
            if (shocked == 0) return WAD;
            uint256 ratio = Math.mulDiv(strike, WAD, shocked);
            if (ratio >= WAD) return tau;
            return Math.mulDiv(tau, ratio, WAD, Math.Rounding.Ceil) + WAD - ratio;
        }
        uint256 down = Math.mulDiv(spot, WAD - SPOT_SHOCK_WAD, WAD);
        if (strike <= down) return Math.mulDiv(tau, strike, WAD, Math.Rounding.Ceil);
        return Math.mulDiv(tau, down, WAD, Math.Rounding.Ceil) + strike - down;
    }

    /// @dev An option's value per whole unit in collateral (wad), Black–Scholes at `spot` and `volatilityWad`.
    function _valuePerUnitWad(Series storage s, uint256 spot, uint256 t, uint256 volatilityWad)
        internal
        view
        returns (uint256)
    {
        uint256 premiumWad = _premiumWad(s, spot, t, volatilityWad);
        if (!s.isCall) return premiumWad;
        // a call is worth premium / S underlying, at most one unit
        return spot == 0 ? 0 : Math.min(WAD, Math.mulDiv(premiumWad, WAD, spot));
    }

    /// @dev Black–Scholes premium of one whole unit in quote (wad) at `spot` and `volatilityWad`; at expiry (no time
    /// left, where the formula has no meaning) the intrinsic value.
    function _premiumWad(Series storage s, uint256 spot, uint256 t, uint256 volatilityWad)
        internal
        view
        returns (uint256)
    {
        uint256 strike = s.strikeWad;
        bool isCall = s.isCall;
        if (t == 0) {
            if (isCall) return spot > strike ? spot - strike : 0;
            return strike > spot ? strike - spot : 0;
        }
        return BlackScholes.premium(spot, strike, t, volatilityWad, RATE_WAD, isCall);
    }

    function _discount(uint256 start) internal view returns (uint256) {
        return Math.min(
            AUCTION_MAX_DISCOUNT_WAD,
            AUCTION_START_DISCOUNT_WAD + (block.timestamp - start) * AUCTION_DISCOUNT_PER_SECOND_WAD
        );
    }

    /// @dev Pulls exactly `amount` of `token` from the caller; a token that delivers less is refused.
    function _pull(address token, uint256 amount) internal {
        uint256 balanceBefore = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = IERC20(token).balanceOf(address(this)) - balanceBefore;
        if (received != amount) revert TransferAmountMismatch(token, amount, received);
    }
}
