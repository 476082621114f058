import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `npm run lint` holds the layout's rules: no import cycles, and imports only point down the
 * layers (README "Layout"). Proven on probe files linted with the project's own biome.json in a
 * scratch copy of the tree's shape, so the real tree is never touched.
 */
const root = path.resolve(import.meta.dirname, '../../..');
const biome = path.join(root, 'node_modules/.bin/biome');
let scratch: string;

async function lint(files: Record<string, string>) {
  const dir = await mkdtemp(path.join(scratch, 'case-'));
  await copyFile(path.join(root, 'biome.json'), path.join(dir, 'biome.json'));
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), text);
  }
  try {
    await promisify(execFile)(biome, ['lint', '--max-diagnostics=50', '.'], { cwd: dir });
    return { failed: false, output: '' };
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    return { failed: true, output: stdout + stderr };
  }
}

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'promptmeter-lint-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('npm run lint: import rules', () => {
  it('passes imports that point down the layers', async () => {
    const result = await lint({
      'server/src/http/app.ts':
        "import { page } from '../schema/page.ts';\nexport const app = page;\n",
      'server/src/schema/page.ts':
        "import { sql } from '../db/sql.ts';\nimport { id } from '../lib/id.ts';\nexport const page = sql + id;\n",
      'server/src/db/sql.ts': "import { id } from '../lib/id.ts';\nexport const sql = id;\n",
      'server/src/lib/id.ts': "export const id = 'x';\n",
    });
    expect(result.output).toBe('');
    expect(result.failed).toBe(false);
  });

  it('fails on an import cycle, even through type-only imports', async () => {
    const result = await lint({
      'server/src/executions/run.ts':
        "import type { Log } from './log.ts';\nexport type Run = { log: Log };\n",
      'server/src/executions/log.ts':
        "import type { Run } from './run.ts';\nexport type Log = { run: Run };\n",
    });
    expect(result.failed).toBe(true);
    expect(result.output).toContain('lint/suspicious/noImportCycles');
  });

  it('fails when infrastructure imports the domain or the top level', async () => {
    const result = await lint({
      'server/src/db/rows.ts':
        "import { run } from '../executions/run.ts';\nimport { env } from '../env.ts';\nexport const rows = [run, env];\n",
      'server/src/executions/run.ts': 'export const run = 1;\n',
      'server/src/env.ts': 'export const env = 1;\n',
    });
    expect(result.failed).toBe(true);
    expect(result.output.match(/lint\/style\/noRestrictedImports/g)).toHaveLength(2);
    expect(result.output).toContain('server/src/db may not import');
  });

  it('fails when a lower domain folder imports a higher one', async () => {
    const result = await lint({
      'server/src/payments/gate.ts':
        "import { run } from '../executions/run.ts';\nexport const gate = run;\n",
      'server/src/executions/run.ts': 'export const run = 1;\n',
    });
    expect(result.failed).toBe(true);
    expect(result.output).toContain('server/src/payments may not import');
  });

  it('fails when shared client UI imports a feature', async () => {
    const result = await lint({
      'client/src/ui/Panel.tsx':
        "import { Form } from '../templates/Form.tsx';\nexport const Panel = Form;\n",
      'client/src/templates/Form.tsx': 'export const Form = 1;\n',
    });
    expect(result.failed).toBe(true);
    expect(result.output).toContain('client/src/ui may not import');
  });
});
