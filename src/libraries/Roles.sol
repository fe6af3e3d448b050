// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Roles
/// @notice Role ids in the protocol's single AccessManager. Role 0 (ADMIN_ROLE) is AccessManager's own admin:
/// the governance timelock (the deployer only while `script/Deploy.s.sol` runs).
library Roles {
    uint64 internal constant ADMIN = 0;
    /// @notice May pause and unpause protocols.
    uint64 internal constant GUARDIAN = 1;
    /// @notice May move AMM fees inside governance-set bounds.
    uint64 internal constant FEE_KEEPER = 2;
    /// @notice May mint protocol tokens.
    uint64 internal constant MINTER = 3;
    /// @notice May move farm reward rates inside governance-set bounds.
    uint64 internal constant APY_KEEPER = 4;
    /// @notice May grant and revoke agent reputation (AgentReputation), which carries capped voting power.
    uint64 internal constant REPUTATION_GRANTER = 5;
    /// @notice May list farm pools and fund their reward periods with its own tokens (it can never take any out).
    uint64 internal constant FARM_OPERATOR = 6;
    /// @notice May move option-pricing volatility (VolatilityFeed) inside governance-set bounds.
    uint64 internal constant VOLATILITY_KEEPER = 7;
    /// @notice May list option series on AIPowerDerivatives (a series' pool, strike and expiry).
    uint64 internal constant OPTIONS_LISTER = 8;
}
