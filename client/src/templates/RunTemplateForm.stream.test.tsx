import { MockSubscriptionLink } from '@apollo/client/testing';
import { act, fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { execution } from '../test/factories.ts';
import { renderPage } from '../test/templatePage.tsx';
import { CancelExecutionMutation } from './useCheckout.ts';

const event = (runTemplate: object) => ({ result: { data: { runTemplate } } });

describe('RunTemplateForm, streamed', () => {
  it('grows the output as deltas arrive, with Stop; Stop cancels the run and keeps the text', async () => {
    const runStream = new MockSubscriptionLink();
    const cancel = {
      request: { query: CancelExecutionMutation, variables: { id: 'E1' } },
      result: {
        data: {
          cancelExecution: {
            __typename: 'Execution',
            id: 'E1',
            status: 'FAILED',
            errorMessage: 'cancelled',
          },
        },
      },
    };
    await renderPage([cancel], { runStream });
    fireEvent.change(screen.getByLabelText(/^product/), { target: { value: 'Lamp' } });
    fireEvent.click(screen.getByRole('button', { name: 'Run' }));

    act(() =>
      runStream.simulateResult(
        event({
          __typename: 'ExecutionStarted',
          execution: execution('E1', { status: 'RUNNING', outputTokens: null }),
        }),
      ),
    );
    const output = await screen.findByRole('region', { name: 'Output' });
    expect(output.getAttribute('aria-busy')).toBe('true');
    // Not a live region: a screen reader is not read every word.
    expect(output.closest('[aria-live]')).toBeNull();
    expect(within(output).getByRole('status').textContent).toMatch(/Running · \d+ s/);
    act(() =>
      runStream.simulateResult(event({ __typename: 'ExecutionOutputDelta', text: 'A warm ' })),
    );
    await vi.waitFor(() => expect(output.querySelector('pre')?.textContent).toBe('A warm '));
    // Equal deltas are text too (a subscription's results are never deduplicated).
    act(() =>
      runStream.simulateResult(event({ __typename: 'ExecutionOutputDelta', text: 'A warm ' })),
    );
    act(() =>
      runStream.simulateResult(event({ __typename: 'ExecutionOutputDelta', text: 'little ' })),
    );
    await vi.waitFor(() =>
      expect(output.querySelector('pre')?.textContent).toBe('A warm A warm little '),
    );
    // The run shows in Your Executions as it starts.
    expect(screen.getByRole('region', { name: /Your Executions/ }).textContent).toMatch(/Running/);

    fireEvent.click(within(output).getByRole('button', { name: 'Stop' }));
    expect(await screen.findByRole('button', { name: 'Stopping…' })).toBeTruthy();
    act(() =>
      runStream.simulateResult(
        event({
          __typename: 'ExecutionFinished',
          output: null,
          execution: execution('E1', { status: 'FAILED', errorMessage: 'cancelled' }),
        }),
        true,
      ),
    );
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('You stopped the run.');
    expect(alert.textContent).toContain('A warm A warm little');
    expect(screen.queryByRole('button', { name: 'Stop' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Run' })).toBeTruthy();
  });
});
