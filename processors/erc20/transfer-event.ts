import { parseAbiItem, toEventSelector } from 'viem';

/** The ERC-20 Transfer event as the standard declares it: from and to indexed (3 topics, 32 bytes of data). */
export const TRANSFER_EVENT = parseAbiItem('event Transfer(address indexed from, address indexed to, uint256 value)');

/**
 * The pre-standard form some 2016–2017 tokens used: nothing indexed (1 topic, 96 bytes of data). Same signature,
 * so the same topic0. (Early ERC-721 contracts such as CryptoKitties also emit this exact shape with a token id;
 * the log alone cannot tell them apart, hence the `form` tag on every transfer.)
 */
export const TRANSFER_EVENT_UNINDEXED = parseAbiItem('event Transfer(address from, address to, uint256 value)');

/** keccak256("Transfer(address,address,uint256)"). */
export const TRANSFER_TOPIC = toEventSelector(TRANSFER_EVENT);

export const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';
