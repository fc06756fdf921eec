/**
 * The devnet's tokens: what the traffic generator deploys (in this order, from Hardhat account #0, so the
 * addresses follow from the deployer's nonces), what the price server quotes, and what `oracul start` puts in
 * `config.tokens` (price ids) and publishes as token metadata.
 */
import { getContractAddress, type Address } from 'viem';

/** Hardhat's account #0 (well-known development key; unlocked on the node). The devnet's deployer and token owner. */
export const DEVNET_DEPLOYER: Address = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266';
export const DEVNET_CHAIN_ID = 31337;
export const DEVNET_CHAIN_NAME = 'devnet';

export type DevnetContract = 'DevnetToken' | 'Bytes32SymbolToken' | 'LegacyToken';

export interface DevnetTokenSpec {
  readonly symbol: string;
  readonly name: string;
  readonly decimals: number;
  readonly contract: DevnetContract;
  /** Price id on the devnet's CoinGecko-compatible server. */
  readonly coingeckoId: string;
  /** Rough USD price (the server moves it around this level). */
  readonly basePriceUsd: number;
  /** Relative daily price swing (0.001 for the stablecoin). */
  readonly volatility: number;
  /** Transfers on a normal weekday. */
  readonly dailyTransfers: number;
  /** Median transfer size, in whole tokens. */
  readonly typicalAmount: number;
  /**
   * Published as curated seed metadata at start. The bytes32-symbol and legacy tokens are not: their metadata is
   * read from the contracts over RPC (fetchTokenMetadata), as for a token nobody curated.
   */
  readonly seeded: boolean;
}

export const DEVNET_TOKENS: readonly DevnetTokenSpec[] = [
  {
    symbol: 'dUSDC',
    name: 'Devnet USD Coin',
    decimals: 6,
    contract: 'DevnetToken',
    coingeckoId: 'devnet-usd-coin',
    basePriceUsd: 1,
    volatility: 0.001,
    dailyTransfers: 160,
    typicalAmount: 2_000,
    seeded: true,
  },
  {
    symbol: 'dWBTC',
    name: 'Devnet Wrapped BTC',
    decimals: 8,
    contract: 'DevnetToken',
    coingeckoId: 'devnet-wrapped-bitcoin',
    basePriceUsd: 60_000,
    volatility: 0.03,
    dailyTransfers: 60,
    typicalAmount: 0.25,
    seeded: true,
  },
  {
    symbol: 'dWETH',
    name: 'Devnet Wrapped Ether',
    decimals: 18,
    contract: 'DevnetToken',
    coingeckoId: 'devnet-weth',
    basePriceUsd: 3_000,
    volatility: 0.04,
    dailyTransfers: 140,
    typicalAmount: 2,
    seeded: true,
  },
  {
    symbol: 'dMKR',
    name: 'Devnet Maker',
    decimals: 18,
    contract: 'Bytes32SymbolToken',
    coingeckoId: 'devnet-maker',
    basePriceUsd: 1_500,
    volatility: 0.05,
    dailyTransfers: 40,
    typicalAmount: 4,
    seeded: false,
  },
  {
    symbol: 'dOLD',
    name: 'Devnet Legacy Coin',
    decimals: 8,
    contract: 'LegacyToken',
    coingeckoId: 'devnet-legacy-coin',
    basePriceUsd: 0.5,
    volatility: 0.06,
    dailyTransfers: 30,
    typicalAmount: 8_000,
    seeded: false,
  },
];

/** Where token `index` of {@link DEVNET_TOKENS} lands: the deployer's nonce `index` on a fresh devnet. */
export function devnetTokenAddress(index: number): Address {
  return getContractAddress({ from: DEVNET_DEPLOYER, nonce: BigInt(index) }).toLowerCase() as Address;
}

export interface DeployedDevnetToken extends DevnetTokenSpec {
  readonly address: Address;
}

export function devnetTokens(): DeployedDevnetToken[] {
  return DEVNET_TOKENS.map((t, i) => ({ ...t, address: devnetTokenAddress(i) }));
}
