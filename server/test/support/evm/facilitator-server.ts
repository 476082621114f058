import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { x402Facilitator } from '@x402/core/facilitator';
import type { PaymentPayload, PaymentRequirements } from '@x402/core/types';
import { toFacilitatorEvmSigner } from '@x402/evm';
import { ExactEvmScheme } from '@x402/evm/exact/facilitator';
import { createWalletClient, publicActions } from 'viem';
import { type LocalChain, localTransport, POLLING_INTERVAL_MS } from './chain.ts';

const MAX_BODY_BYTES = 1024 * 1024;

export interface FacilitatorServer {
  url: string;
  facilitator: x402Facilitator;
  stop(): Promise<void>;
}

/**
 * The official @x402/evm exact-scheme facilitator, settling on the local chain with the chain's
 * gas-funded account, behind the facilitator HTTP API on a loopback port.
 */
export async function startFacilitatorServer(chain: LocalChain): Promise<FacilitatorServer> {
  const facilitator = new x402Facilitator().register(
    chain.network,
    new ExactEvmScheme(createFacilitatorSigner(chain)),
  );
  return { ...(await serveFacilitatorHttp(facilitator)), facilitator };
}

/** What the facilitator HTTP API serves: x402Facilitator, or any FacilitatorClient. */
export interface ServedFacilitator {
  verify(payload: PaymentPayload, requirements: PaymentRequirements): Promise<unknown>;
  settle(payload: PaymentPayload, requirements: PaymentRequirements): Promise<unknown>;
  getSupported(): unknown;
}

/**
 * Serves `facilitator` on the wire @x402/core's HTTPFacilitatorClient speaks (POST /verify,
 * POST /settle, GET /supported) on a loopback port.
 */
export async function serveFacilitatorHttp(
  facilitator: ServedFacilitator,
): Promise<{ url: string; stop(): Promise<void> }> {
  const server = createServer((request, response) => {
    route(facilitator, request, response).catch((error: unknown) => {
      sendJson(response, 500, { error: error instanceof Error ? error.message : String(error) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function createFacilitatorSigner(chain: LocalChain) {
  const client = createWalletClient({
    account: chain.facilitatorAccount,
    chain: chain.chain,
    transport: localTransport(chain.rpcUrl),
    pollingInterval: POLLING_INTERVAL_MS,
  }).extend(publicActions);
  // Adapters rather than passing the client: viem's generic signatures are narrower than the
  // signer interface's loosely typed arguments.
  return toFacilitatorEvmSigner({
    address: chain.facilitatorAccount.address,
    getCode: (args) => client.getCode(args),
    readContract: (args) => client.readContract({ ...args, args: args.args ?? [] } as never),
    verifyTypedData: (args) => client.verifyTypedData(args as never),
    writeContract: (args) => client.writeContract(args as never),
    sendTransaction: (args) => client.sendTransaction(args),
    waitForTransactionReceipt: (args) => client.waitForTransactionReceipt(args),
  });
}

async function route(
  facilitator: ServedFacilitator,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  if (request.method === 'GET' && path === '/supported') {
    return sendJson(response, 200, await facilitator.getSupported());
  }
  if (request.method === 'POST' && (path === '/verify' || path === '/settle')) {
    const body = await readFacilitatorRequest(request);
    if (!body) {
      const error = 'expected {x402Version, paymentPayload, paymentRequirements}';
      return sendJson(response, 400, { error });
    }
    const result =
      path === '/verify'
        ? await facilitator.verify(body.paymentPayload, body.paymentRequirements)
        : await facilitator.settle(body.paymentPayload, body.paymentRequirements);
    return sendJson(response, 200, result);
  }
  sendJson(response, 404, { error: `no route for ${request.method} ${path}` });
}

interface FacilitatorRequest {
  paymentPayload: PaymentPayload;
  paymentRequirements: PaymentRequirements;
}

async function readFacilitatorRequest(
  request: IncomingMessage,
): Promise<FacilitatorRequest | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const isObject = (value: unknown) => typeof value === 'object' && value !== null;
    if (!isObject(body?.paymentPayload) || !isObject(body?.paymentRequirements)) return undefined;
    return body;
  } catch {
    return undefined;
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
