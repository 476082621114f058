import { readFileSync } from 'node:fs';
import solc from 'solc';
import type { Abi, Hex } from 'viem';

export interface CompiledContract {
  abi: Abi;
  bytecode: Hex;
  deployedBytecode: Hex;
}

export interface CompiledContracts {
  UsdcEip3009: CompiledContract;
  Multicall3TryAggregate: CompiledContract;
}

const SOURCE_NAME = 'UsdcEip3009.sol';

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts: Record<
    string,
    Record<
      string,
      { abi: Abi; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }
    >
  >;
}

let cached: CompiledContracts | undefined;

/** Compiles the test contracts with the solc npm package (no compiler download), once per process. */
export function compileContracts(): CompiledContracts {
  cached ??= compile();
  return cached;
}

function compile(): CompiledContracts {
  const input = {
    language: 'Solidity',
    sources: {
      [SOURCE_NAME]: { content: readFileSync(new URL(SOURCE_NAME, import.meta.url), 'utf8') },
    },
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: 'cancun',
      outputSelection: {
        '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] },
      },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput;
  const errors = (output.errors ?? []).filter((error) => error.severity === 'error');
  if (errors.length > 0) {
    throw new Error(`solc failed:\n${errors.map((error) => error.formattedMessage).join('\n')}`);
  }
  const contracts = output.contracts[SOURCE_NAME] ?? {};
  const pick = (name: keyof CompiledContracts): CompiledContract => {
    const contract = contracts[name];
    if (!contract) throw new Error(`solc produced no ${name}`);
    return {
      abi: contract.abi,
      bytecode: `0x${contract.evm.bytecode.object}`,
      deployedBytecode: `0x${contract.evm.deployedBytecode.object}`,
    };
  };
  return {
    UsdcEip3009: pick('UsdcEip3009'),
    Multicall3TryAggregate: pick('Multicall3TryAggregate'),
  };
}
