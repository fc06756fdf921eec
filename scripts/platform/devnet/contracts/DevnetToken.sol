// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// A standard OpenZeppelin ERC-20 for the devnet (configurable decimals) whose owner, the traffic generator,
/// can move balances in batches: `simulate` applies many transfers (mints from 0x0, burns to 0x0) in one
/// transaction, each emitting the standard `Transfer(address indexed, address indexed, uint256)` log.
/// This keeps the block count low while the logs are exactly what a real token emits. Devnet only.
contract DevnetToken is ERC20 {
    uint8 private immutable _decimals;
    address private immutable _owner;

    constructor(string memory name_, string memory symbol_, uint8 decimals_) ERC20(name_, symbol_) {
        _decimals = decimals_;
        _owner = msg.sender;
    }

    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    function simulate(address[] calldata from, address[] calldata to, uint256[] calldata amounts) external {
        require(msg.sender == _owner, "owner only");
        require(from.length == to.length && to.length == amounts.length, "length mismatch");
        for (uint256 i = 0; i < from.length; i++) {
            _update(from[i], to[i], amounts[i]);
        }
    }
}
