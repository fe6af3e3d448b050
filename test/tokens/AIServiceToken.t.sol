// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IAccessManaged} from "@openzeppelin/contracts/access/manager/IAccessManaged.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

import {AIServiceToken} from "../../src/tokens/AIServiceToken.sol";
import {TokenTestBase} from "./TokenTestBase.sol";

contract AIServiceTokenTest is TokenTestBase {
    AIServiceToken internal token;

    function setUp() public {
        _setUpManager();
        token = new AIServiceToken(address(manager), "GPU-hour credits", "GPUH", "GPU-hour (A100 80GB)");
        _restrictMint(address(token), AIServiceToken.mint.selector);
    }

    function test_metadata() public view {
        assertEq(token.name(), "GPU-hour credits");
        assertEq(token.symbol(), "GPUH");
        assertEq(token.decimals(), 18);
        assertEq(token.serviceUnit(), "GPU-hour (A100 80GB)");
        assertEq(token.authority(), address(manager));
    }

    function test_constructor_revertsWhenServiceUnitEmpty() public {
        vm.expectRevert(AIServiceToken.EmptyServiceUnit.selector);
        new AIServiceToken(address(manager), "X", "X", "");
    }

    function test_mint_byMinter() public {
        vm.prank(minter);
        token.mint(alice, 3e18);
        assertEq(token.balanceOf(alice), 3e18);
        assertEq(token.totalSupply(), 3e18);
    }

    function test_mint_revertsWhenCallerNotMinter() public {
        address[3] memory callers = [alice, bob, address(this)];
        for (uint256 i; i < callers.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(IAccessManaged.AccessManagedUnauthorized.selector, callers[i])
            );
            vm.prank(callers[i]);
            token.mint(callers[i], 1);
        }
    }

    function test_burn_redeemsCallersTokens() public {
        vm.prank(minter);
        token.mint(alice, 3e18);
        vm.prank(alice);
        token.burn(1e18);
        assertEq(token.balanceOf(alice), 2e18);
        assertEq(token.totalSupply(), 2e18);
    }

    function test_burn_revertsWhenBalanceInsufficient() public {
        vm.prank(minter);
        token.mint(alice, 1e18);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, alice, 1e18, 2e18)
        );
        vm.prank(alice);
        token.burn(2e18);
    }

    function test_permit_setsAllowanceAndBumpsNonce() public {
        uint256 deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) =
            _signPermit(token.DOMAIN_SEPARATOR(), aliceKey, alice, bob, 2e18, 0, deadline);
        token.permit(alice, bob, 2e18, deadline, v, r, s);
        assertEq(token.allowance(alice, bob), 2e18);
        assertEq(token.nonces(alice), 1);
    }

    function test_permit_revertsWhenExpired() public {
        uint256 deadline = block.timestamp - 1;
        (uint8 v, bytes32 r, bytes32 s) =
            _signPermit(token.DOMAIN_SEPARATOR(), aliceKey, alice, bob, 2e18, 0, deadline);
        vm.expectRevert(abi.encodeWithSelector(ERC20Permit.ERC2612ExpiredSignature.selector, deadline));
        token.permit(alice, bob, 2e18, deadline, v, r, s);
    }

    function test_permit_revertsWhenSignedByAnotherKey() public {
        (address mallory, uint256 malloryKey) = makeAddrAndKey("mallory");
        uint256 deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) =
            _signPermit(token.DOMAIN_SEPARATOR(), malloryKey, alice, bob, 2e18, 0, deadline);
        vm.expectRevert(abi.encodeWithSelector(ERC20Permit.ERC2612InvalidSigner.selector, mallory, alice));
        token.permit(alice, bob, 2e18, deadline, v, r, s);
    }
}
