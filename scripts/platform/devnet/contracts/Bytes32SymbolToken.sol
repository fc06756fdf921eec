// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// An ERC-20 whose `name()` and `symbol()` return bytes32, like MKR and SAI on mainnet. Written out in full because
/// OpenZeppelin's ERC20 returns strings. `simulate` is the devnet traffic hook (see DevnetToken).
contract Bytes32SymbolToken {
    bytes32 public constant name = "Devnet Maker";
    bytes32 public constant symbol = "dMKR";
    uint8 public constant decimals = 18;
    uint256 public totalSupply;
    address private immutable _owner;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    constructor() {
        _owner = msg.sender;
    }

    function transfer(address to, uint256 value) external returns (bool) {
        _move(msg.sender, to, value);
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        require(allowance[from][msg.sender] >= value, "allowance");
        allowance[from][msg.sender] -= value;
        _move(from, to, value);
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
