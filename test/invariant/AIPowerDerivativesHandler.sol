// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";

import {AIPowerDerivatives} from "../../src/derivatives/AIPowerDerivatives.sol";
import {IAIPowerDerivatives} from "../../src/interfaces/IAIPowerDerivatives.sol";
import {MockPriceSource} from "../derivatives/MockPriceSource.sol";

/// @notice Drives the derivatives contract for the invariant suite: four series (a put and a call written only from
/// fully collateralized vaults, a put and a call written only from margined vaults); two writers open vaults, mint,
/// burn, deposit and withdraw; each mint's options go half to a holder and half to a liquidator; the index price
/// moves (up to ±50 % a step) and time passes (through expiry); the volatility goes stale and is refreshed, and the
/// oracle closes (a band trip: the index fails closed, the liquidation index still prices) and reopens; the
/// liquidator liquidates; after expiry anyone settles vaults and the holder and liquidator exercise in batches that
/// repeat ids.
/// @dev Ghosts: per series the payouts made, the amounts exercised, the first settlement price seen; liquidations
/// that succeeded on a vault at or above its requirement, and ones refused on a vault below it although the call was
/// valid (the liquidator held the options, the amount left no dust), whatever the volatility's age or the oracle's
/// band; margined options written while the volatility was stale.
contract AIPowerDerivativesHandler is Test {
    AIPowerDerivatives public immutable dv;
    MockPriceSource public immutable source;
    uint64 public immutable pool;
    uint256[4] public seriesIds;
    address[2] internal writers;
    address public immutable holder;
    address public immutable liquidator;

    uint256[] public vaults;
    mapping(uint256 seriesId => uint256) public ghostPaid;
    mapping(uint256 seriesId => uint256) public ghostOwed;
    mapping(uint256 seriesId => uint256) public ghostExercised;
    mapping(uint256 seriesId => uint256) public ghostSettlement;
    uint256 public ghostHealthyLiquidated;
    uint256 public ghostUnhealthyRefused;
    uint256 public ghostLiquidations;
    uint256 public ghostInputMissingLiquidations;
    uint256 public ghostMarginedWrittenWhileStale;
    uint256 public ghostExercises;
    uint256 public ghostSettles;

    constructor(
        AIPowerDerivatives dv_,
        MockPriceSource source_,
        uint64 pool_,
        uint256[4] memory seriesIds_,
        address[2] memory writers_,
        address holder_,
        address liquidator_
    ) {
        dv = dv_;
        source = source_;
        pool = pool_;
        seriesIds = seriesIds_;
        writers = writers_;
        holder = holder_;
        liquidator = liquidator_;
    }

    function vaultCount() external view returns (uint256) {
        return vaults.length;
    }

    // ─── Writers ──────────────────────────────────────────────────────────────────────────────

    function openVault(uint256 writerSeed, uint256 seriesSeed, uint256 units, uint256 extraBps) public {
        uint256 index = seriesSeed % 4;
        uint256 seriesId = seriesIds[index];
        bool margined = index >= 2;
        uint256 amount = _bound(units, 1e16, 100e18);
        uint256 required;
        try dv.requirement(seriesId, amount, margined) returns (uint256 r) {
            required = r;
        } catch {
            return;
        }
        uint256 collateral = required + required * _bound(extraBps, 0, 5_000) / 10_000;
        address writer = writers[writerSeed % 2];
        vm.prank(writer);
        try dv.openVault(seriesId, margined, collateral, amount) returns (uint256 vaultId) {
            if (margined && source.volStale(pool)) ++ghostMarginedWrittenWhileStale;
            vaults.push(vaultId);
            _distribute(writer, seriesId, amount);
        } catch {}
    }

    function mint(uint256 vaultSeed, uint256 units) public {
        if (vaults.length == 0) return;
        uint256 vaultId = vaults[vaultSeed % vaults.length];
        IAIPowerDerivatives.Vault memory v = dv.getVault(vaultId);
        if (v.owner == address(0)) return;
        uint256 amount = _bound(units, 1e15, 10e18);
        vm.prank(v.owner);
        try dv.mint(vaultId, amount, v.owner) {
            if (v.margined && source.volStale(pool)) ++ghostMarginedWrittenWhileStale;
            _distribute(v.owner, v.seriesId, amount);
        } catch {}
    }

    function deposit(uint256 vaultSeed, uint256 amountSeed) public {
        if (vaults.length == 0) return;
        uint256 vaultId = vaults[vaultSeed % vaults.length];
        IAIPowerDerivatives.Vault memory v = dv.getVault(vaultId);
        if (v.owner == address(0)) return;
        uint256 amount = _bound(amountSeed, 1, uint256(v.collateral) / 2 + 1);
        vm.prank(v.owner);
        try dv.deposit(vaultId, amount) {} catch {}
    }

    function withdraw(uint256 vaultSeed, uint256 amountSeed) public {
        if (vaults.length == 0) return;
        uint256 vaultId = vaults[vaultSeed % vaults.length];
        IAIPowerDerivatives.Vault memory v = dv.getVault(vaultId);
        if (v.owner == address(0) || v.collateral == 0) return;
        uint256 amount = _bound(amountSeed, 1, v.collateral);
        vm.prank(v.owner);
        try dv.withdraw(vaultId, amount, v.owner) {} catch {}
    }

    /// @dev The writer buys back options from the holder (a transfer) and burns them.
    function burn(uint256 vaultSeed, uint256 amountSeed) public {
        if (vaults.length == 0) return;
        uint256 vaultId = vaults[vaultSeed % vaults.length];
        IAIPowerDerivatives.Vault memory v = dv.getVault(vaultId);
        if (v.owner == address(0) || v.short == 0) return;
        uint256 held = dv.balanceOf(holder, v.seriesId);
        uint256 amount = _bound(amountSeed, 0, v.short < held ? v.short : held);
        if (amount == 0) return;
        vm.prank(holder);
        dv.transfer(v.owner, v.seriesId, amount);
        vm.prank(v.owner);
        try dv.burn(vaultId, amount) {}
        catch {
            vm.prank(v.owner);
            dv.transfer(holder, v.seriesId, amount);
        }
    }

    // ─── Market ───────────────────────────────────────────────────────────────────────────────

    /// @dev Moves the price the market has, whether the oracle serves it as the index or (closed) only to
    /// liquidations.
    function movePrice(uint256 moveSeed) public {
        bool closed = source.index(pool) == 0;
        uint256 price = closed ? source.liquidationIndex(pool) : source.index(pool);
        int256 moveBps = int256(_bound(moveSeed, 0, 10_000)) - 5_000;
        uint256 next = uint256(int256(price) + int256(price) * moveBps / 10_000);
        next = _bound(next, 0.2e18, 20e18);
        if (closed) source.setLiquidationIndexPrice(pool, next);
        else source.setIndexPrice(pool, next);
    }

    /// @dev The volatility feed goes stale (nobody refreshed it within its max age) or is refreshed.
    function setVolatilityStale(bool stale) public {
        source.setVolatilityStale(pool, stale);
    }

    /// @dev A move beyond the oracle's band closes it (the index fails closed; liquidations still read the window's
    /// time-weighted price), or the window passes and it reopens at the same price.
    function setOracleClosed(bool closed) public {
        uint256 open = source.index(pool);
        if (closed && open != 0) {
            source.setLiquidationIndexPrice(pool, open);
            source.setIndexPrice(pool, 0);
        } else if (!closed && open == 0) {
            source.setIndexPrice(pool, source.liquidationIndex(pool));
            source.setLiquidationIndexPrice(pool, 0);
        }
    }

    function warp(uint256 secondsSeed) public {
        vm.warp(block.timestamp + _bound(secondsSeed, 1, 2 days));
    }

    // ─── Liquidation ──────────────────────────────────────────────────────────────────────────

    function liquidate(uint256 vaultSeed, uint256 amountSeed, bool whole) public {
        if (vaults.length == 0) return;
        uint256 vaultId = vaults[vaultSeed % vaults.length];
        IAIPowerDerivatives.Vault memory v = dv.getVault(vaultId);
        if (v.owner == address(0) || !v.margined || v.short == 0) return;
        (uint256 collateral, uint256 required, bool liquidatable) = dv.vaultHealth(vaultId);
        uint256 held = dv.balanceOf(liquidator, v.seriesId);
        uint256 minAmount = dv.minMarginedAmount(v.seriesId);
        uint256 amount = whole ? v.short : _bound(amountSeed, 1, v.short);
        bool valid = amount <= held && (amount == v.short || v.short - amount >= minAmount);
        vm.prank(liquidator);
        try dv.liquidate(vaultId, amount) {
            ++ghostLiquidations;
            if (source.volStale(pool) || source.index(pool) == 0) ++ghostInputMissingLiquidations;
            if (collateral >= required) ++ghostHealthyLiquidated;
        } catch {
            if (liquidatable && valid) ++ghostUnhealthyRefused;
        }
    }

    // ─── Expiry ───────────────────────────────────────────────────────────────────────────────

    /// @dev Settles one vault, or (`all`) every vault from it on, as a keeper would after expiry.
    function settle(uint256 vaultSeed, bool all) public {
        uint256 count = vaults.length;
        if (count == 0) return;
        for (uint256 i; i < (all ? count : 1); ++i) {
            uint256 vaultId = vaults[(vaultSeed + i) % count];
            uint256 seriesId = dv.getVault(vaultId).seriesId;
            try dv.settleVault(vaultId) returns (uint256 owed, uint256) {
                ghostOwed[seriesId] += owed;
                ++ghostSettles;
            } catch {}
        }
        _recordSettlements();
    }

    /// @dev A batch of up to four entries over the four series, ids repeating, amounts up to the whole balance.
    function exerciseBatch(uint256 seed, bool byLiquidator) public {
        address who = byLiquidator ? liquidator : holder;
        uint256 count = seed % 4 + 1;
        uint256[] memory ids = new uint256[](count);
        uint256[] memory amounts = new uint256[](count);
        for (uint256 i; i < count; ++i) {
            ids[i] = seriesIds[(seed >> (8 * i)) % 2 == 0 ? (seed >> 40) % 4 : (seed >> (8 * i + 3)) % 4];
            // a half, a third or a quarter of the balance: repeated ids may together ask for more than is held
            amounts[i] = dv.balanceOf(who, ids[i]) / ((seed >> (8 * i + 5)) % 3 + 2) + 1;
        }
        vm.prank(who);
        try dv.exerciseBatch(ids, amounts, who) returns (uint256[] memory payouts) {
            for (uint256 i; i < count; ++i) {
                ghostPaid[ids[i]] += payouts[i];
                ghostExercised[ids[i]] += amounts[i];
                ++ghostExercises;
            }
        } catch {}
        _recordSettlements();
    }

    function _recordSettlements() internal {
        for (uint256 i; i < 4; ++i) {
            IAIPowerDerivatives.Series memory s = dv.getSeries(seriesIds[i]);
            if (s.settled && ghostSettlement[seriesIds[i]] == 0) {
                ghostSettlement[seriesIds[i]] = s.settlementWad + 1;
            }
        }
    }

    function _distribute(address writer, uint256 seriesId, uint256 amount) internal {
        vm.startPrank(writer);
        dv.transfer(holder, seriesId, amount / 2);
        dv.transfer(liquidator, seriesId, amount - amount / 2);
        vm.stopPrank();
    }
}
