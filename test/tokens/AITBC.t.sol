// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAccessManaged} from "@openzeppelin/contracts/access/manager/IAccessManaged.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {Votes} from "@openzeppelin/contracts/governance/utils/Votes.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";

import {AITBC} from "../../src/tokens/AITBC.sol";
import {IDelegatedVotes} from "../../src/interfaces/IDelegatedVotes.sol";
import {TokenTestBase} from "./TokenTestBase.sol";

contract AITBCTest is TokenTestBase {
    AITBC internal token;

    function setUp() public {
        _setUpManager();
        token = new AITBC(address(manager));
        _restrictMint(address(token), AITBC.mint.selector);
    }

    function test_metadata() public view {
        assertEq(token.name(), "AITBC");
        assertEq(token.symbol(), "AITBC");
        assertEq(token.decimals(), 18);
        assertEq(token.MAX_SUPPLY(), 1_000_000_000e18);
        assertEq(token.authority(), address(manager));
    }

    // ─── mint ─────────────────────────────────────────────────────────────────────────────────

    function test_mint_byMinter() public {
        vm.prank(minter);
        token.mint(alice, 100e18);
        assertEq(token.balanceOf(alice), 100e18);
        assertEq(token.totalSupply(), 100e18);
    }

    function test_mint_revertsWhenCallerNotMinter() public {
        address[3] memory callers = [alice, bob, address(this)]; // the admin too: minting is the minter's alone
        for (uint256 i; i < callers.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, callers[i])
            );
            vm.prank(callers[i]);
            token.mint(callers[i], 1);
        }
    }

    function test_mint_revertsWhenRoleRevoked() public {
        manager.revokeRole(3, minter);
        vm.expectRevert(abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, minter));
        vm.prank(minter);
        token.mint(alice, 1);
    }

    function test_mint_upToCap() public {
        uint256 cap = token.MAX_SUPPLY();
        vm.startPrank(minter);
        token.mint(alice, cap - 1);
        token.mint(bob, 1);
        vm.stopPrank();
        assertEq(token.totalSupply(), cap);
    }

    function test_mint_revertsWhenAboveCap() public {
        uint256 cap = token.MAX_SUPPLY();
        vm.startPrank(minter);
        token.mint(alice, cap - 10);
        vm.expectRevert(abi.encodeWithSelector(AITBC.SupplyCapExceeded.selector, cap + 1, cap));
        token.mint(bob, 11);
        vm.stopPrank();
        assertEq(token.totalSupply(), cap - 10);
    }

    function testFuzz_mint_neverExceedsCap(uint256 first, uint256 second) public {
        uint256 cap = token.MAX_SUPPLY();
        first = bound(first, 0, cap);
        second = bound(second, 0, cap);
        vm.startPrank(minter);
        token.mint(alice, first);
        if (first + second > cap) {
            vm.expectRevert(abi.encodeWithSelector(AITBC.SupplyCapExceeded.selector, first + second, cap));
        }
        token.mint(bob, second);
        vm.stopPrank();
        assertLe(token.totalSupply(), cap);
    }

    // ─── permit ───────────────────────────────────────────────────────────────────────────────

    function test_permit_setsAllowanceAndBumpsNonce() public {
        uint256 deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) =
            _signPermit(token.DOMAIN_SEPARATOR(), aliceKey, alice, bob, 5e18, 0, deadline);
        token.permit(alice, bob, 5e18, deadline, v, r, s);
        assertEq(token.allowance(alice, bob), 5e18);
        assertEq(token.nonces(alice), 1);

        vm.prank(minter);
        token.mint(alice, 5e18);
        vm.prank(bob);
        token.transferFrom(alice, bob, 5e18);
        assertEq(token.balanceOf(bob), 5e18);
    }

    function test_permit_revertsWhenReplayed() public {
        uint256 deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) =
            _signPermit(token.DOMAIN_SEPARATOR(), aliceKey, alice, bob, 5e18, 0, deadline);
        token.permit(alice, bob, 5e18, deadline, v, r, s);
        vm.expectPartialRevert(ERC20Permit.ERC2612InvalidSigner.selector); // the signer recovers to another address
        token.permit(alice, bob, 5e18, deadline, v, r, s);
    }

    function test_permit_revertsWhenExpired() public {
        uint256 deadline = block.timestamp - 1;
        (uint8 v, bytes32 r, bytes32 s) =
            _signPermit(token.DOMAIN_SEPARATOR(), aliceKey, alice, bob, 5e18, 0, deadline);
        vm.expectRevert(abi.encodeWithSelector(ERC20Permit.ERC2612ExpiredSignature.selector, deadline));
        token.permit(alice, bob, 5e18, deadline, v, r, s);
    }

    function test_permit_revertsWhenSignedByAnotherKey() public {
        (address mallory, uint256 malloryKey) = makeAddrAndKey("mallory");
        uint256 deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) =
            _signPermit(token.DOMAIN_SEPARATOR(), malloryKey, alice, bob, 5e18, 0, deadline);
        vm.expectRevert(abi.encodeWithSelector(ERC20Permit.ERC2612InvalidSigner.selector, mallory, alice));
        token.permit(alice, bob, 5e18, deadline, v, r, s);
    }

    // ─── votes ────────────────────────────────────────────────────────────────────────────────

    function test_clock_isTimestamp() public {
        assertEq(token.clock(), uint48(block.timestamp));
        assertEq(token.CLOCK_MODE(), "mode=timestamp");
        vm.warp(block.timestamp + 123);
        assertEq(token.clock(), uint48(block.timestamp));
    }

    function test_votes_countOnlyOnceDelegated() public {
        vm.prank(minter);
        token.mint(alice, 100e18);
        assertEq(token.getVotes(alice), 0, "undelegated balances carry no votes");

        vm.expectEmit(address(token));
        emit IVotes.DelegateChanged(alice, address(0), alice);
        vm.expectEmit(address(token));
        emit IVotes.DelegateVotesChanged(alice, 0, 100e18);
        vm.prank(alice);
        token.delegate(alice);
        assertEq(token.delegates(alice), alice);
        assertEq(token.getVotes(alice), 100e18);
    }

    function test_votes_checkpointsByTimestamp() public {
        vm.prank(minter);
        token.mint(alice, 100e18);
        vm.prank(alice);
        token.delegate(bob);
        uint256 t0 = block.timestamp;

        vm.warp(t0 + 100);
        vm.prank(alice);
        token.transfer(address(0xdead), 40e18);
        uint256 t1 = block.timestamp;

        vm.warp(t1 + 100);
        vm.prank(minter);
        token.mint(alice, 15e18);

        vm.warp(block.timestamp + 1);
        assertEq(token.getPastVotes(bob, t0 - 1), 0);
        assertEq(token.getPastVotes(bob, t0), 100e18);
        assertEq(token.getPastVotes(bob, t1 - 1), 100e18);
        assertEq(token.getPastVotes(bob, t1), 60e18);
        assertEq(token.getVotes(bob), 75e18);
        assertEq(token.getPastTotalSupply(t1), 100e18);
        assertEq(token.numCheckpoints(bob), 3);
        Checkpoints.Checkpoint208 memory cp = token.checkpoints(bob, 1);
        assertEq(cp._key, t1);
        assertEq(cp._value, 60e18);
    }

    function test_votes_moveWithRedelegation() public {
        vm.prank(minter);
        token.mint(alice, 10e18);
        vm.startPrank(alice);
        token.delegate(alice);
        token.delegate(bob);
        vm.stopPrank();
        assertEq(token.getVotes(alice), 0);
        assertEq(token.getVotes(bob), 10e18);
    }

    function test_getPastVotes_revertsWhenTimepointNotPast() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                Votes.ERC5805FutureLookup.selector, block.timestamp, uint48(block.timestamp)
            )
        );
        token.getPastVotes(alice, block.timestamp);
    }

    function test_delegateBySig_delegatesForSigner() public {
        vm.prank(minter);
        token.mint(alice, 7e18);
        uint256 expiry = block.timestamp + 1 days;
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256("Delegation(address delegatee,uint256 nonce,uint256 expiry)"), bob, 0, expiry
            )
        );
        (uint8 v, bytes32 r, bytes32 s) =
            vm.sign(aliceKey, keccak256(abi.encodePacked("\x19\x01", token.DOMAIN_SEPARATOR(), structHash)));
        token.delegateBySig(bob, 0, expiry, v, r, s);
        assertEq(token.delegates(alice), bob);
        assertEq(token.getVotes(bob), 7e18);
        assertEq(token.nonces(alice), 1, "permits and delegations share the nonce");
    }
    // ─── total delegated ──────────────────────────────────────────────────────────────────────

    function test_totalDelegated_countsOnlyDelegatedBalances() public {
        vm.startPrank(minter);
        token.mint(alice, 100e18);
        token.mint(bob, 50e18);
        vm.stopPrank();
        assertEq(token.getTotalDelegated(), 0, "nothing delegated");

        vm.prank(alice);
        token.delegate(bob); // alice's 100 now count (as bob's votes); bob's own 50 do not
        assertEq(token.getTotalDelegated(), 100e18);
        assertEq(token.totalSupply(), 150e18);

        vm.prank(alice);
        token.delegate(alice); // another delegate: the total stays
        assertEq(token.getTotalDelegated(), 100e18);

        vm.prank(alice);
        token.transfer(bob, 30e18); // delegated → undelegated
        assertEq(token.getTotalDelegated(), 70e18);
        vm.prank(bob);
        token.transfer(alice, 10e18); // undelegated → delegated
        assertEq(token.getTotalDelegated(), 80e18);

        vm.prank(minter);
        token.mint(alice, 5e18); // a mint to a delegated holder
        assertEq(token.getTotalDelegated(), 85e18);

        vm.prank(alice);
        token.delegate(address(0)); // undelegating removes the whole balance
        assertEq(token.getTotalDelegated(), 0);
        assertEq(token.getVotes(alice), 0);
    }

    function test_totalDelegated_checkpointsByTimestamp() public {
        vm.prank(minter);
        token.mint(alice, 100e18);
        vm.prank(alice);
        token.delegate(alice);
        uint256 t0 = block.timestamp;

        vm.warp(t0 + 100);
        vm.prank(alice);
        token.transfer(address(0xdead), 40e18); // to an account without a delegate
        uint256 t1 = block.timestamp;

        vm.warp(t1 + 100);
        assertEq(token.getPastTotalDelegated(t0 - 1), 0);
        assertEq(token.getPastTotalDelegated(t0), 100e18);
        assertEq(token.getPastTotalDelegated(t1 - 1), 100e18);
        assertEq(token.getPastTotalDelegated(t1), 60e18);
        assertEq(token.getPastTotalSupply(t1), 100e18, "the supply still counts the undelegated 40");
    }

    function test_getPastTotalDelegated_revertsWhenTimepointNotPast() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                Votes.ERC5805FutureLookup.selector, block.timestamp, uint48(block.timestamp)
            )
        );
        token.getPastTotalDelegated(block.timestamp);
    }

    function test_totalDelegated_delegateBySigCounts() public {
        vm.prank(minter);
        token.mint(alice, 7e18);
        uint256 expiry = block.timestamp + 1 days;
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256("Delegation(address delegatee,uint256 nonce,uint256 expiry)"), bob, 0, expiry
            )
        );
        (uint8 v, bytes32 r, bytes32 s) =
            vm.sign(aliceKey, keccak256(abi.encodePacked("\x19\x01", token.DOMAIN_SEPARATOR(), structHash)));
        token.delegateBySig(bob, 0, expiry, v, r, s);
        assertEq(token.getTotalDelegated(), 7e18);
    }

    function test_supportsDelegatedVotesInterface() public view {
        IDelegatedVotes votes = token;
        assertEq(votes.getTotalDelegated(), 0);
    }

    /// @dev Random delegations (to a holder or to nobody), undelegations, transfers and mints between four holders:
    /// after each step, and at every past step's timestamp, the total delegated is the sum of every delegate's votes
    /// and the sum of the delegated holders' balances.
    function testFuzz_totalDelegated_equalsSumOfDelegatedBalances(uint256 seed) public {
        address[4] memory holders = [alice, bob, makeAddr("pool"), makeAddr("escrow")];
        uint256 steps = 24;
        uint256[] memory times = new uint256[](steps);
        uint256[] memory totals = new uint256[](steps);
        for (uint256 i; i < steps; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            address who = holders[r % 4];
            uint256 op = (r >> 8) % 4;
            if (op == 0) {
                uint256 choice = (r >> 16) % 5; // 4: undelegate
                vm.prank(who);
                token.delegate(choice == 4 ? address(0) : holders[choice]);
            } else if (op == 1 || op == 2) {
                address to = holders[(r >> 16) % 4];
                uint256 amount = token.balanceOf(who) == 0 ? 0 : (r >> 24) % (token.balanceOf(who) + 1);
                vm.prank(who);
                token.transfer(to, amount);
            } else {
                vm.prank(minter);
                token.mint(who, (r >> 24) % 1e24);
            }
            uint256 sumVotes;
            uint256 sumDelegatedBalances;
            for (uint256 j; j < 4; ++j) {
                sumVotes += token.getVotes(holders[j]);
                if (token.delegates(holders[j]) != address(0)) {
                    sumDelegatedBalances += token.balanceOf(holders[j]);
                }
            }
            assertEq(token.getTotalDelegated(), sumVotes, "total delegated != sum of votes");
            assertEq(sumVotes, sumDelegatedBalances, "sum of votes != delegated balances");
            assertLe(token.getTotalDelegated(), token.totalSupply());
            (times[i], totals[i]) = (block.timestamp, sumVotes);
            if ((r >> 128) % 2 == 0) vm.warp(block.timestamp + 1 + (r >> 136) % 1 days);
        }
        vm.warp(block.timestamp + 1);
        for (uint256 i; i < steps; ++i) {
            // The last step of a timestamp is the one that holds at its end.
            if (i + 1 < steps && times[i + 1] == times[i]) continue;
            assertEq(token.getPastTotalDelegated(times[i]), totals[i], "past total delegated");
        }
    }
}
