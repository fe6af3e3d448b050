// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IUniswapV2Pair} from "./UniswapV2Interfaces.sol";

/// @notice The "bare pair path": a trading contract that holds its own tokens and talks to a Uniswap V2 pair
/// directly (transfer in, then `swap` / `mint` / `burn`), in one transaction, as bots and aggregators do. Amounts
/// are computed off-chain by the caller. No checks: it only exists to be measured.
contract BarePairTrader {
    function swap(address pair, address tokenIn, uint256 amountIn, uint256 amount0Out, uint256 amount1Out)
        external
    {
        IERC20(tokenIn).transfer(pair, amountIn);
        IUniswapV2Pair(pair).swap(amount0Out, amount1Out, address(this), "");
    }

    function addLiquidity(address pair, address tokenA, address tokenB, uint256 amountA, uint256 amountB)
        external
    {
        IERC20(tokenA).transfer(pair, amountA);
        IERC20(tokenB).transfer(pair, amountB);
        IUniswapV2Pair(pair).mint(address(this));
    }

    function removeLiquidity(address pair, uint256 liquidity) external {
        IUniswapV2Pair(pair).transfer(pair, liquidity);
        IUniswapV2Pair(pair).burn(address(this));
    }

    function transfer(address token, address to, uint256 amount) external {
        IERC20(token).transfer(to, amount);
    }
}
