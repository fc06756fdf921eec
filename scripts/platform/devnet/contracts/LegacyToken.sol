// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// A pre-ERC-20-finalisation token: its `Transfer(address, address, uint256)` has no indexed parameters, so the log
/// has one topic and 96 bytes of data (from, to, value), as some 2015-2016 tokens emit. Oracul decodes it with
/// the `unindexed_legacy` encoding. `simulate` is the devnet traffic hook (see DevnetToken).
contract LegacyToken {
    string public constant name = "Devnet Legacy Coin";
    string public constant symbol = "dOLD";
    uint8 public constant decimals = 8;
    uint256 public totalSupply;
    address private immutable _owner;
    mapping(address => uint256) public balanceOf;

    event Transfer(address from, address to, uint256 value);

    constructor() {
        _owner = msg.sender;
    }

    function transfer(address to, uint256 value) external returns (bool) {
        _move(msg.sender, to, value);
        return true;
    }

    function simulate(address[] calldata from, address[] calldata to, uint256[] calldata amounts) external {
        require(msg.sender == _owner, "owner only");
        require(from.length == to.length && to.length == amounts.length, "length mismatch");
        for (uint256 i = 0; i < from.length; i++) {
            _move(from[i], to[i], amounts[i]);
        }
    }

    function _move(address from, address to, uint256 value) private {
        if (from == address(0)) totalSupply += value;
        else balanceOf[from] -= value;
        if (to == address(0)) totalSupply -= value;
        else balanceOf[to] += value;
        emit Transfer(from, to, value);
    }
}
