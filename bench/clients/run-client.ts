import { RUN_TEMPLATE } from '../dataset/actors.ts';

const RUN = `mutation Run($input: ExecuteTemplateInput!) {
  executeTemplate(input: $input) { execution { id status errorMessage completedAt logPosition } output }
}`;

export interface RunOutcome {
  ms: number;
  /** The execution's database id (the execution-log row). */
  id: string | null;
  /** Its Execution.logPosition: where a subscriber resumes after it. */
  position: string | null;
  ok: boolean;
  error: string | null;
}

/** executeTemplate of the bench's run template; `seq` goes into the prompt ({{seq}}). */
export async function executeRun(url: string, token: string, seq: number): Promise<RunOutcome> {
  const started = performance.now();
  try {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: RUN,
        variables: {
          input: {
            templateId: Buffer.from(`Template:${RUN_TEMPLATE}`).toString('base64'),
            variables: { seq: String(seq) },
          },
        },
      }),
    });
    const json = (await response.json()) as {
      data?: {
        executeTemplate?: {
          execution?: {
            id: string;
            status: string;
            errorMessage: string | null;
            logPosition: string;
          };
        };
      };
      errors?: Array<{ message: string }>;
    };
    const execution = json.data?.executeTemplate?.execution;
    return {
      ms: performance.now() - started,
      id: execution
        ? Buffer.from(execution.id, 'base64')
            .toString()
            .replace(/^Execution:/, '')
        : null,
      position: execution?.logPosition ?? null,
      ok: response.status === 200 && execution?.status === 'SUCCESS',
      error: json.errors?.[0]?.message ?? execution?.errorMessage ?? null,
    };
  } catch (error) {
    return {
      ms: performance.now() - started,
      id: null,
      position: null,
      ok: false,
      error: (error as Error).message,
    };
  }
}
