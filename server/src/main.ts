import { readEnv } from './env.ts';
import { startServer } from './server.ts';

const server = await startServer(readEnv());

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    server.stop().then(
      () => process.exit(0),
      (error) => {
        console.error('error while stopping:', error);
        process.exit(1);
      },
    );
  });
}
