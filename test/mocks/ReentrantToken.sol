// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice ERC-20 whose transfers call back into an arbitrary target once armed, the way an ERC-777 hook or a
/// malicious token would. The callback's revert data is bubbled up so that tests can match the exact error.
contract ReentrantToken is ERC20 {
    address public target;
    bytes public callData;
    bool public armed;

    constructor() ERC20("Reentrant", "REE") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice The next transfer (of any kind) calls `target` with `data` before moving tokens.
    function arm(address target_, bytes calldata data) external {
        target = target_;
        callData = data;
        armed = true;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (armed && from != address(0) && to != address(0)) {
            armed = false;
            (bool ok, bytes memory ret) = target.call(callData);
            if (!ok) {
                assembly ("memory-safe") {
                    revert(add(ret, 0x20), mload(ret))
                }
            }
        }
        super._update(from, to, value);
    }
}
