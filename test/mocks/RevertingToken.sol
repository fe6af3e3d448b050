// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice ERC-20 whose `transfer` can be made to misbehave the ways real tokens do (a blocklist or pause that
/// reverts, a token that returns false, a hook that burns all the gas it is given) or to succeed without returning
/// anything (USDT-style). `transferFrom` always behaves, so the token can be listed on the AMM and bought.
contract RevertingToken is ERC20 {
    enum Mode {
        Normal,
        Revert,
        ReturnFalse,
        BurnGas,
        NoReturn
    }

    error TransferBlocked(address from, address to);

    Mode public mode;

    constructor() ERC20("Reverting", "REV") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setMode(Mode mode_) external {
        mode = mode_;
    }

    function transfer(address to, uint256 value) public override returns (bool) {
        Mode m = mode;
        if (m == Mode.Revert) revert TransferBlocked(msg.sender, to);
        if (m == Mode.ReturnFalse) return false;
        if (m == Mode.BurnGas) {
            // spins until the call runs out of gas
            uint256 spin;
            while (gasleft() > 0) {
                ++spin;
            }
        }
        _transfer(msg.sender, to, value);
        if (m == Mode.NoReturn) {
            assembly ("memory-safe") {
                return(0, 0)
            }
        }
        return true;
    }
}
