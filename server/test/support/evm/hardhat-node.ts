import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// Hardhat 2 has no public API for a config-less network; these internals are what
// `hardhat node` itself uses (config resolution, EDR provider, JSON-RPC server).
const require = createRequire(import.meta.url);
const { resolveConfig } =
  require('hardhat/internal/core/config/config-resolution') as typeof import('hardhat/internal/core/config/config-resolution');
const { createProvider } =
  require('hardhat/internal/core/providers/construction') as typeof import('hardhat/internal/core/providers/construction');
const { JsonRpcServer } =
  require('hardhat/internal/hardhat-network/jsonrpc/server') as typeof import('hardhat/internal/hardhat-network/jsonrpc/server');

export interface HardhatNodeOptions {
  chainId: number;
  accounts: { privateKey: `0x${string}`; balance: bigint }[];
}

export interface HardhatNode {
  rpcUrl: string;
  close(): Promise<void>;
}

/** An in-process hardhat network (automine) served as JSON-RPC on 127.0.0.1, random port. */
export async function startHardhatNode(options: HardhatNodeOptions): Promise<HardhatNode> {
  // resolveConfig only needs an existing file to anchor project paths; nothing is read from it.
  const config = resolveConfig(fileURLToPath(import.meta.url), {
    networks: {
      hardhat: {
        chainId: options.chainId,
        loggingEnabled: false,
        accounts: options.accounts.map(({ privateKey, balance }) => ({
          privateKey,
          balance: balance.toString(),
        })),
      },
    },
  });
  const provider = await createProvider(config, 'hardhat');
  const server = new JsonRpcServer({ hostname: '127.0.0.1', port: 0, provider });
  const { port } = await server.listen();
  return { rpcUrl: `http://127.0.0.1:${port}/`, close: () => server.close() };
}
